package receipts_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// pathToken is a DecisionTelecom account's endpoint token (openssl rand
// -hex 24: 48 characters).
const pathToken = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c2b4d6f8e0a1c3e5b"

// A provider that can only be given a URL (DecisionTelecom's callback_url,
// sent with every message) posts to /webhooks/{account}/{token}. A wrong
// token, none, or one on an account without a token is answered exactly
// as an unknown account is; the token never reaches a log line or a
// metric label.
func TestWebhookPathToken(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dt, err := decisiontelecom.New(decisiontelecom.Config{APIKey: "send-key", Source: "wabulk"})
	must(t, err)
	core, logs := observer.New(zapcore.DebugLevel)
	w, err := receipts.NewReceiver(asynq.NewClientFromRedisClient(r.Client), receipts.ReceiverConfig{
		Prefix: r.Prefix, Now: sharedtest.NewClock(t0).Now, Logger: zap.New(core),
		Accounts: map[string]receipts.Account{
			"dt-path": {Parser: dt, PathToken: pathToken},
			"dt-open": {Parser: dt, Insecure: true},
		},
	})
	must(t, err)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	post := func(path string) answer {
		t.Helper()
		return do(t, mustRequest(t, http.MethodPost, srv.URL+path, `{"message_id":554,"status":1}`))
	}

	if got := post(receipts.WebhookPath("dt-path", pathToken)); got.status != 200 {
		t.Fatalf("the right token: %d %q, want 200", got.status, got.body)
	}
	want := []receipts.Batch{{Account: "dt-path", Received: t0, Events: []providers.Event{{Kind: providers.EventStatus,
		ProviderMessageID: "554", Status: message.Delivered, ProviderStatus: "delivered"}}}}
	if diff := cmp.Diff(want, queued(t, r)); diff != "" {
		t.Errorf("queued events (-want +got):\n%s", diff)
	}

	unknown := post("/webhooks/nobody/" + pathToken)
	if unknown.status != 401 {
		t.Fatalf("unknown account: %d, want 401 (as a failed authentication)", unknown.status)
	}
	for name, path := range map[string]string{
		"wrong token":                       "/webhooks/dt-path/" + strings.Repeat("0", len(pathToken)),
		"a token one character short":       "/webhooks/dt-path/" + pathToken[:len(pathToken)-1],
		"no token":                          "/webhooks/dt-path",
		"unknown account without a token":   "/webhooks/nobody",
		"a token on an account without one": "/webhooks/dt-open/" + pathToken,
	} {
		got := post(path)
		if got.status != unknown.status || got.body != unknown.body || got.header.Get("Content-Type") != unknown.header.Get("Content-Type") ||
			got.header.Get("Content-Length") != unknown.header.Get("Content-Length") {
			t.Errorf("%s: %d %v %q; want it answered as an unknown account: %d %v %q", name, got.status, got.header, got.body,
				unknown.status, unknown.header, unknown.body)
		}
	}
	if got := post("/webhooks/dt-open"); got.status != 200 {
		t.Errorf("an account without a token keeps /webhooks/{account}: %d", got.status)
	}
	if n := len(queued(t, r)); n != 2 {
		t.Errorf("%d events tasks stored, want 2 (the right token, the open account)", n)
	}

	if logs.FilterMessage("webhook refused: wrong path token").Len() == 0 {
		t.Error("a wrong token is not logged")
	}
	for _, e := range logs.All() {
		if line := fmt.Sprintf("%s %v", e.Message, e.ContextMap()); strings.Contains(line, pathToken[:leakPrefix]) {
			t.Errorf("log line shows the token: %s", line)
		}
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	must(t, err)
	var counted bool
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), pathToken[:leakPrefix]) {
					t.Errorf("metric %s has the token in label %s", mf.GetName(), l.GetName())
				}
				if mf.GetName() == "wabulk_webhook_requests_total" && l.GetName() == "account" && l.GetValue() == "dt-path" {
					counted = true
				}
			}
		}
	}
	if !counted {
		t.Error("the token account's callbacks are not counted under its name")
	}
}

// leakPrefix is how much of a token a leak check looks for.
const leakPrefix = 12

func TestNewReceiverRefusesWeakPathTokens(t *testing.T) {
	t.Parallel()
	dt, err := decisiontelecom.New(decisiontelecom.Config{APIKey: "send-key", Source: "wabulk"})
	must(t, err)
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}) // never used: construction fails first
	t.Cleanup(func() { _ = client.Close() })
	for _, c := range []struct {
		name string
		a    receipts.Account
		want string
	}{
		{"short", receipts.Account{Parser: dt, PathToken: "s3cret-but-short"}, "the path token has 16 characters, want at least 32"},
		{"not one path segment", receipts.Account{Parser: dt, PathToken: strings.Repeat("ab/", 12)}, "letters, digits"},
		{"with HTTP Basic", receipts.Account{Parser: dt, PathToken: pathToken, BasicUser: "u", BasicPassword: "p"}, "HTTP Basic, path token"},
		{"with Insecure", receipts.Account{Parser: dt, PathToken: pathToken, Insecure: true}, "both Insecure and path token"},
	} {
		_, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{"dt": c.a}})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.a.PathToken) {
			t.Errorf("%s: %v, want it to say %q without the token", c.name, err, c.want)
		}
	}
	if _, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{
		"dt": {Parser: dt, PathToken: pathToken, BasicUser: "u", BasicPassword: "p"}}}); !errors.Is(err, receipts.ErrAuthConflict) {
		t.Errorf("a path token and HTTP Basic: %v, want %v", err, receipts.ErrAuthConflict)
	}
}
