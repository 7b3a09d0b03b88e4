package main

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

var (
	pkgGin     = []string{"github.com/gin-gonic/gin"}
	pkgEcho    = []string{"github.com/labstack/echo/v4", "github.com/labstack/echo"}
	pkgChi     = []string{"github.com/go-chi/chi/v5", "github.com/go-chi/chi"}
	pkgKratos  = []string{"github.com/go-kratos/kratos/v2/transport/http"}
	pkgBreaker = []string{"github.com/sony/gobreaker", "github.com/sony/gobreaker/v2"}
	pkgSQL     = []string{"database/sql", "github.com/jmoiron/sqlx"}
	pkgGorm    = []string{"gorm.io/gorm", "github.com/jinzhu/gorm"}
	pkgPgxpool = []string{"github.com/jackc/pgx/v5/pgxpool", "github.com/jackc/pgx/v4/pgxpool"}
	pkgReqID   = []string{"github.com/go-chi/chi/v5/middleware", "github.com/go-chi/chi/middleware", "github.com/labstack/echo/v4/middleware"}
)

// serverSites are where a module builds an HTTP server (any framework) and,
// with clients, an outbound HTTP client.
func serverSites(pass *analysis.Pass, clients bool) []ast.Node {
	var sites []ast.Node
	ins(pass).Preorder([]ast.Node{(*ast.CompositeLit)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if isHTTPServerLit(pass, n) {
				sites = append(sites, n)
			} else if clients && n.Type != nil && pkgSel(pass, fileOf(pass, n.Pos()), n.Type, pkgHTTP, "Client") {
				sites = append(sites, n)
			}
		case *ast.CallExpr:
			f := fileOf(pass, n.Pos())
			if pkgCall(pass, f, n, pkgHTTP, "ListenAndServe", "ListenAndServeTLS") ||
				pkgCall(pass, f, n, pkgGin, "New", "Default") || pkgCall(pass, f, n, pkgEcho, "New") ||
				pkgCall(pass, f, n, pkgChi, "NewRouter") || pkgCall(pass, f, n, pkgKratos, "NewServer") {
				sites = append(sites, n)
			}
		}
	})
	return sites
}

func importsPrefix(pass *analysis.Pass, prefix string) *ast.ImportSpec {
	for _, f := range pass.Files {
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, prefix) {
				return imp
			}
		}
	}
	return nil
}

var obs001 = newAnalyzer("OBS001", "no OpenTelemetry tracing on the server or the outbound client", func(pass *analysis.Pass) (any, error) {
	if imp := importsPrefix(pass, "go.opentelemetry.io/"); imp != nil {
		pass.Report(analysis.Diagnostic{Pos: imp.Pos(), Category: evidence, Message: "imports OpenTelemetry"})
		return nil, nil
	}
	for _, s := range serverSites(pass, true) {
		pass.Reportf(s.Pos(), "no OpenTelemetry tracing in this module: requests cannot be traced across services; wrap the handler in otelhttp.NewHandler and the client transport in otelhttp.NewTransport")
	}
	return nil, nil
})

var obs002 = newAnalyzer("OBS002", "circuit breaker whose state is not exported as a metric", func(pass *analysis.Pass) (any, error) {
	ins(pass).Preorder([]ast.Node{(*ast.CompositeLit)(nil)}, func(n ast.Node) {
		lit := n.(*ast.CompositeLit)
		if lit.Type == nil {
			return
		}
		t := lit.Type
		if ix, ok := t.(*ast.IndexExpr); ok {
			t = ix.X
		}
		if !pkgSel(pass, fileOf(pass, lit.Pos()), t, pkgBreaker, "Settings") {
			return
		}
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "OnStateChange" {
					return
				}
			}
		}
		pass.Reportf(lit.Pos(), "circuit breaker state is not exported: nobody sees it trip; set OnStateChange to update a circuit_breaker_state gauge")
	})
	return nil, nil
})

var obs003 = newAnalyzer("OBS003", "database pool without pool statistics exported", func(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "otelsql") || p == "gorm.io/plugin/prometheus" || strings.Contains(p, "pgxpoolprometheus") {
				pass.Report(analysis.Diagnostic{Pos: imp.Pos(), Category: evidence, Message: "pool instrumentation"})
			}
		}
	}
	ins(pass).Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		f := fileOf(pass, call.Pos())
		switch {
		case pkgCall(pass, f, call, pkgSQL, "Open", "OpenDB", "Connect", "MustConnect"),
			pkgCall(pass, f, call, pkgGorm, "Open"),
			pkgCall(pass, f, call, pkgPgxpool, "New", "NewWithConfig", "Connect", "ConnectConfig"):
			pass.Reportf(call.Pos(), "database pool statistics are not exported: pool exhaustion is invisible; register collectors.NewDBStatsCollector (or export Stats() as gauges)")
		case len(call.Args) == 0 && (methodName(call) == "Stats" || methodName(call) == "Stat"),
			methodName(call) == "NewDBStatsCollector":
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), Category: evidence, Message: "pool stats"})
		}
	})
	return nil, nil
})

var requestIDHeaders = []string{"x-request-id", "x-correlation-id", "request-id"}

var obs004 = newAnalyzer("OBS004", "no request-ID propagation", func(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		if importName(f, "github.com/gin-contrib/requestid") != "" {
			pass.Report(analysis.Diagnostic{Pos: f.Pos(), Category: evidence, Message: "gin requestid"})
		}
	}
	ins(pass).Preorder([]ast.Node{(*ast.BasicLit)(nil), (*ast.SelectorExpr)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return
			}
			if s, err := strconv.Unquote(n.Value); err == nil && contains(requestIDHeaders, strings.ToLower(s)) {
				pass.Report(analysis.Diagnostic{Pos: n.Pos(), Category: evidence, Message: "request id header"})
			}
		case *ast.SelectorExpr:
			if pkgSel(pass, fileOf(pass, n.Pos()), n, pkgReqID, "RequestID") {
				pass.Report(analysis.Diagnostic{Pos: n.Pos(), Category: evidence, Message: "request id middleware"})
			}
		}
	})
	for _, s := range serverSites(pass, false) {
		pass.Reportf(s.Pos(), "no request-ID propagation: logs cannot be correlated across services; accept or generate X-Request-ID in a middleware, echo it, and log it")
	}
	return nil, nil
})
