package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/sharedtest"
)

// startRedisServer runs a redis-server of its own on port until the test
// ends, and returns a stop that kills it (as a crash would).
func startRedisServer(t *testing.T, port int) (stop func()) {
	t.Helper()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// /readyz says not ready while Redis is gone or read-only, and ready again
// once it takes writes; /healthz says the process runs throughout.
func TestReadyzFollowsARealRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("needs redis-server on PATH (.ci/run installs it)")
	}
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	stop := startRedisServer(t, port)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := app.NewHealth(rdb, "wt:", "worker", 50*time.Millisecond, zap.NewNop())
	go h.Run(ctx)
	srv := httptest.NewServer(app.AdminHandler(app.AdminOptions{Process: "worker", Health: h}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	type answer struct {
		code int
		body string
	}
	ready := func() answer { c, b := get("/readyz"); return answer{c, b} }
	metric := func() string { _, b := get("/metrics"); return b }
	is := func(code int) func(answer) bool { return func(a answer) bool { return a.code == code } }

	sharedtest.WaitFor(t, ready, is(200), 10*time.Second, "ready with Redis up")
	if !strings.Contains(metric(), `wabulk_ready{process="worker"} 1`) {
		t.Errorf("metrics with Redis up:\n%s", metric())
	}

	// Read-only, as a demoted master is after a failover.
	if err := rdb.ReplicaOf(ctx, "127.0.0.1", "1").Err(); err != nil {
		t.Fatal(err)
	}
	a := sharedtest.WaitFor(t, ready, is(503), 10*time.Second, "not ready on a read-only replica")
	if !strings.Contains(a.body, "does not take writes") {
		t.Errorf("read-only: %q", a.body)
	}
	if !strings.Contains(metric(), `wabulk_ready{process="worker"} 0`) {
		t.Errorf("metrics while read-only:\n%s", metric())
	}
	if err := rdb.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	sharedtest.WaitFor(t, ready, is(200), 10*time.Second, "ready once it is a master again")

	// Gone, then back on the same port.
	stop()
	sharedtest.WaitFor(t, ready, is(503), 10*time.Second, "not ready with Redis gone")
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz with Redis gone: %d, want 200 (the process runs)", code)
	}
	startRedisServer(t, port)
	sharedtest.WaitFor(t, ready, is(200), 10*time.Second, "ready with Redis back")
}
