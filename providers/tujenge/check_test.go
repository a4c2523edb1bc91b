package tujenge_test

import (
	"context"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

// Check reads /v1/stickerpacks with the key, under the account's base
// path, and reads the answers Tujenge can give it.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Verdict
	}{
		{"works", 200, `{"stickerpacks":[],"meta":{"api_status":"stable","version":"2.41.3"}}`, providers.VerdictWorks},
		{"key refused by the gateway", 401, `{"meta":{"success":false,"http_code":401,"developer_message":"Invalid API key"}}`, providers.VerdictWrongCredentials},
		{"access denied", 403, `{"errors":[{"code":1005,"title":"Access denied"}]}`, providers.VerdictWrongCredentials},
		{"not the API", 404, "404 page not found", providers.VerdictWrongURL},
		{"an error in a 200", 200, `{"errors":[{"code":1011,"title":"Service not ready"}]}`, providers.VerdictFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			err := newClient(t, tujenge.Config{BaseURL: f.URL + "/tenant-7"}).Check(context.Background())
			if got := providers.VerdictOf(err); got != tt.want {
				t.Errorf("Check = %v: verdict %q, want %q", err, got, tt.want)
			}
			if err != nil && (providers.AsSendError(err).Ambiguous || containsKey(err.Error())) {
				t.Errorf("Check error %q: ambiguous, or shows the key", err)
			}
			req := f.Only(t)
			if req.Method != "GET" || req.Path != "/tenant-7/v1/stickerpacks" || req.Header.Get("WA-API-KEY") != testKey {
				t.Errorf("request %s %s, WA-API-KEY %q", req.Method, req.Path, req.Header.Get("WA-API-KEY"))
			}
		})
	}
}
