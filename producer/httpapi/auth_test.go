package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	for _, c := range []struct {
		name, auth, wantChallenge string
	}{
		{"no token", "", `Bearer realm="wabulk"`},
		{"basic instead of bearer", "Basic " + apiToken, `Bearer realm="wabulk"`},
		{"empty bearer", "Bearer ", `Bearer realm="wabulk"`},
		{"wrong token", "Bearer wrong-token", `Bearer realm="wabulk", error="invalid_token"`},
		{"a token's prefix", "Bearer " + apiToken[:10], `Bearer realm="wabulk", error="invalid_token"`},
	} {
		for _, path := range []string{"/v1/messages/api:x", "/v1/campaigns/c1"} {
			got := a.do(t, http.MethodGet, path, nil, http.Header{"Authorization": {c.auth}})
			if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != c.wantChallenge {
				t.Errorf("%s, GET %s: %d, WWW-Authenticate %q; want 401 and %q", c.name, path, got.status, got.header.Get("WWW-Authenticate"), c.wantChallenge)
			}
			if e := got.apiErr(t); e.Code != "unauthorized" || strings.Contains(string(got.body), apiToken) {
				t.Errorf("%s: error %+v", c.name, e)
			}
		}
	}
	// The right token, either of two, in any case of "Bearer".
	for _, auth := range []string{"Bearer " + apiToken, "bearer another-token-0000000000"} {
		got := a.do(t, http.MethodGet, "/v1/messages/api:x", nil, http.Header{"Authorization": {auth}})
		if got.status != http.StatusNotFound || got.apiErr(t).Code != "not_found" {
			t.Errorf("%q: %d %s, want the 404 of an unknown message", auth, got.status, got.body)
		}
	}
	// Nothing was stored for the refused requests.
	got := a.do(t, http.MethodPost, "/v1/messages", strings.NewReader(`{"to":"+255712345678","content":`+apiTextContent+`}`),
		http.Header{"Authorization": {"Bearer wrong-token"}, "Content-Type": {"application/json"}})
	if got.status != http.StatusUnauthorized || len(a.h.Pending(t, message.LaneHigh)) != 0 {
		t.Errorf("unauthenticated POST: %d, tasks %d", got.status, len(a.h.Pending(t, message.LaneHigh)))
	}
	// The document needs no token.
	resp, err := http.Get(a.srv.URL + "/v1/openapi.yaml")
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(b, httpapi.OpenAPI) {
		t.Errorf("GET /v1/openapi.yaml without a token: %d, %d bytes", resp.StatusCode, len(b))
	}
	if _, err := httpapi.New(a.h.Producer(producer.Config{}), httpapi.Config{Tokens: []string{""}}); !errors.Is(err, httpapi.ErrNoTokens) {
		t.Errorf("New without a token: %v, want ErrNoTokens", err)
	}
}
