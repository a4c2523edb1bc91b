package meta_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/providertest"
)

// Check reads the phone number's node with the token, and reads the
// answers the Graph API can give it.
func TestCheck(t *testing.T) {
	t.Parallel()
	noNode := `{"error":{"message":"Unsupported get request. Object with ID '` + testPhoneID + `' does not exist, cannot be loaded due to missing permissions, or does not support this operation.","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"A1"}}`
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Verdict
		say    string // in the error
	}{
		{"works", 200, `{"verified_name":"Acme","display_phone_number":"+1 555-078-3881","id":"` + testPhoneID + `"}`, providers.VerdictWorks, ""},
		{"token refused", 401, graphError(190, "Invalid OAuth access token - Cannot parse access token", ""), providers.VerdictWrongCredentials, "190"},
		{"no such phone number", 400, noNode, providers.VerdictWrongURL, "phone_number_id " + testPhoneID},
		{"not the Graph API", 404, "<html>Not Found</html>", providers.VerdictWrongURL, "404"},
		{"blocked", 403, graphError(368, "Temporarily blocked for policies violations", ""), providers.VerdictBlocked, "368"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			err := newClient(t, meta.Config{BaseURL: f.URL + "/v21.0/"}).Check(context.Background())
			if got := providers.VerdictOf(err); got != tt.want {
				t.Errorf("Check = %v: verdict %q, want %q", err, got, tt.want)
			}
			if err != nil && (providers.AsSendError(err).Ambiguous || !strings.Contains(err.Error(), tt.say) || strings.Contains(err.Error(), testToken)) {
				t.Errorf("Check error %q: ambiguous, shows the token, or lacks %q", err, tt.say)
			}
			req := f.Only(t)
			if req.Method != "GET" || req.Path != "/v21.0/"+testPhoneID || req.RawQuery != "fields=id" || req.Header.Get("Authorization") != "Bearer "+testToken {
				t.Errorf("request %s %s?%s, Authorization %q", req.Method, req.Path, req.RawQuery, req.Header.Get("Authorization"))
			}
		})
	}
}
