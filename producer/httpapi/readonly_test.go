package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

const readOnlyToken = "read-0nly-t0ken-0123456789"

// A read-only token reads every route and acts on none: each POST and
// DELETE is 403 read_only, with a body that would otherwise be served,
// and nothing changes.
func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{ReadOnlyTokens: []string{readOnlyToken}})
	a.uploadCSV(t, "spring", "tujenge-main", threeRecipients)
	if g := a.postJSON(t, "/v1/optouts/tujenge-main", `{"number": "+255700000001"}`, nil); g.status != http.StatusOK {
		t.Fatalf("opt-out: %d %s", g.status, g.body)
	}
	ro := func(method, path string, body io.Reader, h http.Header) apiAnswer {
		t.Helper()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", "Bearer "+readOnlyToken)
		return a.do(t, method, path, body, h)
	}
	// Each route with its parameters filled, and a body it would take.
	paths := map[string]string{
		"{id}": "spring", "{name}": "tujenge-main", "{account}": "tujenge-main", "{number}": "+255700000001",
	}
	specOther := strings.Replace(apiSpec, "spring", "other", 1)
	bodies := map[string]func() (io.Reader, http.Header){
		"POST /v1/messages": func() (io.Reader, http.Header) {
			return strings.NewReader(`{"to": "+255712345699", "content": ` + apiTextContent + `}`), http.Header{"Content-Type": {"application/json"}}
		},
		"POST /v1/campaigns": func() (io.Reader, http.Header) {
			return apiMultipart(t, formPart{"spec", "", "", specOther}, formPart{"recipients", "r.csv", "", threeRecipients})
		},
		"POST /v1/campaigns/preview": func() (io.Reader, http.Header) {
			return apiMultipart(t, formPart{"spec", "", "", specOther}, formPart{"recipients", "r.csv", "", threeRecipients})
		},
		"POST /v1/campaigns/{id}/pause": func() (io.Reader, http.Header) {
			return strings.NewReader(`{"reason": "refused"}`), http.Header{"Content-Type": {"application/json"}}
		},
		"POST /v1/accounts/{name}/pause": func() (io.Reader, http.Header) {
			return strings.NewReader(`{"reason": "refused"}`), http.Header{"Content-Type": {"application/json"}}
		},
		"POST /v1/optouts/{account}": func() (io.Reader, http.Header) {
			return strings.NewReader(`{"number": "+255712345678"}`), http.Header{"Content-Type": {"application/json"}}
		},
	}
	var gets, acts int
	for _, route := range a.api.Routes() {
		method, pattern, _ := strings.Cut(route, " ")
		path := pattern
		for k, v := range paths {
			path = strings.ReplaceAll(path, k, v)
		}
		if route == "GET /v1/messages/{id}" {
			path = "/v1/messages/" + message.CampaignMessageID("spring", "+255712345678")
		}
		var body io.Reader
		var h http.Header
		if b, ok := bodies[route]; ok {
			body, h = b()
		}
		g := ro(method, path, body, h)
		switch method {
		case http.MethodGet:
			gets++
			if g.status != http.StatusOK {
				t.Errorf("%s (%s) with a read-only token: %d %s", route, path, g.status, g.body)
			}
		default:
			acts++
			if e := g.apiErr(t); g.status != http.StatusForbidden || e.Code != "read_only" {
				t.Errorf("%s (%s) with a read-only token: %d %+v, want 403 read_only", route, path, g.status, e)
			}
		}
	}
	if gets < 12 || acts < 12 {
		t.Errorf("%d GET and %d other routes tried: fewer than served", gets, acts)
	}

	// Nothing changed.
	var c producer.CampaignProgress
	a.get(t, "/v1/campaigns/spring").json(t, &c)
	if c.State != store.CampaignActive || c.Pending != 3 || c.StateReason != "" {
		t.Errorf("campaign after refused actions: %+v, want active with 3 pending", c)
	}
	if ids, err := a.h.St.Campaigns(bg); err != nil || len(ids) != 1 {
		t.Errorf("campaigns after a refused upload: %v %v", ids, err)
	}
	if n := len(a.h.Pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d messages enqueued by a refused send", n)
	}
	if st, err := a.h.St.Account(bg, "tujenge-main"); err != nil || st.Paused {
		t.Errorf("account after a refused pause: %+v %v", st, err)
	}
	for to, want := range map[string]bool{"+255700000001": true, "+255712345678": false} {
		if out, err := a.h.St.OptedOut(bg, "tujenge-main", to); err != nil || out != want {
			t.Errorf("%s opted out %v (%v), want %v", to, out, err, want)
		}
	}
	// HEAD is a read.
	if g := ro(http.MethodHead, "/v1/campaigns/spring", nil, nil); g.status != http.StatusOK {
		t.Errorf("HEAD with a read-only token: %d", g.status)
	}
	// The full token still acts.
	if g := a.postJSON(t, "/v1/campaigns/spring/pause", "", nil); g.status != http.StatusOK {
		t.Errorf("pause with the full token: %d %s", g.status, g.body)
	}
}
