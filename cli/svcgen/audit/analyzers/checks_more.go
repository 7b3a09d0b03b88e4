package main

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// ---- CNT001 ----

var pkgAtomic = []string{"sync/atomic"}

type counterUse struct {
	incs  int
	other bool
}

var cnt001 = newAnalyzer("CNT001", "increment-only counter declared int64/atomic.Int64", func(pass *analysis.Pass) (any, error) {
	cands := map[types.Object]*counterUse{}
	for id, obj := range pass.TypesInfo.Defs {
		v, ok := obj.(*types.Var)
		if !ok || id == nil || v.Pkg() != pass.Pkg {
			continue
		}
		if !v.IsField() && v.Parent() != pass.Pkg.Scope() {
			continue
		}
		if isInt64(v.Type()) || namedIs(v.Type(), "sync/atomic", "Int64") {
			if _, ptr := v.Type().(*types.Pointer); !ptr {
				cands[v] = &counterUse{}
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	ins(pass).WithStack([]ast.Node{(*ast.Ident)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		id := n.(*ast.Ident)
		use, ok := cands[pass.TypesInfo.Uses[id]]
		if !ok {
			return true
		}
		classify(pass, stack, use)
		return true
	})
	for obj, use := range cands {
		if use.incs > 0 && !use.other {
			t := "uint64"
			if !isInt64(obj.Type()) {
				t = "atomic.Uint64"
			}
			pass.Reportf(obj.Pos(), "%s is only ever incremented but is signed; declare it %s (or a prometheus.Counter)", obj.Name(), t)
		}
	}
	return nil, nil
})

func isInt64(t types.Type) bool {
	b, ok := types.Unalias(t).(*types.Basic)
	return ok && b.Kind() == types.Int64
}

// use kinds of a counter candidate.
const (
	useRead = iota
	useInc
	useOther
)

func (u *counterUse) add(kind int) {
	switch kind {
	case useInc:
		u.incs++
	case useOther:
		u.other = true
	}
}

// classify records how the identifier at the top of stack is used.
func classify(pass *analysis.Pass, stack []ast.Node, use *counterUse) {
	i := len(stack) - 1
	e := stack[i].(ast.Expr)
	if i > 0 {
		if sel, ok := stack[i-1].(*ast.SelectorExpr); ok && sel.Sel == e {
			e, i = sel, i-1
		}
	}
	if i == 0 {
		return
	}
	var outer ast.Node
	if i >= 2 {
		outer = stack[i-2]
	}
	use.add(useKind(pass, e, stack[i-1], outer))
}

func useKind(pass *analysis.Pass, e ast.Expr, parent, outer ast.Node) int {
	switch p := parent.(type) {
	case *ast.IncDecStmt:
		if p.Tok == token.INC {
			return useInc
		}
		return useOther
	case *ast.AssignStmt:
		return assignKind(pass, e, p)
	case *ast.UnaryExpr:
		if p.Op != token.AND {
			return useRead
		}
		call, ok := outer.(*ast.CallExpr)
		if !ok {
			return useOther
		}
		return atomicFuncKind(pass, call)
	case *ast.SelectorExpr:
		if p.X != e {
			return useRead
		}
		call, ok := outer.(*ast.CallExpr)
		if !ok || call.Fun != p {
			return useOther
		}
		return methodKind(pass, p.Sel.Name, call)
	}
	return useRead
}

func assignKind(pass *analysis.Pass, e ast.Expr, as *ast.AssignStmt) int {
	for _, l := range as.Lhs {
		if l != e {
			continue
		}
		if as.Tok == token.ADD_ASSIGN && len(as.Rhs) == 1 && positiveConst(pass, as.Rhs[0]) {
			return useInc
		}
		return useOther
	}
	return useRead
}

func atomicFuncKind(pass *analysis.Pass, call *ast.CallExpr) int {
	f := fileOf(pass, call.Pos())
	switch {
	case pkgCall(pass, f, call, pkgAtomic, "AddInt64") && len(call.Args) == 2 && positiveConst(pass, call.Args[1]):
		return useInc
	case pkgCall(pass, f, call, pkgAtomic, "LoadInt64"):
		return useRead
	}
	return useOther
}

func methodKind(pass *analysis.Pass, name string, call *ast.CallExpr) int {
	switch {
	case name == "Add" && len(call.Args) == 1 && positiveConst(pass, call.Args[0]):
		return useInc
	case name == "Load":
		return useRead
	}
	return useOther
}

// ---- GO001 ----

var (
	pkgTime   = []string{"time"}
	stopNames = regexp.MustCompile(`(?i)stop|quit|done|close|shutdown|exit|cancel`)
)

var go001 = withFacts(newAnalyzer("GO001", "goroutine loop without ctx.Done()/stop case; time.NewTicker without Stop", func(pass *analysis.Pass) (any, error) {
	decls := map[types.Object]*ast.FuncDecl{}
	byName := map[string]*ast.FuncDecl{}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if obj := pass.TypesInfo.Defs[fd.Name]; obj != nil {
					decls[obj] = fd
				}
				if fd.Recv == nil {
					byName[fd.Name.Name] = fd
				}
			}
		}
	}
	exportEndlessLoops(pass, decls)
	seen := map[ast.Node]bool{}
	ins(pass).Preorder([]ast.Node{(*ast.GoStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.GoStmt:
			var body *ast.BlockStmt
			switch fn := ast.Unparen(n.Call.Fun).(type) {
			case *ast.FuncLit:
				body = fn.Body
			default:
				if obj := typeutil.Callee(pass.TypesInfo, n.Call); obj != nil {
					var fact endlessLoop
					if fd := decls[obj]; fd != nil {
						body = fd.Body
					} else if obj.Pkg() != nil && obj.Pkg() != pass.Pkg && pass.ImportObjectFact(obj, &fact) {
						pass.Reportf(n.Pos(), "goroutine runs %s, whose loop (%s) never selects on ctx.Done() or a stop channel: it leaks on shutdown; pass a ctx and add case <-ctx.Done(): return", calleeName(obj), fact.At)
					}
				} else if id, ok := fn.(*ast.Ident); ok && byName[id.Name] != nil {
					body = byName[id.Name].Body
				}
			}
			if body != nil && !seen[body] {
				seen[body] = true
				checkLoops(pass, body)
			}
		case *ast.FuncDecl:
			if n.Body != nil {
				checkTickers(pass, n.Body)
			}
		case *ast.FuncLit:
			checkTickers(pass, n.Body)
		}
	})
	return nil, nil
}), new(endlessLoop))

func checkLoops(pass *analysis.Pass, body *ast.BlockStmt) {
	for _, d := range loopProblems(body) {
		pass.Report(d)
	}
}

// loopProblems are the loops of body that nothing can end: a for without a
// condition, a stop case or an exit, and a range over a ticker's channel.
func loopProblems(body *ast.BlockStmt) []analysis.Diagnostic {
	var out []analysis.Diagnostic
	walkNoFuncLit(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ForStmt:
			if n.Cond == nil && !stops(n.Body) && !hasExit(n.Body, 0) {
				out = append(out, analysis.Diagnostic{Pos: n.Pos(), Message: "goroutine loop never selects on ctx.Done() or a stop channel: it leaks on shutdown; add case <-ctx.Done(): return"})
			}
		case *ast.RangeStmt:
			if sel, ok := ast.Unparen(n.X).(*ast.SelectorExpr); ok && sel.Sel.Name == "C" {
				out = append(out, analysis.Diagnostic{Pos: n.Pos(), Message: "ranging over a ticker channel never ends: it leaks on shutdown; select on the ticker and ctx.Done()"})
			}
		}
		return true
	})
	return out
}

// endlessLoop is GO001's fact about a function of another package: its body
// runs a loop that nothing can end, so `go pkg.F(...)` leaks a goroutine.
type endlessLoop struct {
	At string // file:line of the loop
}

func (*endlessLoop) AFact() {}

func (f *endlessLoop) String() string { return "endlessLoop(" + f.At + ")" }

// calleeName is pkg.F, or pkg.T.M for a method.
func calleeName(obj types.Object) string {
	name := obj.Pkg().Name() + "."
	if fn, ok := obj.(*types.Func); ok {
		if recv := fn.Signature().Recv(); recv != nil {
			t := recv.Type()
			if p, ok := t.(*types.Pointer); ok {
				t = p.Elem()
			}
			if n, ok := t.(*types.Named); ok {
				name += n.Obj().Name() + "."
			}
		}
	}
	return name + obj.Name()
}

// exportEndlessLoops records an endlessLoop fact for every function of this
// package whose own body has a loop that never ends.
func exportEndlessLoops(pass *analysis.Pass, decls map[types.Object]*ast.FuncDecl) {
	for obj, fd := range decls {
		if probs := loopProblems(fd.Body); len(probs) > 0 {
			pos := pass.Fset.Position(probs[0].Pos)
			pass.ExportObjectFact(obj, &endlessLoop{At: filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)})
		}
	}
}

// stops reports whether a loop body can end the loop on a signal: a select
// case on X.Done() or a stop-like channel, a ctx.Err() check, or a receive
// from a stop-like channel.
func stops(body *ast.BlockStmt) bool {
	found := false
	walkNoFuncLit(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.UnaryExpr:
			if n.Op == token.ARROW && stopChan(n.X) {
				found = true
			}
		case *ast.CallExpr:
			if m := methodName(n); m == "Err" {
				found = true
			}
		}
		return !found
	})
	return found
}

// hasExit reports whether a loop body can leave the loop: a return, a goto,
// a labeled break, or a plain break outside nested loops/switches/selects.
func hasExit(n ast.Node, depth int) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if found || m == nil || m == n {
			return !found
		}
		switch m := m.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = true
		case *ast.BranchStmt:
			if m.Tok == token.GOTO || (m.Tok == token.BREAK && (m.Label != nil || depth == 0)) {
				found = true
			}
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			if hasExit(m, depth+1) {
				found = true
			}
			return false
		}
		return !found
	})
	return found
}

func stopChan(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		m := methodName(e)
		return m == "Done" || stopNames.MatchString(m)
	case *ast.SelectorExpr:
		return stopNames.MatchString(e.Sel.Name)
	case *ast.Ident:
		return stopNames.MatchString(e.Name)
	}
	return false
}

func checkTickers(pass *analysis.Pass, body *ast.BlockStmt) {
	walkNoFuncLit(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
		if !ok || !pkgCall(pass, fileOf(pass, call.Pos()), call, pkgTime, "NewTicker") {
			return true
		}
		id, ok := as.Lhs[0].(*ast.Ident)
		if !ok || id.Name == "_" {
			return true
		}
		if !stopsTicker(body, id.Name) {
			pass.Reportf(call.Pos(), "time.NewTicker without %s.Stop(): the ticker is never released; add defer %s.Stop()", id.Name, id.Name)
		}
		return true
	})
}

func stopsTicker(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			// t.Stop(), or the ticker handed to someone else (their job).
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Stop" && isIdent(sel.X, name) {
				found = true
			}
			found = found || anyIdent(n.Args, name)
		case *ast.ReturnStmt:
			found = found || anyIdent(n.Results, name)
		}
		return !found
	})
	return found
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == name
}

func anyIdent(list []ast.Expr, name string) bool {
	for _, e := range list {
		if isIdent(e, name) {
			return true
		}
	}
	return false
}

// ---- REC001 ----

var (
	pkgDebug = []string{"runtime/debug"}
	pkgFmt   = []string{"fmt"}
	logNames = regexp.MustCompile(`^(Print|Printf|Println|Fatal|Fatalf|Fatalln|Panic|Panicf|Debug|Debugf|Debugw|Info|Infof|Infow|Warn|Warnf|Warnw|Warning|Error|Errorf|Errorw|Log|LogAttrs|DebugContext|InfoContext|WarnContext|ErrorContext|With|WithField|WithFields|Any|Str|Interface)$`)
)

var rec001 = newAnalyzer("REC001", "recovery writes debug.Stack()/the panic value to the response; request headers logged unfiltered", func(pass *analysis.Pass) (any, error) {
	ins(pass).Preorder([]ast.Node{(*ast.FuncLit)(nil), (*ast.FuncDecl)(nil)}, func(n ast.Node) {
		var body *ast.BlockStmt
		switch n := n.(type) {
		case *ast.FuncLit:
			body = n.Body
		case *ast.FuncDecl:
			body = n.Body
		}
		if body != nil {
			checkRecover(pass, body)
		}
	})
	ins(pass).Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || !logNames.MatchString(sel.Sel.Name) || !loggerish(sel.X) {
			return
		}
		for _, a := range call.Args {
			if h, ok := ast.Unparen(a).(*ast.SelectorExpr); ok && h.Sel.Name == "Header" && isHeader(pass, h) {
				pass.Reportf(h.Pos(), "%s logs every request header (Authorization, Cookie); log an allow-list of headers instead", exprString(h))
			}
		}
	})
	return nil, nil
})

func isHeader(pass *analysis.Pass, e *ast.SelectorExpr) bool {
	if t := pass.TypesInfo.TypeOf(e); t != nil {
		return namedIs(t, "net/http", "Header")
	}
	return true
}

func loggerish(x ast.Expr) bool {
	s := strings.ToLower(exprString(x))
	return strings.Contains(s, "log") || s == "slog" || strings.HasSuffix(s, "zap") || s == "l" || s == "sugar"
}

const recoverName = "recover"

func isRecoverCall(e ast.Expr) bool {
	c, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, ok := c.Fun.(*ast.Ident)
	return ok && fn.Name == recoverName
}

// recoverVars finds the variables holding recover()'s and debug.Stack()'s
// results; ok is false when body never calls recover().
func recoverVars(pass *analysis.Pass, body *ast.BlockStmt) (recVars, stackVars map[string]bool, ok bool) {
	recVars, stackVars = map[string]bool{}, map[string]bool{}
	walkNoFuncLit(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			ok = ok || isRecoverCall(n)
		case *ast.AssignStmt:
			noteAssigned(pass, n, recVars, stackVars)
		}
		return true
	})
	return recVars, stackVars, ok
}

func noteAssigned(pass *analysis.Pass, as *ast.AssignStmt, recVars, stackVars map[string]bool) {
	if len(as.Lhs) != len(as.Rhs) {
		return
	}
	for i, r := range as.Rhs {
		id, isID := as.Lhs[i].(*ast.Ident)
		if !isID {
			continue
		}
		if isRecoverCall(r) {
			recVars[id.Name] = true
		}
		if c, isCall := ast.Unparen(r).(*ast.CallExpr); isCall && pkgCall(pass, fileOf(pass, c.Pos()), c, pkgDebug, "Stack") {
			stackVars[id.Name] = true
		}
	}
}

func checkRecover(pass *analysis.Pass, body *ast.BlockStmt) {
	recVars, stackVars, ok := recoverVars(pass, body)
	if !ok {
		return
	}
	walkNoFuncLit(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || !writesResponse(pass, call) {
			return true
		}
		for _, a := range call.Args {
			if leak := leaks(pass, a, recVars, stackVars); leak != "" {
				pass.Reportf(a.Pos(), "the response carries %s: it leaks internals to the client; log it server-side and write a generic 500", leak)
				break
			}
		}
		return true
	})
}

func writesResponse(pass *analysis.Pass, call *ast.CallExpr) bool {
	f := fileOf(pass, call.Pos())
	if pkgCall(pass, f, call, pkgHTTP, "Error") {
		return true
	}
	if pkgCall(pass, f, call, pkgFmt, "Fprintf", "Fprint", "Fprintln") || pkgCall(pass, f, call, pkgIO, "WriteString") {
		return len(call.Args) > 0 && isResponse(pass, call.Args[0], false)
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	switch sel.Sel.Name {
	case "Write", "WriteString":
		return isResponse(pass, sel.X, false)
	case "JSON", "String", "AbortWithStatusJSON", "Data", "HTML", "IndentedJSON":
		return isResponse(pass, sel.X, true)
	}
	return false
}

// isResponse: e is an http.ResponseWriter (or, with framework, a gin/echo context).
func isResponse(pass *analysis.Pass, e ast.Expr, framework bool) bool {
	t := pass.TypesInfo.TypeOf(e)
	if t == nil {
		name := exprString(e)
		if framework {
			return name == "c" || name == "ctx"
		}
		return name == "w" || name == "rw" || name == "writer"
	}
	if framework {
		return namedIs(t, "github.com/gin-gonic/gin", "Context") || namedIs(t, "github.com/labstack/echo/v4", "Context")
	}
	ms := types.NewMethodSet(t)
	if _, ok := t.Underlying().(*types.Interface); !ok {
		ms = types.NewMethodSet(types.NewPointer(t))
	}
	has := func(name string) bool { return ms.Lookup(nil, name) != nil }
	return has("Header") && has("Write") && has("WriteHeader")
}

func leaks(pass *analysis.Pass, e ast.Expr, recVars, stackVars map[string]bool) string {
	leak := ""
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if recVars[n.Name] {
				leak = "the panic value"
			} else if stackVars[n.Name] {
				leak = "the stack trace"
			}
		case *ast.CallExpr:
			if pkgCall(pass, fileOf(pass, n.Pos()), n, pkgDebug, "Stack") {
				leak = "the stack trace"
			}
			if isRecoverCall(n) {
				leak = "the panic value"
			}
		}
		return leak == ""
	})
	return leak
}

// ---- LOG001 ----

var (
	pkgLog    = []string{"log"}
	pkgZap    = []string{"go.uber.org/zap"}
	logrusPkg = regexp.MustCompile(`^github\.com/[sS]irupsen/logrus(/.*)?$`)
)

var log001 = newAnalyzer("LOG001", "logrus, zap's sugared global or log.Printf outside main (the fleet logs with log/slog)", func(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Name() == "main" {
		return nil, nil
	}
	for _, f := range pass.Files {
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); logrusPkg.MatchString(p) {
				pass.Reportf(imp.Pos(), "logrus is deprecated in the fleet; log with log/slog")
			}
		}
	}
	ins(pass).Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		f := fileOf(pass, call.Pos())
		switch {
		case pkgCall(pass, f, call, pkgLog, "Print", "Printf", "Println", "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln"):
			pass.Reportf(call.Pos(), "%s writes unstructured text outside main; use a *slog.Logger passed in", exprString(call.Fun))
		case pkgCall(pass, f, call, pkgZap, "S"):
			pass.Reportf(call.Pos(), "zap.S() is a process-global sugared logger; use a *slog.Logger passed in")
		case methodName(call) == "Sugar":
			if inner, ok := ast.Unparen(call.Fun.(*ast.SelectorExpr).X).(*ast.CallExpr); ok && pkgCall(pass, f, inner, pkgZap, "L") {
				pass.Reportf(call.Pos(), "zap.L().Sugar() is a process-global sugared logger; use a *slog.Logger passed in")
			}
		}
	})
	return nil, nil
})

// ---- ERR001 ----

var err001 = newAnalyzer("ERR001", "fmt.Errorf formatting an error with %v/%s; err == ErrX instead of errors.Is", func(pass *analysis.Pass) (any, error) {
	ins(pass).WithStack([]ast.Node{(*ast.CallExpr)(nil), (*ast.BinaryExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if !pkgCall(pass, fileOf(pass, n.Pos()), n, pkgFmt, "Errorf") || len(n.Args) < 2 {
				return true
			}
			format, ok := stringConst(pass, n.Args[0])
			if !ok {
				return true
			}
			verbs, ok := parseVerbs(format)
			if !ok {
				return true
			}
			for i, v := range verbs {
				if i+1 >= len(n.Args) {
					break
				}
				arg := n.Args[i+1]
				if (v == 'v' || v == 's') && isError(pass.TypesInfo.TypeOf(arg)) {
					pass.Reportf(arg.Pos(), "error formatted with %%%c loses its chain; wrap it with %%w so errors.Is/As see it", v)
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				return true
			}
			if inIsMethod(stack) {
				return true
			}
			for _, pair := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
				if sentinel(pass, pair[1]) && isError(pass.TypesInfo.TypeOf(pair[0])) && !isNil(pass, pair[0]) {
					pass.Reportf(n.Pos(), "%s compares errors by identity and misses wrapped ones; use errors.Is(%s, %s)", exprString(n), exprString(pair[0]), exprString(pair[1]))
					return true
				}
			}
		}
		return true
	})
	return nil, nil
})

func isNil(pass *analysis.Pass, e ast.Expr) bool {
	tv, ok := pass.TypesInfo.Types[e]
	return ok && tv.IsNil()
}

// sentinel: a package-level variable of an error type.
func sentinel(pass *analysis.Pass, e ast.Expr) bool {
	var id *ast.Ident
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		id = e
	case *ast.SelectorExpr:
		id = e.Sel
	default:
		return false
	}
	v, ok := pass.TypesInfo.Uses[id].(*types.Var)
	return ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() && isError(v.Type())
}

func inIsMethod(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		if fd, ok := stack[i].(*ast.FuncDecl); ok {
			return fd.Recv != nil && fd.Name.Name == "Is"
		}
	}
	return false
}

// parseVerbs returns the verb of each argument-consuming directive; false
// when the format uses explicit argument indexes or '*'.
func parseVerbs(format string) ([]rune, bool) {
	var verbs []rune
	rs := []rune(format)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '%' {
			continue
		}
		i++
		for i < len(rs) && strings.ContainsRune("+-# 0123456789.", rs[i]) {
			i++
		}
		if i >= len(rs) {
			break
		}
		if rs[i] == '[' || rs[i] == '*' {
			return nil, false
		}
		if rs[i] == '%' {
			continue
		}
		verbs = append(verbs, rs[i])
	}
	return verbs, true
}
