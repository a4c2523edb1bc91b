package check

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// metric is one line of testdata/metrics.txt.
type metric struct {
	name   string
	typ    string // counter, gauge or histogram
	labels map[string]bool
}

// loadMetrics reads testdata/metrics.txt.
func loadMetrics(t *testing.T) map[string]metric {
	t.Helper()
	f, err := os.Open("testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]metric{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("testdata/metrics.txt:%d: want NAME TYPE LABELS, got %q", n, line)
		}
		m := metric{name: fields[0], typ: fields[1], labels: map[string]bool{}}
		if !slices.Contains([]string{"counter", "gauge", "histogram"}, m.typ) {
			t.Fatalf("testdata/metrics.txt:%d: type %q: want counter, gauge or histogram", n, m.typ)
		}
		if fields[2] != "-" {
			for l := range strings.SplitSeq(fields[2], ",") {
				m.labels[l] = true
			}
		}
		out[m.name] = m
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("testdata/metrics.txt lists no metric")
	}
	return out
}

// targetLabels are the labels Prometheus attaches to every scraped series
// (kubernetes_sd and prometheus-operator's relabelling), so a query may
// match or group by them whatever the metric.
var targetLabels = map[string]bool{
	"instance": true, "job": true, "namespace": true, "pod": true,
	"container": true, "endpoint": true, "service": true,
}

// promQL checks queries against the metrics list.
type promQL struct {
	metrics map[string]metric
	parser  parser.Parser
}

func newPromQL(t *testing.T) promQL {
	return promQL{metrics: loadMetrics(t), parser: parser.NewParser(parser.Options{})}
}

// series resolves a series name to what may follow it: the labels its
// matchers and groupings may name. A histogram's _bucket, _sum and _count
// series are its own (the bucket adds le); go_* and process_* come from
// the standard collectors, whose labels are not listed (nil: any).
func (q promQL) series(name string) (labels map[string]bool, ok bool) {
	withTarget := func(m metric, extra ...string) map[string]bool {
		out := map[string]bool{}
		for l := range targetLabels {
			out[l] = true
		}
		for l := range m.labels {
			out[l] = true
		}
		// A metric label named like a target label is renamed exported_NAME
		// by Prometheus (honor_labels: false).
		for l := range m.labels {
			if targetLabels[l] {
				out["exported_"+l] = true
			}
		}
		for _, l := range extra {
			out[l] = true
		}
		return out
	}
	if m, ok := q.metrics[name]; ok {
		return withTarget(m), true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, found := strings.CutSuffix(name, suffix)
		if m, ok := q.metrics[base]; found && ok && m.typ == "histogram" {
			if suffix == "_bucket" {
				return withTarget(m, "le"), true
			}
			return withTarget(m), true
		}
	}
	if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return nil, true
	}
	return nil, false
}

// check parses expr and reports every metric it selects that is not in
// the list, every label it matches or groups by that none of the metrics
// under it has, and returns the metric names it selects.
func (q promQL) check(expr string) (names []string, problems []error) {
	root, err := q.parser.ParseExpr(expr)
	if err != nil {
		return nil, []error{fmt.Errorf("parse %q: %w", expr, err)}
	}
	// labelsUnder is every label the series below n may carry (nil: any).
	labelsUnder := func(n parser.Node) (map[string]bool, bool) {
		out, any := map[string]bool{}, false
		parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				ls, known := q.series(selectorName(vs))
				if !known || ls == nil {
					any = true
				}
				for l := range ls {
					out[l] = true
				}
			}
			return nil
		})
		return out, any
	}
	checkLabels := func(what string, names []string, under parser.Node) {
		have, any := labelsUnder(under)
		if any {
			return
		}
		for _, l := range names {
			if !have[l] {
				problems = append(problems, fmt.Errorf("%s label %q: no metric under it has that label (in %q)", what, l, expr))
			}
		}
	}
	parser.Inspect(root, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := selectorName(n)
			if name == "" {
				problems = append(problems, fmt.Errorf("a selector without a metric name in %q", expr))
				return nil
			}
			names = append(names, name)
			labels, ok := q.series(name)
			if !ok {
				problems = append(problems, fmt.Errorf("metric %s is not in testdata/metrics.txt (in %q)", name, expr))
				return nil
			}
			if labels == nil {
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !labels[m.Name] {
					problems = append(problems, fmt.Errorf("%s has no label %q (in %q)", name, m.Name, expr))
				}
			}
		case *parser.AggregateExpr:
			checkLabels("grouping", n.Grouping, n.Expr)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				checkLabels("matching", n.VectorMatching.MatchingLabels, n.LHS)
				checkLabels("matching", n.VectorMatching.MatchingLabels, n.RHS)
			}
		}
		return nil
	})
	return names, problems
}

// selectorName is a vector selector's metric name, from its name or its
// __name__ matcher.
func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == "__name__" {
			return m.Value
		}
	}
	return ""
}

func TestMetricsList(t *testing.T) {
	ms := loadMetrics(t)
	for name, m := range ms {
		if !strings.HasPrefix(name, "wabulk_") {
			t.Errorf("%s: every wabulk metric starts with wabulk_", name)
		}
		if m.typ == "counter" && !strings.HasSuffix(name, "_total") {
			t.Errorf("%s: a counter's name ends in _total", name)
		}
	}
}

func TestPromQLCheckerCatchesMistakes(t *testing.T) {
	q := newPromQL(t)
	for _, tc := range []struct {
		expr string
		bad  bool
	}{
		{`sum by (account) (rate(wabulk_sends_total{outcome="failed"}[5m]))`, false},
		{`histogram_quantile(0.95, sum by (le, account) (rate(wabulk_provider_request_duration_seconds_bucket[5m])))`, false},
		{`max by (lane) (wabulk_queue_size{state="pending"})`, false},
		{`sum by (schedule) (wabulk_scheduler_fires_total)`, false},
		{`go_goroutines and on (instance) wabulk_build_info`, false},
		{`sum(rate(wabulk_send_total[5m]))`, true},                                          // misspelt metric
		{`sum by (acount) (rate(wabulk_sends_total[5m]))`, true},                            // misspelt label
		{`wabulk_queue_size{status="pending"}`, true},                                       // a label the metric lacks
		{`sum(rate(wabulk_limiter_wait_seconds_bucket{le="1"}[5m])) / wabulk_ready`, false}, // le on a bucket
		{`wabulk_ready{le="1"}`, true},                                                      // le elsewhere
		{`sum(rate(wabulk_sends_total[5m]`, true},                                           // does not parse
		{`up == 0`, true}, // not a wabulk metric
	} {
		_, problems := q.check(tc.expr)
		if got := len(problems) > 0; got != tc.bad {
			t.Errorf("check(%q): problems %v, want bad=%v", tc.expr, problems, tc.bad)
		}
	}
}
