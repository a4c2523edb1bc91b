package config

import (
	"net"
	"net/url"
	"strings"
)

// RedisConfig says where the queue and records live.
type RedisConfig struct {
	// URL is redis://[user:pass@]host:port/db, or "embedded" for an
	// in-process miniredis (demo, trying things out; nothing survives a
	// restart). Defaults to embedded.
	URL string `yaml:"url"`
	// Listen is where the embedded Redis listens, so that import and
	// campaign commands in other processes can reach the worker hosting it.
	// Defaults to 127.0.0.1:6380.
	Listen string `yaml:"listen"`
	// Prefix starts every key wabulk writes. Defaults to "wabulk:".
	Prefix string `yaml:"prefix"`
}

// Embedded reports whether the config uses the in-process Redis.
func (r RedisConfig) Embedded() bool { return r.URL == "embedded" }

func (r *RedisConfig) applyDefaults() {
	if r.URL == "" {
		r.URL = "embedded"
	}
	if r.Listen == "" {
		r.Listen = "127.0.0.1:6380"
	}
	if r.Prefix == "" {
		r.Prefix = "wabulk:"
	}
}

func (r *RedisConfig) validate() error {
	var errs errList
	if !r.Embedded() {
		if _, err := url.Parse(r.URL); err != nil || !strings.HasPrefix(r.URL, "redis") {
			errs.add("redis.url %q: want redis://host:port/db, rediss://..., or embedded", RedactURL(r.URL))
		}
	}
	if r.Embedded() && !IsLoopback(r.Listen) {
		errs.add("redis.listen %q: the embedded Redis has no password, so it listens on loopback only (127.0.0.1:PORT)", r.Listen)
	}
	if !strings.HasSuffix(r.Prefix, ":") {
		errs.add("redis.prefix %q: must end with ':'", r.Prefix)
	}
	return errs.join()
}

// IsLoopback reports whether a host:port listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactURL hides a password in a URL, even one that does not parse.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i, j := strings.Index(s, "://"), strings.LastIndex(s, "@"); i >= 0 && j > i {
			return s[:i+3] + "xxxxx" + s[j:]
		}
		return s
	}
	if u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
