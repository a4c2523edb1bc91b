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
)

func TestSendTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond http.HandlerFunc
		ctx     func() context.Context
		want    outcome
	}{
		{
			name:    "context cancelled before sending",
			respond: func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") },
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want: outcome{Class: providers.Transient},
		},
		{
			name:    "server reads the request then hangs past the timeout",
			respond: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			want:    outcome{Class: providers.Transient, Ambiguous: true},
		},
		{
			name: "server reads the request then drops the connection",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				conn.Close()
			},
			want: outcome{Class: providers.Transient, Ambiguous: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.respond)
			c := newClient(t, meta.Config{BaseURL: f.URL + "/v21.0", HTTP: providers.HTTPConfig{Timeout: 150 * time.Millisecond}})
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := c.Send(ctx, msg(textMsg))
			var se *providers.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send error %v is not a *providers.SendError", err)
			}
			if diff := cmp.Diff(tt.want, outcomeOf(se)); diff != "" {
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
