package app

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/store"
)

// Conn is an open Redis: a real server, or an embedded miniredis that this
// process hosts (Mini != nil).
type Conn struct {
	// RDB is a *redis.Client for one node or the embedded Redis, a
	// failover *redis.Client (redis.NewFailoverClient) for Sentinel, a
	// *redis.ClusterClient for a Cluster.
	RDB  redis.UniversalClient
	Mini *miniredis.Miniredis
}

// Close closes the client and stops a hosted miniredis.
func (c *Conn) Close() {
	_ = c.RDB.Close()
	if c.Mini != nil {
		c.Mini.Close()
	}
}

// OpenRedis connects to the configured Redis in its form (one node,
// Sentinel, Cluster; see config.RedisConfig) and checks that it answers.
// With url "embedded", a hosting command (worker, demo) starts miniredis
// on redis.listen and the others connect to it there.
//
// It also checks that Redis holds this version's key layout
// (store.CheckLayout), unless ctx comes from WithoutLayoutCheck.
func OpenRedis(ctx context.Context, rc config.RedisConfig, host bool) (*Conn, error) {
	c, err := openRedis(ctx, rc, host)
	if err != nil || ctx.Value(noLayoutCheck{}) != nil {
		return c, err
	}
	if err := store.New(c.RDB, StoreConfig(rc)).CheckLayout(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type noLayoutCheck struct{}

// WithoutLayoutCheck returns a ctx under which OpenRedis leaves the key
// layout alone (`wabulk migrate`).
func WithoutLayoutCheck(ctx context.Context) context.Context {
	return context.WithValue(ctx, noLayoutCheck{}, true)
}

func openRedis(ctx context.Context, rc config.RedisConfig, host bool) (*Conn, error) {
	if rc.Embedded() {
		if host {
			m := miniredis.NewMiniRedis()
			if err := m.StartAddr(rc.Listen); err != nil {
				return nil, fmt.Errorf("start embedded Redis on %s: %w (is another wabulk worker running? set redis.listen to another address)", rc.Listen, err)
			}
			return &Conn{RDB: redis.NewClient(&redis.Options{Addr: m.Addr()}), Mini: m}, nil
		}
		c := redis.NewClient(&redis.Options{Addr: rc.Listen})
		if err := ping(ctx, c); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("no embedded Redis answers at %s: start `wabulk worker` first (it hosts the embedded Redis), or set redis.url to a real Redis", rc.Listen)
		}
		return &Conn{RDB: c}, nil
	}
	t, err := rc.Target()
	if err != nil {
		return nil, err
	}
	c, err := NewRedisClient(t)
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, c); err != nil {
		_ = c.Close()
		if t.Form == config.FormSentinel {
			err = sentinelProblem(ctx, t, err)
		}
		return nil, fmt.Errorf("cannot reach %s: %w", t, err)
	}
	if t.Form == config.FormSingle {
		if err := checkSingle(ctx, c, t); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return &Conn{RDB: c}, nil
}

// NewRedisClient builds the go-redis client of t's form, without
// connecting: a *redis.Client, a failover *redis.Client or a
// *redis.ClusterClient.
func NewRedisClient(t config.RedisTarget) (redis.UniversalClient, error) {
	switch t.Form {
	case config.FormSingle:
		o, err := singleOptions(t)
		if err != nil {
			return nil, err
		}
		return redis.NewClient(o), nil
	case config.FormSentinel:
		o, err := failoverOptions(t)
		if err != nil {
			return nil, err
		}
		return redis.NewFailoverClient(o), nil
	case config.FormCluster:
		o, err := clusterOptions(t)
		if err != nil {
			return nil, err
		}
		return redis.NewClusterClient(o), nil
	}
	return nil, fmt.Errorf("no client for %s", t.Form)
}

// The options go through go-redis's URL parsers for the query's client
// options (dial_timeout, pool_size, ...), in a URL that holds no
// credentials, so that a parser's error cannot repeat a password; the
// credentials and TLS are set on the options afterwards.

func singleOptions(t config.RedisTarget) (*redis.Options, error) {
	o, err := redis.ParseURL(goRedisURL(t, t.Addrs[0], nil))
	if err != nil {
		return nil, optionsErr(t, err)
	}
	o.Username, o.Password = t.Username, t.Password.Reveal()
	if o.TLSConfig, err = tlsConfig(t); err != nil {
		return nil, err
	}
	if o.TLSConfig != nil {
		o.TLSConfig.ServerName, _, _ = net.SplitHostPort(t.Addrs[0])
	}
	return o, nil
}

func failoverOptions(t config.RedisTarget) (*redis.FailoverOptions, error) {
	o, err := redis.ParseFailoverURL(goRedisURL(t, t.Addrs[0], url.Values{"master_name": {t.Master}, "addr": t.Addrs[1:]}))
	if err != nil {
		return nil, optionsErr(t, err)
	}
	o.Username, o.Password = t.Username, t.Password.Reveal()
	o.SentinelUsername, o.SentinelPassword = t.SentinelUsername, t.SentinelPassword.Reveal()
	if o.TLSConfig, err = tlsConfig(t); err != nil {
		return nil, err
	}
	return o, nil
}

func clusterOptions(t config.RedisTarget) (*redis.ClusterOptions, error) {
	o, err := redis.ParseClusterURL(goRedisURL(t, t.Addrs[0], url.Values{"addr": t.Addrs[1:]}))
	if err != nil {
		return nil, optionsErr(t, err)
	}
	o.Username, o.Password = t.Username, t.Password.Reveal()
	if o.TLSConfig, err = tlsConfig(t); err != nil {
		return nil, err
	}
	return o, nil
}

// goRedisURL is t in go-redis's URL form, without credentials or TLS.
func goRedisURL(t config.RedisTarget, host string, extra url.Values) string {
	q := url.Values{}
	for k, v := range t.Options {
		q[k] = v
	}
	for k, v := range extra {
		if len(v) > 0 {
			q[k] = v
		}
	}
	u := url.URL{Scheme: "redis", Host: host, RawQuery: q.Encode()}
	if t.Form != config.FormCluster {
		u.Path = "/" + strconv.Itoa(t.DB)
	}
	return u.String()
}

func optionsErr(t config.RedisTarget, err error) error {
	return fmt.Errorf("redis options of %s: %w (the URL's options are go-redis's: dial_timeout=5s, pool_size=50, ...)", t, err)
}

// tlsConfig is t's TLS, or nil without. Each connection checks the name
// of the host it dials (a Sentinel, the master, a Cluster node), except for
// one node, whose name is set once.
func tlsConfig(t config.RedisTarget) (*tls.Config, error) {
	if !t.TLS {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // only when the config says so
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis.tls.ca_file %s holds no PEM certificate", t.CAFile)
		}
	}
	return c, nil
}

func ping(ctx context.Context, c redis.UniversalClient) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// sentinelProblem says why a Sentinel form did not answer, Sentinel by
// Sentinel: the failover client's own error says little ("context
// deadline exceeded" when none answers, "redis: nil" for a master's name
// they do not know).
func sentinelProblem(ctx context.Context, t config.RedisTarget, pingErr error) error {
	tc, _ := tlsConfig(t) // checked when the client was built
	var problems []string
	for _, a := range t.Addrs {
		sc := redis.NewSentinelClient(&redis.Options{Addr: a, Username: t.SentinelUsername, Password: t.SentinelPassword.Reveal(),
			TLSConfig: tc, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		master, err := sc.GetMasterAddrByName(ctx, t.Master).Result()
		_ = sc.Close()
		switch {
		case errors.Is(err, redis.Nil):
			problems = append(problems, fmt.Sprintf("Sentinel %s knows no master named %s", a, t.Master))
		case err != nil:
			problems = append(problems, fmt.Sprintf("Sentinel %s: %v", a, err))
		case len(master) == 2:
			return fmt.Errorf("the Sentinels name %s as master %s, which does not answer: %w", net.JoinHostPort(master[0], master[1]), t.Master, pingErr)
		}
	}
	if len(problems) == 0 {
		return pingErr
	}
	return errors.New(strings.Join(problems, "; "))
}

// checkSingle refuses a redis:// URL that names a Cluster node or a
// Sentinel: it would answer PING, then fail every write with MOVED or an
// unknown command. A server that does not say (INFO refused) passes.
func checkSingle(ctx context.Context, c redis.UniversalClient, t config.RedisTarget) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return nil
	}
	mode := ""
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "redis_mode:"); ok {
			mode = v
		}
	}
	switch mode {
	case "cluster":
		return fmt.Errorf("%s is a Redis Cluster node: write redis+cluster://%s (list a few nodes, comma-separated), or set redis.cluster.addrs", t, t.Addrs[0])
	case "sentinel":
		return fmt.Errorf("%s is a Sentinel: write redis+sentinel://%s/MASTER/DB (list every Sentinel, comma-separated), or set redis.sentinel", t, t.Addrs[0])
	}
	return nil
}
