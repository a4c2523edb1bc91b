package check

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	alertsFile         = "../prometheus/wabulk-alerts.yaml"
	prometheusRuleFile = "../kubernetes/components/prometheus-operator/prometheusrule.yaml"
)

var update = flag.Bool("update", false, "rewrite the generated files (the PrometheusRule) from their sources")

// parseAlerts parses the rule file the way Prometheus loads it.
func parseAlerts(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.ParseFile(alertsFile, false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	return groups
}

func TestAlertRules(t *testing.T) {
	groups := parseAlerts(t)
	q := newPromQL(t)
	alerts := map[string]rulefmt.Rule{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if _, problems := q.check(r.Expr); len(problems) > 0 {
				for _, p := range problems {
					t.Errorf("%s: %v", r.Alert, p)
				}
			}
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = r
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q: want critical or warning", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", r.Alert)
			}
		}
	}
	// The alerts operators rely on, and how long each condition must hold.
	for name, minFor := range map[string]time.Duration{
		"WabulkBreakerOpen":         5 * time.Minute,
		"WabulkAccountPaused":       5 * time.Minute,
		"WabulkQueueLatencyHigh":    time.Minute,
		"WabulkErrorBudgetTripped":  0,
		"WabulkPodNotReady":         2 * time.Minute,
		"WabulkNoneReady":           2 * time.Minute,
		"WabulkNoSendsWhilePending": 10 * time.Minute,
	} {
		r, ok := alerts[name]
		if !ok {
			t.Errorf("alert %s is missing", name)
			continue
		}
		if time.Duration(r.For) < minFor {
			t.Errorf("%s: for %v, want at least %v", name, time.Duration(r.For), minFor)
		}
	}
}

// TestPrometheusRule keeps the PrometheusRule of the prometheus-operator
// component equal to the rule file (go test -run PrometheusRule -update
// rewrites it).
func TestPrometheusRule(t *testing.T) {
	src, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := prometheusRuleFor(t, src)
	if *update {
		if err := os.WriteFile(prometheusRuleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(prometheusRuleFile)
	if err != nil {
		t.Fatal(err)
	}
	var pr monitoringv1.PrometheusRule
	decodeStrict(t, prometheusRuleFile, got, &pr)
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	decodeStrict(t, alertsFile, src, &file)
	if !reflect.DeepEqual(pr.Spec.Groups, file.Groups) {
		t.Errorf("%s differs from %s: run go test -run PrometheusRule -update", prometheusRuleFile, alertsFile)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what %s generates: run go test -run PrometheusRule -update", prometheusRuleFile, alertsFile)
	}
}

// prometheusRuleFor wraps the rule file's groups, comments and all, in a
// PrometheusRule.
func prometheusRuleFor(t *testing.T, rules []byte) []byte {
	t.Helper()
	_, groups, ok := bytes.Cut(rules, []byte("\ngroups:\n"))
	if !ok {
		t.Fatalf("%s: no top-level groups: key", alertsFile)
	}
	var b strings.Builder
	b.WriteString(`# Generated from deploy/prometheus/wabulk-alerts.yaml by
# (cd deploy/check && go test -run PrometheusRule -update): edit that file.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: wabulk
spec:
  groups:
`)
	for line := range strings.SplitAfterSeq(string(groups), "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteString(line)
			continue
		}
		b.WriteString("  " + line)
	}
	return []byte(b.String())
}

// decodeStrict decodes YAML or JSON into v, failing on unknown and
// duplicate fields (case-sensitively, as the API server does).
func decodeStrict(t *testing.T, what string, b []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	strict, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, err := range strict {
		t.Errorf("%s: %v", what, err)
	}
	if len(strict) > 0 {
		t.FailNow()
	}
}
