package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/config"
)

func target(t *testing.T, url string) config.RedisTarget {
	t.Helper()
	tg, err := config.ParseRedisURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// Each form's go-redis options: the data nodes' credentials where go-redis
// sends them to the data nodes, the Sentinels' where it sends them to the
// Sentinels, the URL's options passed on.
func TestRedisClientOptions(t *testing.T) {
	t.Parallel()
	one, err := singleOptions(target(t, "rediss://app:pw@redis.internal:6380/3?pool_size=7&skip_verify=true"))
	if err != nil {
		t.Fatal(err)
	}
	if one.Addr != "redis.internal:6380" || one.DB != 3 || one.Username != "app" || one.Password != "pw" || one.PoolSize != 7 ||
		one.TLSConfig == nil || one.TLSConfig.ServerName != "redis.internal" || !one.TLSConfig.InsecureSkipVerify {
		t.Errorf("single node options = %+v", one)
	}

	fo, err := failoverOptions(target(t, "rediss+sentinel://app:m4ster@s1:26379,s2:26380/wabulk/2?sentinel_username=watch&sentinel_password=sentin3l&read_timeout=2s"))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{fo.MasterName, fo.SentinelAddrs, fo.DB, fo.Username, fo.Password, fo.SentinelUsername, fo.SentinelPassword, fo.ReadTimeout}
	want := []any{"wabulk", []string{"s1:26379", "s2:26380"}, 2, "app", "m4ster", "watch", "sentin3l", 2 * time.Second}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("failover options (-want +got):\n%s", d)
	}
	// Every connection checks the name of the host it dials: a Sentinel's
	// is not the master's.
	if fo.TLSConfig == nil || fo.TLSConfig.ServerName != "" {
		t.Errorf("failover TLS = %+v, want on, with no fixed server name", fo.TLSConfig)
	}

	co, err := clusterOptions(target(t, "redis+cluster://:c1uster@n1:7000,n2:7001,n3?max_redirects=5"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"n1:7000", "n2:7001", "n3:6379"}, co.Addrs); d != "" || co.Password != "c1uster" || co.MaxRedirects != 5 || co.TLSConfig != nil {
		t.Errorf("cluster options = %+v (addrs -want +got: %s)", co, d)
	}

	// An option go-redis does not take is named, with the form, never
	// the password.
	for _, u := range []string{"redis://:pw-secret@h:6379/0?pool_sise=3", "redis+sentinel://:pw-secret@h/m?pool_sise=3", "redis+cluster://:pw-secret@h?pool_sise=3"} {
		_, err := NewRedisClient(target(t, u))
		if err == nil || !strings.Contains(err.Error(), "pool_sise") || strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("%s: error = %v", config.RedactURL(u), err)
		}
	}
}

func TestRedisCAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{notPEM: "holds no PEM certificate", filepath.Join(dir, "missing.pem"): "redis.tls.ca_file: open"} {
		tg := target(t, "rediss+cluster://h:7000")
		tg.CAFile = file
		if _, err := NewRedisClient(tg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ca_file %s: error = %v, want %q", file, err, want)
		}
	}
}

// A form that cannot be reached is named with its addresses, never its
// passwords.
func TestOpenRedisUnreachable(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, want string }{
		{"redis://:pw-secret@127.0.0.1:1/0", "cannot reach Redis at 127.0.0.1:1: "},
		{"redis+sentinel://:pw-secret@127.0.0.1:1,127.0.0.1:2/wabulk?sentinel_password=pw-secret", "cannot reach Redis Sentinel master wabulk via 127.0.0.1:1, 127.0.0.1:2: "},
		{"redis+cluster://:pw-secret@127.0.0.1:1,127.0.0.1:2", "cannot reach Redis Cluster via 127.0.0.1:1, 127.0.0.1:2: "},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := OpenRedis(ctx, config.RedisConfig{URL: c.url}, false)
			if err == nil {
				conn.Close()
				t.Fatal("OpenRedis succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "pw-secret") {
				t.Errorf("error = %v, want it to start %q and hold no password", err, c.want)
			}
		})
	}
}

// The client of each form is the go-redis type asynq and the packages take.
func TestNewRedisClientTypes(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"redis://127.0.0.1:1/0":            "*redis.Client",
		"redis+sentinel://127.0.0.1:1/m/0": "failover *redis.Client",
		"redis+cluster://127.0.0.1:1":      "*redis.ClusterClient",
	} {
		c, err := NewRedisClient(target(t, url))
		if err != nil {
			t.Fatal(err)
		}
		got := "?"
		switch rc := c.(type) {
		case *redis.Client:
			got = "*redis.Client"
			if rc.Options().Addr == "FailoverClient" {
				got = "failover " + got
			}
		case *redis.ClusterClient:
			got = "*redis.ClusterClient"
		}
		_ = c.Close()
		if got != want {
			t.Errorf("%s: client %s, want %s", url, got, want)
		}
	}
}
