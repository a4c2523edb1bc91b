package console

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// pageData is what every page's template gets.
type pageData struct {
	Title   string
	Page    string // the nav entry it is under
	Session *session
	Flash   string
	// FlashKind is ok or error.
	FlashKind string
	Data      any
}

// pageNames are the templates, each read with templates/layout.html.
var pageNames = []string{"signin", "error", "campaigns", "campaign", "confirm", "new", "providers", "optouts", "schedules"}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes page name with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	if d.Session == nil {
		d.Session, _ = sessionFrom(r.Context())
	}
	if d.Flash == "" && d.Session != nil && r.Method == http.MethodGet {
		d.FlashKind, d.Flash = c.takeFlash(r)
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, d); err != nil {
		c.log.Error("console: page not rendered", zap.String("page", name), zap.Error(err))
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"num":      num,
	"pct":      pct,
	"rate":     func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"when":     when,
	"eta":      eta,
	"ago":      ago,
	"badge":    badge,
	"inZone":   inZone,
	"list":     func(s ...string) []string { return s },
	"label":    func(a string) string { return campaignActions[a] },
	"lower":    strings.ToLower,
	"outcomes": outcomes,
}

// outcomes writes a campaign's non-zero counts, "12 read · 3 failed".
func outcomes(c store.Counts) string {
	var parts []string
	for _, s := range message.Statuses {
		if c[s] > 0 {
			parts = append(parts, num(c[s])+" "+string(s))
		}
	}
	if len(parts) == 0 {
		return "no message"
	}
	return strings.Join(parts, " · ")
}

// num writes n with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// pct is part of total in percent, "0 %" for nothing.
func pct(part, total int64) string {
	if total <= 0 {
		return "0 %"
	}
	p := float64(part) / float64(total) * 100
	if p > 0 && p < 1 {
		return strconv.FormatFloat(p, 'f', 1, 64) + " %"
	}
	return strconv.FormatFloat(math.Floor(p), 'f', 0, 64) + " %"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func inZone(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// eta says how long is left, "—" when it cannot be told.
func eta(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return roughDuration(d)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return roughDuration(time.Since(t)) + " ago"
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(math.Ceil(d.Seconds()))) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// badge is the CSS class of a state's badge: ok, warn, bad or idle.
func badge(state string) string {
	switch state {
	case "active", "running", "delivered", "read", "sent", "accepted", "closed", "works", "done":
		return "ok"
	case "paused", "queued", "sending", "expired", "window_closed", "opted_out", "reachable":
		return "warn"
	case "cancelled", "failed", "invalid", "open":
		return "bad"
	}
	return "idle"
}
