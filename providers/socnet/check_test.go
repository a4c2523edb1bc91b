package socnet_test

import (
	"context"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/socnet"
)

// Check posts the document's Authentication request, the key alone, and
// reads its answers.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Verdict
	}{
		{"valid", 200, `{ "status": "valid" }`, providers.VerdictWorks},
		{"wrong key", 401, `{"message":"Invalid user credentials","status":401}`, providers.VerdictWrongCredentials},
		{"wrong key in a 200", 200, `{"message":"Invalid user credentials","status":"401"}`, providers.VerdictWrongCredentials},
		{"no credit", 403, `{"message":"Insufficient credit (0) for transaction charge of 90","status":403}`, providers.VerdictNoCredit},
		{"the web server's 404 page", 404, "<html><h1>Not Found</h1></html>", providers.VerdictWrongURL},
		{"read as a send", 422, `{"message":"The msisdn field is required.","status":422}`, providers.VerdictFailed},
		{"a 200 that says nothing", 200, `{}`, providers.VerdictFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			err := newClient(t, socnet.Config{URL: f.URL + apiPath}).Check(context.Background())
			if got := providers.VerdictOf(err); got != tt.want {
				t.Errorf("Check = %v: verdict %q, want %q", err, got, tt.want)
			}
			if err != nil && (providers.AsSendError(err).Ambiguous || containsKey(err.Error())) {
				t.Errorf("Check error %q: ambiguous, or shows the key", err)
			}
			req := f.Only(t)
			if req.Method != "POST" || req.Path != apiPath || string(req.Body) != `{"api_key":"`+testKey+`"}` {
				t.Errorf("request %s %s %s", req.Method, req.Path, req.Body)
			}
		})
	}
}
