package providertest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers/providertest"
)

func TestFakeRecordsAndResponds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		respond         http.HandlerFunc
		wantStatus      int
		wantContentType string
		wantRetryAfter  string
		wantBody        string
	}{
		{"JSON body", providertest.Respond(http.StatusTooManyRequests, `{"error":"slow down"}`, "Retry-After", "7"),
			429, "application/json", "7", `{"error":"slow down"}`},
		{"text body", providertest.Respond(http.StatusBadGateway, "<h1>502</h1>"),
			502, "text/html; charset=utf-8", "", "<h1>502</h1>"},
		{"the given content type wins", providertest.Respond(http.StatusOK, `{"ok":true}`, "Content-Type", "application/json; charset=UTF-8"),
			200, "application/json; charset=UTF-8", "", `{"ok":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, tt.respond)
			req, err := http.NewRequest(http.MethodPost, f.URL+"/v1/messages?dry=1", strings.NewReader(`{"to":"255712345678"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer k")
			resp, err := f.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := []any{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), string(body)}
			want := []any{tt.wantStatus, tt.wantContentType, tt.wantRetryAfter, tt.wantBody}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}

			rec := f.Only(t)
			gotReq := []string{rec.Method, rec.Path, rec.RawQuery, rec.Header.Get("Authorization"), string(rec.Body)}
			wantReq := []string{"POST", "/v1/messages", "dry=1", "Bearer k", `{"to":"255712345678"}`}
			if diff := cmp.Diff(wantReq, gotReq); diff != "" {
				t.Errorf("recorded (-want +got):\n%s", diff)
			}
			if r := rec.Request(); r.URL.Query().Get("dry") != "1" || r.Header.Get("Authorization") != "Bearer k" {
				t.Errorf("Request() = %s %s %v", r.Method, r.URL, r.Header)
			}
		})
	}
}
