// Package storetest gives tests a Redis: the real server named by
// WABULK_TEST_REDIS (a redis:// URL or host:port) when set, as in CI, and
// an in-process miniredis otherwise. Each call also returns a key prefix
// of its own, so tests sharing one real server run in parallel.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvVar names the real Redis tests use when set.
const EnvVar = "WABULK_TEST_REDIS"

// Redis is a test's Redis.
type Redis struct {
	Client redis.UniversalClient
	Opt    *redis.Options
	Addr   string
	Mini   *miniredis.Miniredis // nil on a real server
	Prefix string               // unique to this test, ends in ":"
}

// New returns a Redis for t and closes it when t ends.
func New(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "wt:" + token() + ":"}
	if v := strings.TrimSpace(os.Getenv(EnvVar)); v != "" {
		if !strings.Contains(v, "://") {
			v = "redis://" + v
		}
		opt, err := redis.ParseURL(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvVar, v, err)
		}
		r.Opt = opt
	} else {
		r.Mini = miniredis.RunT(t)
		r.Opt = &redis.Options{Addr: r.Mini.Addr()}
	}
	r.Addr = r.Opt.Addr
	c := redis.NewClient(r.Opt)
	t.Cleanup(func() { _ = c.Close() })
	r.Client = c
	return r
}

// Real reports whether tests run against a real Redis server.
func Real() bool { return strings.TrimSpace(os.Getenv(EnvVar)) != "" }

func token() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
