package app_test

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var updateMetrics = flag.Bool("update-metrics", false, "rewrite deploy/check/testdata/metrics.txt from the code")

const metricsContract = "../../deploy/check/testdata/metrics.txt"

// The metrics list that deploy/check holds the dashboard, the alert rules
// and the KEDA trigger to is the code's: every wabulk_ metric declared in
// the module (prometheus.*Opts literals and NewDesc calls), with its type
// and labels. go test ./internal/app -run MetricsContract -update-metrics
// rewrites it.
func TestMetricsContractIsTheCode(t *testing.T) {
	got := declaredMetrics(t, "../..")
	if len(got) < 20 {
		t.Fatalf("found %d metrics in the code; the scan lost some", len(got))
	}
	head := "# The metrics wabulk's processes expose, one per line: NAME TYPE LABELS\n" +
		"# (LABELS comma-separated, \"-\" for none). Every metric the dashboard, the\n" +
		"# alert rules and the KEDA trigger use must be here; go_* and process_*\n" +
		"# (the standard collectors every process registers) are allowed too.\n" +
		"# Generated from the code: go test ./internal/app -run MetricsContract -update-metrics\n"
	want := head + strings.Join(got, "\n") + "\n"
	if *updateMetrics {
		if err := os.WriteFile(metricsContract, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(metricsContract)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != want {
		t.Errorf("%s is not what the code declares; run with -update-metrics and check the dashboard and alerts still hold (cd deploy/check && go test ./...).\nwant:\n%s", metricsContract, want)
	}
}

// declaredMetrics scans the module's non-test Go files under root for
// wabulk_ metrics: "NAME TYPE LABELS" lines, sorted.
func declaredMetrics(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "deploy" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := callName(call)
			switch {
			case fn == "NewDesc" && len(call.Args) >= 3:
				if name := stringLit(call.Args[0]); strings.HasPrefix(name, "wabulk_") {
					out = append(out, fmt.Sprintf("%s gauge %s", name, labels(call.Args[2])))
				}
			case strings.HasPrefix(fn, "New") && len(call.Args) >= 1:
				lit, ok := call.Args[0].(*ast.CompositeLit)
				if !ok {
					return true
				}
				typ := optsType(lit)
				if typ == "" {
					return true
				}
				name := ""
				for _, e := range lit.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
							name = stringLit(kv.Value)
						}
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ConstLabels" {
							typ += "+const:" + constLabels(kv.Value)
						}
					}
				}
				if !strings.HasPrefix(name, "wabulk_") {
					return true
				}
				lbl := "-"
				if len(call.Args) >= 2 {
					lbl = labels(call.Args[1])
				}
				if kind, consts, ok := strings.Cut(typ, "+const:"); ok {
					typ, lbl = kind, consts
				}
				out = append(out, fmt.Sprintf("%s %s %s", name, typ, lbl))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func callName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.Ident:
		return f.Name
	}
	return ""
}

// optsType is the metric type of a prometheus.XxxOpts literal.
func optsType(lit *ast.CompositeLit) string {
	sel, ok := lit.Type.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	switch sel.Sel.Name {
	case "CounterOpts":
		return "counter"
	case "GaugeOpts":
		return "gauge"
	case "HistogramOpts":
		return "histogram"
	}
	return ""
}

func stringLit(e ast.Expr) string {
	if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
		s, err := strconv.Unquote(b.Value)
		if err == nil {
			return s
		}
	}
	return ""
}

// labels reads a []string{...} literal ("-" for nil or none).
func labels(e ast.Expr) string {
	lit, ok := e.(*ast.CompositeLit)
	if !ok || len(lit.Elts) == 0 {
		return "-"
	}
	var out []string
	for _, el := range lit.Elts {
		out = append(out, stringLit(el))
	}
	return strings.Join(out, ",")
}

// constLabels reads a prometheus.Labels{...} literal's keys, in order.
func constLabels(e ast.Expr) string {
	lit, ok := e.(*ast.CompositeLit)
	if !ok || len(lit.Elts) == 0 {
		return "-"
	}
	var out []string
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			out = append(out, stringLit(kv.Key))
		}
	}
	return strings.Join(out, ",")
}
