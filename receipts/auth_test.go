package receipts_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// tokenParser is a provider whose callbacks carry a token of its own in
// X-Test-Token (when token is set) and whose webhook is checked with a GET
// echo=... handshake: the receiver knows neither, only the interfaces in
// package providers.
type tokenParser struct {
	token string
}

var (
	_ providers.CallbackParser        = tokenParser{}
	_ providers.CallbackAuthenticator = tokenParser{}
	_ providers.CallbackHandshaker    = tokenParser{}
)

var errBadToken = errors.New("test provider: wrong or missing X-Test-Token")

func (p tokenParser) ParseCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	id, ok := strings.CutPrefix(string(body), "delivered ")
	if !ok {
		return nil, errors.New("test provider: not a receipt")
	}
	return []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: id, Status: "delivered"}}, nil
}

func (p tokenParser) CallbackAuth() string {
	if p.token == "" {
		return ""
	}
	return "test token"
}

func (p tokenParser) AuthenticateCallback(h http.Header, _ []byte) error {
	if h.Get("X-Test-Token") != p.token {
		return errBadToken
	}
	return nil
}

func (p tokenParser) CallbackHandshake(q url.Values) (string, error) {
	if q.Get("token") != p.token {
		return "", errBadToken
	}
	return q.Get("echo"), nil
}

// The receiver authenticates and answers handshakes through the providers
// interfaces alone, for any adapter that implements them.
func TestReceiverAuthenticatesThroughTheProvidersInterfaces(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	client := asynq.NewClientFromRedisClient(r.Client)
	w, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: r.Prefix, Now: sharedtest.NewClock(t0).Now,
		Accounts: map[string]receipts.Account{"p": {Parser: tokenParser{token: "t0ken"}}}})
	must(t, err)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)

	post := func(token, body string) int {
		t.Helper()
		req := mustRequest(t, http.MethodPost, srv.URL+"/webhooks/p", body)
		if token != "" {
			req.Header.Set("X-Test-Token", token)
		}
		return do(t, req).status
	}
	for _, c := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", "delivered m1", 401},
		{"wrong token", "guess", "delivered m1", 401},
		{"unreadable, authenticated", "t0ken", "hello", 400},
		{"authenticated", "t0ken", "delivered m1", 200},
	} {
		if got := post(c.token, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	want := []receipts.Batch{{Account: "p", Received: t0,
		Events: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m1", Status: "delivered"}}}}
	if diff := cmp.Diff(want, queued(t, r)); diff != "" {
		t.Errorf("queued events (-want +got):\n%s", diff)
	}

	for _, c := range []struct {
		name, query string
		want        int
		body        string
	}{
		{"handshake", "?token=t0ken&echo=42", 200, "42"},
		{"handshake with a wrong token", "?token=guess&echo=42", 403, ""},
		{"GET without a query", "", 405, ""},
	} {
		resp := do(t, mustRequest(t, http.MethodGet, srv.URL+"/webhooks/p"+c.query, ""))
		if resp.status != c.want || (c.want == 200 && resp.body != c.body) {
			t.Errorf("%s: %d %q, want %d %q", c.name, resp.status, resp.body, c.want, c.body)
		}
	}

	// Not configured to authenticate (no token): the account needs
	// another way, or Insecure.
	_, err = receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{"p": {Parser: tokenParser{}}}})
	if !errors.Is(err, receipts.ErrNoAuth) {
		t.Errorf("an authenticator without a token: %v, want %v", err, receipts.ErrNoAuth)
	}
	_, err = receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{
		"p": {Parser: tokenParser{token: "t0ken"}, BasicUser: "u", BasicPassword: "p"}}})
	if !errors.Is(err, receipts.ErrAuthConflict) || !strings.Contains(err.Error(), "HTTP Basic, test token") {
		t.Errorf("an authenticator and HTTP Basic: %v, want %v naming both", err, receipts.ErrAuthConflict)
	}
}
