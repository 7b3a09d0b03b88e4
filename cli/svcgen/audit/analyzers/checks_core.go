package main

import (
	"go/ast"
	"go/types"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

func allChecks() []*check {
	return []*check{
		{analyzer: ctx001},
		{analyzer: auth001, needsTypes: true},
		{analyzer: auth002},
		{analyzer: body001, needsTypes: true},
		{analyzer: health001},
		{analyzer: cnt001, needsTypes: true},
		{analyzer: go001},
		{analyzer: rec001},
		{analyzer: log001},
		{analyzer: err001, needsTypes: true},
		{analyzer: srv001},
		{analyzer: obs001, module: true, firstOnly: true},
		{analyzer: obs002},
		{analyzer: obs003, module: true},
		{analyzer: obs004, module: true, firstOnly: true},
	}
}

// withFacts declares the fact types an analyzer exports and imports.
func withFacts(a *analysis.Analyzer, facts ...analysis.Fact) *analysis.Analyzer {
	a.FactTypes = facts
	return a
}

func newAnalyzer(name, doc string, run func(*analysis.Pass) (any, error)) *analysis.Analyzer {
	return &analysis.Analyzer{Name: name, Doc: doc, Run: run, Requires: requiresInspect}
}

var (
	pkgContext = []string{"context"}
	pkgHTTP    = []string{"net/http"}
	pkgIO      = []string{"io", "io/ioutil"}
)

// ---- CTX001 ----

var ctx001 = newAnalyzer("CTX001", "context.Background()/TODO() outside main, tests and examples/", func(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Name() == "main" {
		return nil, nil
	}
	ins(pass).Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		if inDir(pass, call.Pos(), "examples", "example") {
			return
		}
		if pkgCall(pass, fileOf(pass, call.Pos()), call, pkgContext, "Background", "TODO") {
			name := call.Fun.(*ast.SelectorExpr).Sel.Name
			pass.Reportf(call.Pos(), "context.%s() outside main drops the caller's cancellation and deadline", name)
		}
	})
	return nil, nil
})

// ---- AUTH001 ----

func isCommaOK(stack []ast.Node, e ast.Expr) bool {
	// stack ends with e; skip parens.
	i := len(stack) - 2
	for i >= 0 {
		if _, ok := stack[i].(*ast.ParenExpr); ok {
			i--
			continue
		}
		break
	}
	if i < 0 {
		return false
	}
	switch p := stack[i].(type) {
	case *ast.AssignStmt:
		return len(p.Lhs) == 2 && len(p.Rhs) == 1
	case *ast.ValueSpec:
		return len(p.Names) == 2 && len(p.Values) == 1
	}
	return false
}

func isStringAnyMap(t types.Type) bool {
	if t == nil {
		return false
	}
	m, ok := t.Underlying().(*types.Map)
	if !ok {
		return false
	}
	k, ok := m.Key().Underlying().(*types.Basic)
	if !ok || k.Kind() != types.String {
		return false
	}
	iface, ok := m.Elem().Underlying().(*types.Interface)
	return ok && iface.Empty()
}

func typeName(t types.Type) string {
	if t == nil {
		return ""
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

var auth001 = newAnalyzer("AUTH001", "unchecked type assertion on a claims map or map[string]any value", func(pass *analysis.Pass) (any, error) {
	ins(pass).WithStack([]ast.Node{(*ast.TypeAssertExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		ta := n.(*ast.TypeAssertExpr)
		if !push || ta.Type == nil || isCommaOK(stack, ta) {
			return true
		}
		x := ast.Unparen(ta.X)
		claims := false
		if idx, ok := x.(*ast.IndexExpr); ok && isStringAnyMap(pass.TypesInfo.TypeOf(idx.X)) {
			claims = true
		}
		if strings.Contains(typeName(pass.TypesInfo.TypeOf(x)), "Claims") ||
			strings.Contains(typeName(pass.TypesInfo.TypeOf(ta.Type)), "Claims") {
			claims = true
		}
		if claims {
			pass.Reportf(ta.Pos(), "type assertion without ok panics on a malformed claim; use v, ok := %s.(%s)", exprString(ta.X), exprString(ta.Type))
		}
		return true
	})
	return nil, nil
})

func exprString(e ast.Expr) string {
	return types.ExprString(e)
}

// ---- AUTH002 ----

var (
	jwtV5     = []string{"github.com/golang-jwt/jwt/v5"}
	jwtLegacy = regexp.MustCompile(`^(github\.com/dgrijalva/jwt-go(/.*)?|github\.com/golang-jwt/jwt(/v4)?)$`)
)

var auth002 = newAnalyzer("AUTH002", "golang-jwt parsing without expiration/method checks; legacy jwt modules", func(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if jwtLegacy.MatchString(p) {
				pass.Reportf(imp.Pos(), "%s is unmaintained or lacks v5's validation options; use github.com/golang-jwt/jwt/v5", p)
			}
		}
		if importName(f, jwtV5[0]) == "" {
			continue
		}
		// Options may be built apart from the call: look at the whole file.
		hasExp, hasMethods := false, false
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if pkgCall(pass, f, n, jwtV5, "WithExpirationRequired") {
					hasExp = true
				}
				if pkgCall(pass, f, n, jwtV5, "WithValidMethods") {
					hasMethods = true
				}
			case *ast.TypeAssertExpr:
				if sel, ok := n.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Method" {
					hasMethods = true
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !pkgCall(pass, f, call, jwtV5, "Parse", "ParseWithClaims", "NewParser") {
				return true
			}
			var missing []string
			if !hasExp {
				missing = append(missing, "jwt.WithExpirationRequired()")
			}
			if !hasMethods {
				missing = append(missing, "jwt.WithValidMethods(...)")
			}
			if len(missing) > 0 {
				pass.Reportf(call.Pos(), "JWT parsed without %s: tokens without exp or with another algorithm are accepted", strings.Join(missing, " and "))
			}
			return true
		})
	}
	return nil, nil
})

// ---- BODY001 ----

var body001 = newAnalyzer("BODY001", "io.ReadAll on an HTTP body without a size limit", func(pass *analysis.Pass) (any, error) {
	ins(pass).WithStack([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		call := n.(*ast.CallExpr)
		if !push || len(call.Args) != 1 || !pkgCall(pass, fileOf(pass, call.Pos()), call, pkgIO, "ReadAll") {
			return true
		}
		sel, ok := ast.Unparen(call.Args[0]).(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Body" {
			return true
		}
		xt := pass.TypesInfo.TypeOf(sel.X)
		if !namedIs(xt, "net/http", "Response") && !namedIs(xt, "net/http", "Request") {
			return true
		}
		if fn := enclosingFunc(stack); fn != nil && bodyWrapped(pass, fn, sel) {
			return true
		}
		pass.Reportf(call.Pos(), "io.ReadAll(%s) reads an unbounded body; wrap it in http.MaxBytesReader or io.LimitReader", exprString(sel))
		return true
	})
	return nil, nil
})

func enclosingFunc(stack []ast.Node) ast.Node {
	for i := len(stack) - 1; i >= 0; i-- {
		switch stack[i].(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return stack[i]
		}
	}
	return nil
}

// bodyWrapped: fn assigns body (same expression text) from a limiting call.
func bodyWrapped(pass *analysis.Pass, fn ast.Node, body *ast.SelectorExpr) bool {
	want := exprString(body)
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, l := range as.Lhs {
			if exprString(l) != want {
				continue
			}
			if c, ok := ast.Unparen(as.Rhs[i]).(*ast.CallExpr); ok && limiting(c) {
				found = true
			}
		}
		return true
	})
	return found
}

func limiting(c *ast.CallExpr) bool {
	var name string
	switch f := ast.Unparen(c.Fun).(type) {
	case *ast.SelectorExpr:
		name = f.Sel.Name
	case *ast.Ident:
		name = f.Name
	}
	return strings.Contains(strings.ToLower(name), "limit") || name == "MaxBytesReader"
}

// ---- HEALTH001 ----

var (
	goCache     = []string{"github.com/patrickmn/go-cache"}
	healthWords = regexp.MustCompile(`(?i)health|ready|readiness|liveness`)
)

var health001 = newAnalyzer("HEALTH001", "health or readiness result cached without expiry", func(pass *analysis.Pass) (any, error) {
	pkgLevelHealthResults(pass)
	ins(pass).Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		f := fileOf(pass, call.Pos())
		usesGoCache := f != nil && importName(f, goCache[0]) != ""
		if pkgCall(pass, f, call, goCache, "New") && len(call.Args) >= 1 && noExpiry(pass, f, call.Args[0]) {
			pass.Reportf(call.Args[0].Pos(), "cache created without a default expiration: cached health results never expire; give it a TTL of a few seconds")
			return
		}
		m := methodName(call)
		if (m != "Set" && m != "Add" && m != "Replace") || len(call.Args) != 3 || !noExpiry(pass, f, call.Args[2]) {
			return
		}
		key, isConst := stringConst(pass, call.Args[0])
		if usesGoCache || (isConst && healthWords.MatchString(key)) {
			pass.Reportf(call.Args[2].Pos(), "cached without expiry (0 = no expiration): a dead dependency stays healthy; cache for a few seconds (e.g. 5*time.Second)")
		}
	})
	return nil, nil
})

func noExpiry(pass *analysis.Pass, f *ast.File, e ast.Expr) bool {
	if pkgSel(pass, f, e, goCache, "NoExpiration") {
		return true
	}
	return zeroLit(pass, e)
}

// ---- SRV001 ----

var srv001 = newAnalyzer("SRV001", "http.Server without ReadHeaderTimeout; http.ListenAndServe with the default server", func(pass *analysis.Pass) (any, error) {
	ins(pass).WithStack([]ast.Node{(*ast.CompositeLit)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if pkgCall(pass, fileOf(pass, n.Pos()), n, pkgHTTP, "ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS") {
				pass.Reportf(n.Pos(), "%s uses a server with no timeouts; build an http.Server with ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout", exprString(n.Fun))
			}
		case *ast.CompositeLit:
			if !isHTTPServerLit(pass, n) {
				return true
			}
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "ReadHeaderTimeout" {
						return true
					}
				}
			}
			if fn := enclosingFunc(stack); fn != nil && assignsField(fn, "ReadHeaderTimeout") {
				return true
			}
			pass.Reportf(n.Pos(), "http.Server without ReadHeaderTimeout is open to slowloris; set ReadHeaderTimeout (e.g. 5*time.Second)")
		}
		return true
	})
	return nil, nil
})

func isHTTPServerLit(pass *analysis.Pass, lit *ast.CompositeLit) bool {
	if lit.Type == nil {
		return namedIs(pass.TypesInfo.TypeOf(lit), "net/http", "Server")
	}
	if t := pass.TypesInfo.TypeOf(lit.Type); t != nil {
		return namedIs(t, "net/http", "Server")
	}
	return pkgSel(pass, fileOf(pass, lit.Pos()), lit.Type, pkgHTTP, "Server")
}

func assignsField(fn ast.Node, field string) bool {
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == field {
					found = true
				}
			}
		}
		return !found
	})
	return found
}
