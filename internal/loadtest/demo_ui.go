package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
)

// DefaultUIListen is where `wabulk demo --ui` serves the console.
const DefaultUIListen = "127.0.0.1:8080"

// serveUI serves the web console and the HTTP API of the demo's pipeline
// on o.UIListen (a free loopback port when that one is taken), with a
// sign-in token made for this run and printed once, until ctx ends.
func serveUI(ctx context.Context, o DemoOptions, cfg *config.Config, rdb redis.UniversalClient, ip *InProcess, out io.Writer) error {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token := hex.EncodeToString(b)
	cfg.Serve.APITokens = []config.APIToken{{Token: config.Secret(token)}}
	conn, log := &app.Conn{RDB: rdb}, zap.NewNop()
	api, err := app.NewAPI(cfg, conn, ip.Client, log)
	if err != nil {
		return err
	}
	ui, err := app.NewConsole(cfg, conn, ip.Client, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/ui/", ui)
	mux.Handle("/ui", ui)
	mux.Handle("/{$}", http.RedirectHandler("/ui/", http.StatusSeeOther))
	ln, err := net.Listen("tcp", o.UIListen)
	if err != nil {
		fmt.Fprintf(out, "\n%s is taken (%v): the console takes a free port instead\n", o.UIListen, err)
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("listen for the console: %w", err)
		}
	}
	srv := app.HTTPServer(mux, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "\nweb console: http://%s/ui/\n", ln.Addr())
	fmt.Fprintf(out, "sign-in token (this demo run only): %s\n", token)
	fmt.Fprintf(out, "the worker keeps running: pause, resume, retry or import a campaign there; Ctrl-C stops\n")
	select {
	case err := <-served:
		return fmt.Errorf("console on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop the console: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
