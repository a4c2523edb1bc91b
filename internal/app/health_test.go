package app_test

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/app"
)

// Health goes not ready while Redis cannot be written and ready again
// once it can.
func TestHealthFollowsRedis(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	defer rdb.Close()
	h := app.NewHealth(rdb, "wt:", "worker", 0, zap.NewNop())
	if err := h.Check(ctx); err != nil {
		t.Fatalf("first check: %v", err)
	}
	if ok, _, _ := h.Ready(); !ok {
		t.Fatal("not ready with Redis up")
	}
	m.Close()
	if err := h.Check(ctx); err == nil {
		t.Fatal("a check with Redis down succeeded")
	}
	if ok, why, _ := h.Ready(); ok || why == "" {
		t.Errorf("with Redis down: ready=%v why=%q, want not ready with a reason", ok, why)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := h.Check(ctx); err != nil {
		t.Fatalf("check after the restart: %v", err)
	}
	if ok, _, _ := h.Ready(); !ok {
		t.Error("still not ready after Redis came back")
	}
}
