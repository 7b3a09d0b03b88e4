// Command svcgen-audit runs svcgen's production-readiness analyzers over the
// Go module in the current directory and prints one JSON document on stdout:
//
//	{"findings": [{"id", "file", "line", "col", "message"}], "skipped": [...], "packages": N}
//
// It is a multichecker-style driver: the checks are golang.org/x/tools
// analysis.Analyzers, loaded with go/packages. A package whose types cannot be
// loaded (missing dependencies, type errors) still gets the syntax-only
// checks; the type-based ones are listed under "skipped".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	// main owns the process's root context.
	ctx := context.Background() //nolint:forbidigo // main is where the root context belongs
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "svcgen-audit:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("svcgen-audit", flag.ContinueOnError)
	only := fs.String("only", "", "comma-separated check IDs to run (default: all)")
	dir := fs.String("dir", ".", "module root")
	list := fs.Bool("list", false, "list the checks and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	checks := allChecks()
	if *list {
		return json.NewEncoder(stdout).Encode(checkList(checks))
	}
	selected, err := selectChecks(checks, *only)
	if err != nil {
		return err
	}
	_ = getenv
	rep, err := audit(ctx, *dir, selected)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(rep)
}

func selectChecks(checks []*check, only string) ([]*check, error) {
	if strings.TrimSpace(only) == "" {
		return checks, nil
	}
	byID := map[string]*check{}
	for _, c := range checks {
		byID[c.analyzer.Name] = c
	}
	var out []*check
	for _, id := range strings.Split(only, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if c, ok := byID[id]; ok {
			out = append(out, c)
		} else if !repoCheck(id) {
			return nil, errors.New("unknown check " + id)
		}
	}
	return out, nil
}

// repoCheck reports whether id is one of the checks svcgen runs in Python.
func repoCheck(id string) bool {
	switch id {
	case "RL001", "LINT001", "CI001", "K8S001":
		return true
	}
	return false
}
