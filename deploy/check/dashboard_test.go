package check

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardFile = "../grafana/wabulk-dashboard.json"

// The parts of a Grafana dashboard checked here.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// grafanaVar is a dashboard variable in a query: $name, ${name},
// ${name:format} or [[name]].
var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(:[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]`)

// expandVars replaces Grafana's variables so that the query parses as
// PromQL: interval variables become a duration, the others a word (they
// only ever stand inside quoted label values here).
func expandVars(q string) string {
	return grafanaVar.ReplaceAllStringFunc(q, func(v string) string {
		m := grafanaVar.FindStringSubmatch(v)
		name := m[1] + m[3] + m[4]
		if strings.HasPrefix(name, "__") {
			return "5m"
		}
		return "x"
	})
}

// labelValues matches label_values(SELECTOR, LABEL).
var labelValues = regexp.MustCompile(`^\s*label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	q := newPromQL(t)
	used := map[string]bool{}
	checkQuery := func(where, expr string) {
		names, problems := q.check(expandVars(expr))
		for _, p := range problems {
			t.Errorf("%s: %v", where, p)
		}
		for _, n := range names {
			used[n] = true
		}
	}

	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		query, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			query, _ = m["query"].(string)
		}
		lv := labelValues.FindStringSubmatch(query)
		if lv == nil {
			t.Errorf("variable %s: query %q: want label_values(METRIC, LABEL)", v.Name, query)
			continue
		}
		checkQuery("variable "+v.Name, fmt.Sprintf("count by (%s) (%s)", lv[2], lv[1]))
	}
	if !vars["datasource"] {
		t.Error("the dashboard needs a datasource variable, so that it imports into any Grafana")
	}

	var all []panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	ids := map[int]string{}
	type rect struct{ x, y, w, h int }
	var placed []rect
	for _, p := range all {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id %d is also %q's", where, p.ID, other)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v does not fit the 24-column grid", where, g)
		}
		for _, r := range placed {
			if g.X < r.x+r.w && r.x < g.X+g.W && g.Y < r.y+r.h && r.y < g.Y+g.H {
				t.Errorf("%s: gridPos %+v overlaps another panel at %+v", where, g, r)
			}
		}
		placed = append(placed, rect{g.X, g.Y, g.W, g.H})
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s: its datasource must be the ${datasource} variable", where)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no queries", where)
		}
		for _, tg := range p.Targets {
			checkQuery(fmt.Sprintf("%s query %s", where, tg.RefID), tg.Expr)
		}
	}

	// What an operator looks for on it.
	for _, m := range []string{
		"wabulk_sends_total", "wabulk_provider_request_duration_seconds_bucket", "wabulk_queue_size",
		"wabulk_queue_latency_seconds", "wabulk_limiter_wait_seconds_bucket", "wabulk_deferrals_total",
		"wabulk_breaker_open", "wabulk_account_paused", "wabulk_campaign_messages",
		"wabulk_webhook_requests_total", "wabulk_api_requests_total", "wabulk_ready",
	} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
	var unused []string
	for name := range q.metrics {
		if !used[name] && !used[name+"_bucket"] && !used[name+"_count"] && !used[name+"_sum"] {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	if len(unused) > 0 {
		t.Logf("metrics no panel shows: %v", unused)
	}
}

func TestExpandVars(t *testing.T) {
	got := expandVars(`sum(rate(wabulk_sends_total{account=~"$account", x="${a:regex}", y="[[b]]"}[$__rate_interval])) / ${__range}`)
	want := `sum(rate(wabulk_sends_total{account=~"x", x="x", y="x"}[5m])) / 5m`
	if got != want {
		t.Errorf("expandVars:\n got %s\nwant %s", got, want)
	}
}
