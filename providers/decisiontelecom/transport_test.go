package decisiontelecom_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendTransportFailures(t *testing.T) {
	t.Parallel()
	short := providers.HTTPConfig{Timeout: 150 * time.Millisecond}
	tests := []struct {
		name    string
		respond http.HandlerFunc
		ctx     func() context.Context
		want    providertest.Outcome
		message string
	}{
		{
			name:    "context cancelled before sending",
			respond: func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") },
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want:    providertest.Outcome{Class: providers.Transient},
			message: "cancelled",
		},
		{
			name:    "server reads the request then hangs past the timeout",
			respond: providertest.Hang,
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "timed out",
		},
		{
			name:    "server reads the request then drops the connection",
			respond: providertest.Drop(t),
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "connection failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, tt.respond)
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL, HTTP: short})
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
			if tt.ctx != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not wrap context.Canceled", err)
			}
		})
	}
}
