package decisiontelecom_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
)

// Check asks receive-whatsapp about an empty message_id with the key, and
// reads the answers DecisionTelecom can give it.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Verdict
	}{
		{"the empty id refused behind the key", 400, dtError("Invalid Parameter: message_id", "Empty parameter or parameter validation error", 1, 4), providers.VerdictWorks},
		{"the same, in a 200", 200, dtError("Invalid Parameter: message_id", "Empty parameter or parameter validation error", 1, 4), providers.VerdictWorks},
		{"a status answer", 200, `{"message_id":0,"status":6}`, providers.VerdictWorks},
		{"key refused", 401, dtError("Unauthorized", "Your request was made with invalid credentials.", 0, 401), providers.VerdictWrongCredentials},
		{"not the API root", 404, dtError("Not Found", "Page not found.", 0, 404), providers.VerdictWrongURL},
		{"a web server's 404 page", 404, "<html>404 Not Found</html>", providers.VerdictWrongURL},
		{"no credit", 402, dtError("Topup balance is required", "User balance is empty", 3, 402), providers.VerdictNoCredit},
		{"down", 500, dtError("Internal server error", "The server encountered an unexpected condition", 2, 500), providers.VerdictFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var gotPath, gotAuth, gotBody string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotPath, gotAuth, gotBody = r.Method+" "+r.URL.Path, r.Header.Get("Authorization"), string(b)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			err := newClient(t, decisiontelecom.Config{BaseURL: srv.URL + "/v1/api"}).Check(context.Background())
			if got := providers.VerdictOf(err); got != tt.want {
				t.Errorf("Check = %v: verdict %q, want %q", err, got, tt.want)
			}
			if err != nil && providers.AsSendError(err).Ambiguous {
				t.Errorf("Check error %v is ambiguous: a status query sends nothing", err)
			}
			if gotPath != "POST /v1/api/receive-whatsapp" || gotAuth != wantAuth || gotBody != `{"message_id":""}` {
				t.Errorf("request: %s, auth %q, body %s", gotPath, gotAuth, gotBody)
			}
		})
	}
}
