package main

import (
	"go/ast"
	"go/token"
	"go/types"
	"regexp"

	"golang.org/x/tools/go/analysis"
)

// ---- HEALTH001: a package-level health result that is never reset ----

// resultWords tell a result (readyResult, healthStatus, lastHealth) from the
// thing that computes one (healthChecker), by the name or the type's name.
var resultWords = regexp.MustCompile(`(?i)result|status|state|report|resp|cache|last|ok$`)

func isResult(pass *analysis.Pass, id *ast.Ident) bool {
	if resultWords.MatchString(id.Name) {
		return true
	}
	obj := pass.TypesInfo.Defs[id]
	return obj != nil && resultWords.MatchString(types.TypeString(obj.Type(), func(*types.Package) string { return "" }))
}

// pkgResult is what one package-level variable named like a health or
// readiness result goes through in the package's functions.
type pkgResult struct {
	decl     *ast.Ident
	assigned bool // set to a computed value inside a function
	guarded  bool // compared with nil: "use the cached one"
	reset    bool // set back to nil/zero somewhere
	timed    bool // a function that guards or sets it looks at the clock
	once     bool // set inside a sync.Once's Do: computed once for good
}

// pkgLevelHealthResults reports package-level health/readiness results that
// are computed once and then served forever: a var set inside a function,
// either under a nil guard with no clock check and never set back to nil,
// or inside a sync.Once's Do. A dead dependency then stays "healthy" until
// the process restarts.
func pkgLevelHealthResults(pass *analysis.Pass) {
	vars := map[string]*pkgResult{}
	var order []string
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.Name != "_" && healthWords.MatchString(id.Name) && isResult(pass, id) {
						vars[id.Name] = &pkgResult{decl: id}
						order = append(order, id.Name)
					}
				}
			}
		}
	}
	if len(vars) == 0 {
		return
	}
	// ref returns the package-level result e names (not a local that
	// shadows it, when types are known).
	ref := func(e ast.Expr) *pkgResult {
		id, ok := ast.Unparen(e).(*ast.Ident)
		if !ok {
			return nil
		}
		r := vars[id.Name]
		if r == nil {
			return nil
		}
		if obj := pass.TypesInfo.Uses[id]; obj != nil && obj != pass.TypesInfo.Defs[r.decl] {
			return nil
		}
		return r
	}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			var touched []*pkgResult
			timed := false
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						if r := ref(l); r != nil && len(n.Rhs) == len(n.Lhs) {
							if nilExpr(pass, n.Rhs[i]) || zeroLit(pass, n.Rhs[i]) {
								r.reset = true
							} else {
								r.assigned = true
								touched = append(touched, r)
							}
						} else if r != nil {
							r.assigned = true
							touched = append(touched, r)
						}
					}
				case *ast.BinaryExpr:
					if n.Op == token.EQL || n.Op == token.NEQ {
						for _, pair := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
							if r := ref(pair[0]); r != nil && nilExpr(pass, pair[1]) {
								r.guarded = true
								touched = append(touched, r)
							}
						}
					}
				case *ast.CallExpr:
					switch methodName(n) {
					case "Since", "Until", "Now", "After", "Before", "Sub", "Expired", "Unix", "UnixNano":
						timed = true
					case "Do":
						if len(n.Args) == 1 {
							if lit, ok := n.Args[0].(*ast.FuncLit); ok {
								markOnce(lit, ref)
							}
						}
					}
				}
				return true
			})
			if timed {
				for _, r := range touched {
					r.timed = true
				}
			}
		}
	}
	for _, name := range order {
		r := vars[name]
		switch {
		case r.once:
			pass.Reportf(r.decl.Pos(), "package-level %s is computed once (sync.Once) and never recomputed: a dead dependency stays healthy; recompute it after a TTL of a few seconds", name)
		case r.assigned && r.guarded && !r.reset && !r.timed:
			pass.Reportf(r.decl.Pos(), "package-level %s is cached and never reset: a dead dependency stays healthy; keep the time it was computed and recompute it after a few seconds", name)
		}
	}
}

// markOnce marks the results assigned inside a sync.Once's Do function.
func markOnce(lit *ast.FuncLit, ref func(ast.Expr) *pkgResult) {
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if r := ref(l); r != nil {
					r.once = true
				}
			}
		}
		return true
	})
}

// nilExpr: nil, by type when types are known, else by name.
func nilExpr(pass *analysis.Pass, e ast.Expr) bool {
	if isNil(pass, e) {
		return true
	}
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == "nil" && pass.TypesInfo.Uses[id] == nil
}
