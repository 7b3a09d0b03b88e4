package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"
)

// check is one analyzer plus what the driver needs to know about it.
type check struct {
	analyzer   *analysis.Analyzer
	needsTypes bool
	// module: the check decides per module, not per package. Diagnostics in
	// the category "evidence" mean "this module does it"; any evidence in
	// the module drops every candidate. firstOnly keeps one candidate.
	module    bool
	firstOnly bool
}

// evidence is the diagnostic category of a module check's positive evidence.
const evidence = "evidence"

type finding struct {
	ID      string `json:"id"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

type skip struct {
	Package string   `json:"package"`
	Checks  []string `json:"checks"`
	Reason  string   `json:"reason"`
}

type report struct {
	Findings []finding `json:"findings"`
	Skipped  []skip    `json:"skipped"`
	Packages int       `json:"packages"`
}

type checkInfo struct {
	ID         string `json:"id"`
	Doc        string `json:"doc"`
	NeedsTypes bool   `json:"needs_types"`
}

func checkList(checks []*check) []checkInfo {
	out := make([]checkInfo, 0, len(checks))
	for _, c := range checks {
		out = append(out, checkInfo{ID: c.analyzer.Name, Doc: c.analyzer.Doc, NeedsTypes: c.needsTypes})
	}
	return out
}

// unit is one package to analyze: typed when its types loaded cleanly.
type unit struct {
	path  string
	name  string
	fset  *token.FileSet
	files []*ast.File
	pkg   *types.Package
	info  *types.Info
	typed bool
	why   string
	// imports are the paths this package imports (to analyze its
	// dependencies first, so their facts are known).
	imports []string
}

// collector gathers the findings of every unit; module checks are decided
// once all units ran.
type collector struct {
	root     string
	rep      *report
	cands    map[string][]finding
	evidence map[string]bool
	facts    factStore
}

func audit(ctx context.Context, dir string, checks []*check) (*report, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	units := load(ctx, root)
	col := &collector{
		root:     root,
		rep:      &report{Findings: []finding{}, Skipped: []skip{}, Packages: len(units)},
		cands:    map[string][]finding{},
		evidence: map[string]bool{},
		facts:    factStore{},
	}
	for _, u := range depOrder(units) {
		col.unit(u, checks)
	}
	col.finish(checks)
	return col.rep, nil
}

func (col *collector) unit(u *unit, checks []*check) {
	results := map[*analysis.Analyzer]any{}
	var skipped []string
	for _, c := range checks {
		if c.needsTypes && !u.typed {
			skipped = append(skipped, c.analyzer.Name)
			continue
		}
		for _, d := range runAnalyzer(c.analyzer, u, results, col.facts) {
			col.add(c, u, d)
		}
	}
	if len(skipped) > 0 {
		col.rep.Skipped = append(col.rep.Skipped, skip{Package: u.path, Checks: skipped, Reason: u.why})
	}
}

func (col *collector) add(c *check, u *unit, d analysis.Diagnostic) {
	id := c.analyzer.Name
	if d.Category == evidence {
		if c.module {
			col.evidence[id] = true
		}
		return
	}
	pos := u.fset.Position(d.Pos)
	rel, err := filepath.Rel(col.root, pos.Filename)
	if err != nil {
		rel = pos.Filename
	}
	f := finding{ID: id, File: filepath.ToSlash(rel), Line: pos.Line, Col: pos.Column, Message: d.Message}
	if c.module {
		col.cands[id] = append(col.cands[id], f)
	} else {
		col.rep.Findings = append(col.rep.Findings, f)
	}
}

func (col *collector) finish(checks []*check) {
	for _, c := range checks {
		id := c.analyzer.Name
		if !c.module || col.evidence[id] {
			continue
		}
		cands := col.cands[id]
		sortFindings(cands)
		if c.firstOnly && len(cands) > 1 {
			cands = cands[:1]
		}
		col.rep.Findings = append(col.rep.Findings, cands...)
	}
	sortFindings(col.rep.Findings)
}

func sortFindings(fs []finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.ID < b.ID
	})
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports | packages.NeedModule

// load returns the module's non-test packages. Packages whose types do not
// load come back untyped (syntax only); if go/packages fails altogether the
// module's files are parsed directly.
func load(ctx context.Context, root string) []*unit {
	cfg := &packages.Config{Context: ctx, Mode: loadMode, Dir: root, Tests: false, Env: os.Environ()}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil || len(pkgs) == 0 {
		why := "the packages could not be loaded"
		if err != nil {
			why = firstLine(err.Error())
		}
		return parseTree(root, why)
	}
	var units []*unit
	for _, p := range pkgs {
		if u := newUnit(p); u != nil {
			units = append(units, u)
		}
	}
	return units
}

// newUnit turns a loaded package into a unit: typed when it loaded cleanly,
// else syntax only (parsing its files if go/packages could not).
func newUnit(p *packages.Package) *unit {
	u := &unit{path: p.PkgPath, name: p.Name, fset: p.Fset, files: p.Syntax, pkg: p.Types, info: p.TypesInfo, typed: true}
	for path := range p.Imports {
		u.imports = append(u.imports, path)
	}
	sort.Strings(u.imports)
	if len(p.Errors) > 0 || p.IllTyped || p.Types == nil || p.TypesInfo == nil {
		u.typed = false
		u.why = "types unavailable"
		if len(p.Errors) > 0 {
			u.why = firstLine(p.Errors[0].Msg)
		}
	}
	if len(u.files) == 0 {
		u.fset = token.NewFileSet()
		u.files = parseFiles(u.fset, p.GoFiles)
	}
	if len(u.files) == 0 {
		return nil
	}
	if u.name == "" {
		u.name = u.files[0].Name.Name
	}
	if !u.typed {
		u.pkg = types.NewPackage(u.path, u.name)
		u.info = emptyInfo()
	}
	return u
}

func parseFiles(fset *token.FileSet, names []string) []*ast.File {
	var files []*ast.File
	for _, name := range names {
		if f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	return files
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func emptyInfo() *types.Info {
	return &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Implicits:  map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
}

// parseTree parses every non-test .go file of the module, one unit per
// directory, for the syntax-only checks.
func parseTree(root, why string) []*unit {
	fset := token.NewFileSet()
	byDir := map[string]*unit{}
	var order []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != root && skipDir(path) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, perr := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if perr != nil {
			return nil
		}
		dir := filepath.Dir(path)
		u, ok := byDir[dir]
		if !ok {
			rel, _ := filepath.Rel(root, dir)
			u = &unit{path: filepath.ToSlash(rel), name: f.Name.Name, fset: fset, info: emptyInfo(), why: why}
			u.pkg = types.NewPackage(u.path, u.name)
			byDir[dir] = u
			order = append(order, dir)
		}
		u.files = append(u.files, f)
		return nil
	})
	units := make([]*unit, 0, len(order))
	for _, d := range order {
		units = append(units, byDir[d])
	}
	return units
}

// skipDir: directories the go command ignores, and nested modules.
func skipDir(path string) bool {
	name := filepath.Base(path)
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" || name == "testdata" {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

// depOrder returns units with every package after the module packages it
// imports (load order otherwise), so that a check sees the facts its
// dependencies exported.
func depOrder(units []*unit) []*unit {
	byPath := make(map[string]*unit, len(units))
	for _, u := range units {
		byPath[u.path] = u
	}
	out := make([]*unit, 0, len(units))
	state := map[*unit]int{} // 1 visiting, 2 done
	var visit func(u *unit)
	visit = func(u *unit) {
		if state[u] != 0 {
			return // done, or an import cycle (the compiler rejects those)
		}
		state[u] = 1
		for _, path := range u.imports {
			if dep := byPath[path]; dep != nil {
				visit(dep)
			}
		}
		state[u] = 2
		out = append(out, u)
	}
	for _, u := range units {
		visit(u)
	}
	return out
}

// factStore holds the object facts exported while the module is analyzed,
// by analyzer and object. An object is named by its package path and full
// name, because a dependency's objects are distinct values (from export
// data) in the packages that import it.
type factStore map[string]analysis.Fact

func factKey(a *analysis.Analyzer, obj types.Object, fact analysis.Fact) string {
	name := obj.Name()
	if fn, ok := obj.(*types.Func); ok {
		name = fn.FullName()
	} else if obj.Pkg() != nil {
		name = obj.Pkg().Path() + "." + name
	}
	return a.Name + "|" + reflect.TypeOf(fact).String() + "|" + name
}

// runAnalyzer runs a (with its requirements) over one unit and returns its
// diagnostics. Object facts go through facts; package facts are not
// supported (no check uses them).
func runAnalyzer(a *analysis.Analyzer, u *unit, results map[*analysis.Analyzer]any, facts factStore) []analysis.Diagnostic {
	var diags []analysis.Diagnostic
	var exec func(a *analysis.Analyzer, collect bool)
	exec = func(a *analysis.Analyzer, collect bool) {
		if _, done := results[a]; done {
			return
		}
		for _, req := range a.Requires {
			exec(req, false)
		}
		pass := &analysis.Pass{
			Analyzer:   a,
			Fset:       u.fset,
			Files:      u.files,
			Pkg:        u.pkg,
			TypesInfo:  u.info,
			TypesSizes: types.SizesFor("gc", "amd64"),
			ResultOf:   results,
			Report: func(d analysis.Diagnostic) {
				if collect {
					diags = append(diags, d)
				}
			},
			ReadFile: os.ReadFile,
			ImportObjectFact: func(obj types.Object, fact analysis.Fact) bool {
				got, ok := facts[factKey(a, obj, fact)]
				if ok {
					reflect.ValueOf(fact).Elem().Set(reflect.ValueOf(got).Elem())
				}
				return ok
			},
			ImportPackageFact: func(*types.Package, analysis.Fact) bool { return false },
			ExportObjectFact: func(obj types.Object, fact analysis.Fact) {
				facts[factKey(a, obj, fact)] = fact
			},
			ExportPackageFact: func(analysis.Fact) {},
			AllObjectFacts:    func() []analysis.ObjectFact { return nil },
			AllPackageFacts:   func() []analysis.PackageFact { return nil },
		}
		res, err := a.Run(pass)
		if err != nil {
			res = nil
		}
		if res == nil && a.ResultType != nil {
			res = reflect.Zero(a.ResultType).Interface()
		}
		results[a] = res
	}
	exec(a, true)
	return diags
}
