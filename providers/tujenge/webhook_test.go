package tujenge_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

const hookAuth = "Basic dGVzdHVzZXI6dGVzdHBhc3M="

func TestSetWebhookRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{
			name:    "with headers",
			headers: map[string]string{"Authorization": hookAuth, "X-Tenant": "7"},
			want:    `{"url":"https://hooks.example/wa?t=7","headers":{"Authorization":"` + hookAuth + `","X-Tenant":"7"}}`,
		},
		{name: "without headers", want: `{"url":"https://hooks.example/wa?t=7"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Tujenge echoes the configuration back.
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"url":"https://hooks.example/wa?t=7","headers":{"Authorization":"`+hookAuth+`"}}`))
			c := newClient(t, tujenge.Config{BaseURL: f.URL + "/base"})
			if err := c.SetWebhook(context.Background(), "https://hooks.example/wa?t=7", tt.headers); err != nil {
				t.Fatalf("SetWebhook: %v", err)
			}
			req := f.Only(t)
			got := map[string]string{"method": req.Method, "path": req.Path, "key": req.Header.Get("WA-API-KEY"), "type": req.Header.Get("Content-Type")}
			want := map[string]string{"method": http.MethodPost, "path": "/base/v1/configs/webhook", "key": testKey, "type": "application/json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, tt.want, req.Body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetWebhookErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
	}{
		{
			name:   "gateway 400 echoing the secrets",
			status: 400,
			body:   gatewayError(400, "url rejected; headers were Authorization: "+hookAuth+" for "+testKey),
			want:   providertest.Outcome{Class: providers.Permanent, Code: "400", HTTPStatus: 400},
		},
		{
			name:   "401",
			status: 401,
			body:   gatewayError(401, "invalid api key"),
			want:   providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 401},
		},
		{
			name:   "gateway 500",
			status: 500,
			body:   `{"meta":{"success":false,"http_code":500,"developer_message":"internal"}}`,
			want:   providertest.Outcome{Class: providers.Transient, Code: "500", HTTPStatus: 500},
		},
		{
			name:   "200 with success false",
			status: 200,
			body:   gatewayError(400, "bad url"),
			want:   providertest.Outcome{Class: providers.Permanent, Code: "400", HTTPStatus: 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
			err := c.SetWebhook(context.Background(), "https://hooks.example/wa", map[string]string{"Authorization": hookAuth})
			var se *providers.SendError
			if !errors.As(err, &se) {
				t.Fatalf("SetWebhook error %v is not a *providers.SendError", err)
			}
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", err, diff)
			}
			if containsKey(err.Error()) || strings.Contains(err.Error(), hookAuth) {
				t.Errorf("error text carries a secret: %q", err)
			}
		})
	}
}

func TestSetWebhookRefusesBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "/webhook", "hooks.example/wa", "ftp://hooks.example/wa", "http://[::1"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{}`))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
			err := c.SetWebhook(context.Background(), u, nil)
			var se *providers.SendError
			if !errors.As(err, &se) || se.Class != providers.Permanent {
				t.Errorf("SetWebhook(%q) = %v, want a permanent *providers.SendError", u, err)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("a bad url made %d requests", n)
			}
		})
	}
}
