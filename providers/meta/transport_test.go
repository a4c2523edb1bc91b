package meta_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond http.HandlerFunc
		ctx     func() context.Context
		want    providertest.Outcome
	}{
		{
			name:    "context cancelled before sending",
			respond: func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") },
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want: providertest.Outcome{Class: providers.Transient},
		},
		{
			name:    "server reads the request then hangs past the timeout",
			respond: providertest.Hang,
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
		},
		{
			name:    "server reads the request then drops the connection",
			respond: providertest.Drop(t),
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, tt.respond)
			c := newClient(t, meta.Config{BaseURL: f.URL + "/v21.0", HTTP: providers.HTTPConfig{Timeout: 150 * time.Millisecond}})
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := c.Send(ctx, msg(textMsg))
			se := providertest.AsSendError(t, err)
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if se.Err == nil {
				t.Error("Err is nil, want the transport error")
			}
			if tt.ctx != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not wrap context.Canceled", err)
			}
		})
	}
}
