package main

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

var versionSuffix = regexp.MustCompile(`^v[0-9]+$`)

// importName is the name under which file imports pkgPath, or "".
func importName(f *ast.File, pkgPath string) string {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != pkgPath {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		base := path.Base(p)
		if versionSuffix.MatchString(base) {
			base = path.Base(path.Dir(p))
		}
		base = strings.TrimPrefix(base, "go-")
		if i := strings.IndexAny(base, ".-"); i > 0 {
			base = base[:i]
		}
		return base
	}
	return ""
}

// pkgSel reports whether e is pkg.Name for one of names, with pkg one of
// pkgPaths: by type information when present, else by the file's imports.
func pkgSel(pass *analysis.Pass, f *ast.File, e ast.Expr, pkgPaths []string, names ...string) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || !contains(names, sel.Sel.Name) {
		return false
	}
	if obj := pass.TypesInfo.Uses[sel.Sel]; obj != nil {
		return obj.Pkg() != nil && contains(pkgPaths, obj.Pkg().Path()) && isPkgLevel(obj)
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok || f == nil {
		return false
	}
	if obj := pass.TypesInfo.Uses[x]; obj != nil {
		pn, ok := obj.(*types.PkgName)
		return ok && contains(pkgPaths, pn.Imported().Path())
	}
	for _, p := range pkgPaths {
		if name := importName(f, p); name != "" && name == x.Name {
			return true
		}
	}
	return false
}

func isPkgLevel(obj types.Object) bool {
	return obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() || isFunc(obj)
}

func isFunc(obj types.Object) bool {
	fn, ok := obj.(*types.Func)
	return ok && fn.Type().(*types.Signature).Recv() == nil
}

// pkgCall reports whether call calls pkg.Name (see pkgSel).
func pkgCall(pass *analysis.Pass, f *ast.File, call *ast.CallExpr, pkgPaths []string, names ...string) bool {
	return pkgSel(pass, f, call.Fun, pkgPaths, names...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func ins(pass *analysis.Pass) *inspector.Inspector {
	return pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
}

// fileOf is the file of pass that contains pos.
func fileOf(pass *analysis.Pass, pos token.Pos) *ast.File {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

func filename(pass *analysis.Pass, pos token.Pos) string {
	return pass.Fset.Position(pos).Filename
}

// inDir reports whether the file at pos lies under a directory named one of dirs.
func inDir(pass *analysis.Pass, pos token.Pos, dirs ...string) bool {
	parts := strings.Split(strings.ReplaceAll(filename(pass, pos), "\\", "/"), "/")
	for _, p := range parts[:max(len(parts)-1, 0)] {
		if contains(dirs, p) {
			return true
		}
	}
	return false
}

// methodName is the method name of a call x.M(...), or "".
func methodName(call *ast.CallExpr) string {
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		return sel.Sel.Name
	}
	return ""
}

// positiveConst reports whether e is a constant > 0.
func positiveConst(pass *analysis.Pass, e ast.Expr) bool {
	if tv, ok := pass.TypesInfo.Types[e]; ok && tv.Value != nil {
		return constant.Sign(tv.Value) > 0
	}
	if lit, ok := ast.Unparen(e).(*ast.BasicLit); ok && lit.Kind == token.INT {
		v, err := strconv.ParseInt(lit.Value, 0, 64)
		return err == nil && v > 0
	}
	return false
}

// zeroLit reports whether e is the literal 0 (or a constant 0).
func zeroLit(pass *analysis.Pass, e ast.Expr) bool {
	if tv, ok := pass.TypesInfo.Types[e]; ok && tv.Value != nil {
		return constant.Sign(tv.Value) == 0
	}
	lit, ok := ast.Unparen(e).(*ast.BasicLit)
	return ok && lit.Kind == token.INT && lit.Value == "0"
}

// stringConst returns the constant string value of e.
func stringConst(pass *analysis.Pass, e ast.Expr) (string, bool) {
	if tv, ok := pass.TypesInfo.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value), true
	}
	if lit, ok := ast.Unparen(e).(*ast.BasicLit); ok && lit.Kind == token.STRING {
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	return "", false
}

// walkNoFuncLit visits n's subtree without descending into function literals.
func walkNoFuncLit(n ast.Node, visit func(ast.Node) bool) {
	ast.Inspect(n, func(m ast.Node) bool {
		if m == nil {
			return false
		}
		if _, ok := m.(*ast.FuncLit); ok && m != n {
			return false
		}
		return visit(m)
	})
}

var errorType = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)

func isError(t types.Type) bool {
	return t != nil && types.Implements(t, errorType)
}

// namedIs reports whether t (or *t) is the named type pkgPath.name.
func namedIs(t types.Type, pkgPath, name string) bool {
	if t == nil {
		return false
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	return n.Obj().Pkg().Path() == pkgPath && n.Obj().Name() == name
}

var requiresInspect = []*analysis.Analyzer{inspect.Analyzer}
