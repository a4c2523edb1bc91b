package socnet_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/socnet"
)

func TestSendTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     func(t *testing.T) string
		ctx     func() context.Context
		want    providertest.Outcome
		message string
	}{
		{
			name: "context cancelled before sending",
			url: func(t *testing.T) string {
				return endpoint(providertest.NewFake(t, func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") }))
			},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want:    providertest.Outcome{Class: providers.Transient},
			message: "cancelled",
		},
		{
			name: "connection refused",
			url: func(t *testing.T) string {
				return providertest.RefusedURL(t) + "/api.php"
			},
			want:    providertest.Outcome{Class: providers.Transient},
			message: "connection failed",
		},
		{
			name: "server reads the request then hangs past the timeout",
			url: func(t *testing.T) string {
				return endpoint(providertest.NewFake(t, providertest.Hang))
			},
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "timed out",
		},
		{
			name: "server reads the request then drops the connection",
			url: func(t *testing.T) string {
				return endpoint(providertest.NewFake(t, providertest.Drop(t)))
			},
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "connection failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A short timeout keeps the hanging case quick; nothing asserts on it.
			c := newClient(t, socnet.Config{URL: tt.url(t), HTTP: providers.HTTPConfig{Timeout: 150 * time.Millisecond}})
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := c.Send(ctx, msg(textMsg))
			se := providertest.AsSendError(t, err)
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if se.Message != tt.message {
				t.Errorf("Message = %q, want %q", se.Message, tt.message)
			}
			if containsKey(se.Error()) {
				t.Errorf("error text carries the API key: %q", se.Error())
			}
		})
	}
}

func TestSendCancelledKeepsContextError(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
	c := newClient(t, socnet.Config{URL: endpoint(f)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Send(ctx, msg(textMsg))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send error %v does not wrap context.Canceled", err)
	}
}
