package tujenge_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

// shortTimeout keeps the timeout tests quick; nothing asserts on it.
var shortTimeout = providers.HTTPConfig{Timeout: 150 * time.Millisecond}

// silentTLS returns an https base URL whose server accepts TCP connections
// and never answers, so a TLS handshake never completes and no request is
// ever written.
func silentTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}

func TestSendTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		base    func(t *testing.T) string
		ctx     func() context.Context
		want    providertest.Outcome
		message string
	}{
		{
			name: "context cancelled before sending",
			base: func(t *testing.T) string {
				return providertest.NewFake(t, func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") }).URL
			},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: false},
			message: "cancelled",
		},
		{
			name:    "timeout in the TLS handshake, before the request is written",
			base:    silentTLS,
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: false},
			message: "timed out",
		},
		{
			name:    "connection refused",
			base:    func(t *testing.T) string { return providertest.RefusedURL(t) },
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: false},
			message: "connection failed",
		},
		{
			name: "server reads the request then hangs past the timeout",
			base: func(t *testing.T) string {
				return providertest.NewFake(t, providertest.Hang).URL
			},
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "timed out",
		},
		{
			name: "server reads the request then drops the connection",
			base: func(t *testing.T) string {
				return providertest.NewFake(t, providertest.Drop(t)).URL
			},
			want:    providertest.Outcome{Class: providers.Transient, Ambiguous: true},
			message: "connection failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, tujenge.Config{BaseURL: tt.base(t), HTTP: shortTimeout})
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
			if se.Err == nil {
				t.Error("Err is nil, want the transport error")
			}
		})
	}
}

func TestSendCancelledKeepsContextError(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
	c := newClient(t, tujenge.Config{BaseURL: f.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Send(ctx, msg(textMsg))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send error %v does not wrap context.Canceled", err)
	}
}
