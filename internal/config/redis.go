package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
)

// RedisConfig says where the queue and records live: one Redis node, a
// master watched by Sentinels, or a Redis Cluster. Give one form: url, or
// the sentinel fields, or the cluster fields.
type RedisConfig struct {
	// URL is one of
	//
	//	redis://[user:password@]host:port/db                     one node (rediss:// for TLS)
	//	redis+sentinel://[user:password@]host:port,host:port/master/db
	//	                                                         a master found through its Sentinels (rediss+sentinel://)
	//	redis+cluster://[user:password@]host:port,host:port      a Redis Cluster from seed nodes (rediss+cluster://)
	//
	// or "embedded" for an in-process miniredis (demo, trying things out;
	// nothing survives a restart). Defaults to embedded when neither
	// sentinel nor cluster is set. See ParseRedisURL.
	URL string `yaml:"url"`
	// Sentinel reaches a master through its Sentinels, as fields instead
	// of a redis+sentinel:// URL.
	Sentinel SentinelConfig `yaml:"sentinel"`
	// Cluster reaches a Redis Cluster, as fields instead of a
	// redis+cluster:// URL.
	Cluster ClusterConfig `yaml:"cluster"`
	// Username and Password authenticate to the nodes that hold the data:
	// the one node, the Sentinels' master and its replicas, or every
	// Cluster node. With a URL, give them here or in the URL, not both.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// TLS protects every connection of the form (a URL turns it on with
	// its scheme: rediss://, rediss+sentinel://, rediss+cluster://).
	TLS RedisTLS `yaml:"tls"`
	// Listen is where the embedded Redis listens, so that import and
	// campaign commands in other processes can reach the worker hosting it.
	// Defaults to 127.0.0.1:6380.
	Listen string `yaml:"listen"`
	// Prefix starts every key wabulk writes. Defaults to "wabulk:".
	Prefix string `yaml:"prefix"`
	// Retention is how long a message's record, its provider-id index
	// entry and its API idempotency key are kept after its last change
	// once it has an outcome; a campaign's member list likewise after its
	// last message ended. Queued messages never expire. `campaign report`
	// keeps outcomes for longer. Defaults to 30d; "off" keeps them for
	// ever (Redis memory then grows with every message).
	Retention Duration `yaml:"retention"`
	// CampaignRetention is how long a campaign's summary (spec, state,
	// counts) is kept after its last message ended. Defaults to 400d;
	// "off" keeps it for ever.
	CampaignRetention Duration `yaml:"campaign_retention"`
	// ConfirmReplicas is how many replicas must acknowledge a message's
	// claim (Redis WAIT) before it is sent, so that a failover can never
	// roll a sent message back to queued and send it again. A claim not
	// acknowledged within ConfirmTimeout is undone and the message waits.
	// Defaults to 1 with Sentinel or a Cluster, 0 (nothing to wait for)
	// with one node. Set it to the number of replicas a failover may
	// promote; 0 turns the confirmation off.
	ConfirmReplicas *int `yaml:"confirm_replicas"`
	// ConfirmTimeout bounds the wait for ConfirmReplicas. Defaults to 1s.
	ConfirmTimeout Duration `yaml:"confirm_timeout"`
	// QueueShards splits each priority lane into this many asynq queues
	// (message.ShardQueueName), 1 to message.MaxQueueShards. asynq keeps a
	// queue in one Cluster hash slot, so one queue per lane puts a lane's
	// whole send load on one master; shards spread it. A message's shard
	// follows from its ID (message.ShardOf). Every producer and worker must
	// use the same value: a worker consumes shards 0..QueueShards-1 only.
	// To raise it, raise it on the workers first, then on the producers;
	// to lower it, lower the producers first and the workers once the
	// higher shards are empty. A new value moves messages to other shards
	// (see examples/wabulk.yaml), and every queue costs each idle worker
	// Redis calls. Defaults to DefaultClusterQueueShards on a Cluster, 1
	// otherwise (shard 0 is the unsharded queue).
	QueueShards int `yaml:"queue_shards"`
	// CampaignParts is how many hash slots a new campaign's records and
	// counters are split over (a power of two, 1 to 256), so that one big
	// campaign spreads over a Cluster's masters. The count is fixed per
	// campaign when it is created and kept with it, so processes may
	// differ. Defaults to 16 on a Cluster, 1 otherwise.
	CampaignParts int `yaml:"campaign_parts"`
}

// Replicas returns ConfirmReplicas with its default for the form.
func (r RedisConfig) Replicas() int {
	if r.ConfirmReplicas != nil {
		return *r.ConfirmReplicas
	}
	if t, err := r.Target(); err == nil && (t.Form == FormSentinel || t.Form == FormCluster) {
		return 1
	}
	return 0
}

// DefaultClusterQueueShards is redis.queue_shards on a Redis Cluster when
// unset. Shards land on masters by the CRC16 slot of their names, so the
// spread is uneven: on 3 masters, one held 6, 7 and 9 of the 16 shards of
// "wabulk:" lanes normal, low and high (slots split evenly). Give more for
// a larger Cluster.
const DefaultClusterQueueShards = 16

// SentinelConfig finds the master through Redis Sentinel, which follows it
// across failovers.
type SentinelConfig struct {
	// Master is the name the Sentinels monitor the master under (the NAME
	// of `sentinel monitor NAME host port quorum`). Required.
	Master string `yaml:"master"`
	// Addrs are the Sentinels' host:port (the port defaults to 26379).
	// One is enough to start; list them all so that any may be down.
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the Sentinels themselves
	// (requirepass or an ACL user in sentinel.conf), if they ask for it;
	// the master's own credentials are redis.username and redis.password.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// DB is the database number on the master. Defaults to 0.
	DB int `yaml:"db"`
}

func (s SentinelConfig) set() bool {
	return s.Master != "" || len(s.Addrs) > 0 || s.Username != "" || s.Password != "" || s.DB != 0
}

// ClusterConfig reaches a Redis Cluster.
type ClusterConfig struct {
	// Addrs are seed nodes' host:port (the port defaults to 6379): any
	// node answers with the whole cluster's map. List several so that any
	// may be down.
	Addrs []string `yaml:"addrs"`
}

// RedisTLS sets up TLS to Redis.
type RedisTLS struct {
	// Enabled turns TLS on for the sentinel and cluster fields (and may
	// repeat what a rediss URL says).
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs that sign the servers'
	// certificates. Defaults to the system's roots.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify accepts any certificate: for tests only. A URL
	// may say it with ?skip_verify=true.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

func (t RedisTLS) set() bool { return t.Enabled || t.CAFile != "" || t.InsecureSkipVerify }

// String prints r with the URL's password hidden (the Secret fields hide
// themselves), so that a config may be logged.
func (r RedisConfig) String() string {
	r.URL = RedactURL(r.URL)
	type plain RedisConfig
	return fmt.Sprintf("%+v", plain(r))
}

// GoString keeps %#v from printing the URL's password.
func (r RedisConfig) GoString() string { return r.String() }

// Embedded reports whether the config uses the in-process Redis.
func (r RedisConfig) Embedded() bool { return r.URL == "embedded" }

func (r *RedisConfig) applyDefaults() {
	if r.URL == "" && !r.Sentinel.set() && len(r.Cluster.Addrs) == 0 {
		r.URL = "embedded"
	}
	if r.Listen == "" {
		r.Listen = "127.0.0.1:6380"
	}
	if r.Prefix == "" {
		r.Prefix = "wabulk:"
	}
	if r.QueueShards == 0 {
		// A form that does not resolve is reported by validate.
		r.QueueShards = 1
		if t, _ := r.target(); t.Form == FormCluster {
			r.QueueShards = DefaultClusterQueueShards
		}
	}
}

func (r *RedisConfig) validate() error {
	var errs errList
	if _, problems := r.target(); len(problems) > 0 {
		errs = append(errs, problems...)
	}
	if r.Embedded() && !IsLoopback(r.Listen) {
		errs.add("redis.listen %q: the embedded Redis has no password, so it listens on loopback only (127.0.0.1:PORT)", r.Listen)
	}
	if !strings.HasSuffix(r.Prefix, ":") {
		errs.add("redis.prefix %q: must end with ':'", r.Prefix)
	}
	if strings.ContainsAny(r.Prefix, "{}") {
		errs.add("redis.prefix %q: must not hold '{' or '}' (they would change which Redis Cluster slot keys land in)", r.Prefix)
	}
	if r.ConfirmReplicas != nil && (*r.ConfirmReplicas < 0 || *r.ConfirmReplicas > 16) {
		errs.add("redis.confirm_replicas %d: must be 0 (off) to 16", *r.ConfirmReplicas)
	}
	if r.Retention > 0 && r.Retention < Duration(time.Minute) {
		errs.add("redis.retention %s: keep finished messages at least 1m (receipts arrive after the send)", time.Duration(r.Retention))
	}
	if p := r.CampaignParts; p < 0 || p > 256 || p&(p-1) != 0 {
		errs.add("redis.campaign_parts %d: must be a power of two from 1 to 256 (or unset)", p)
	}
	if r.QueueShards < 1 || r.QueueShards > message.MaxQueueShards {
		errs.add("redis.queue_shards %d: want 1 to %d", r.QueueShards, message.MaxQueueShards)
	}
	return errs.join()
}

// RedisForm is how wabulk reaches Redis.
type RedisForm int

// The forms, in the order a deployment usually grows through them.
const (
	FormEmbedded RedisForm = iota // an in-process miniredis
	FormSingle                    // one node
	FormSentinel                  // a master found through Sentinels
	FormCluster                   // a Redis Cluster
)

func (f RedisForm) String() string {
	switch f {
	case FormEmbedded:
		return "embedded Redis"
	case FormSingle:
		return "Redis"
	case FormSentinel:
		return "Redis Sentinel"
	case FormCluster:
		return "Redis Cluster"
	}
	return fmt.Sprintf("RedisForm(%d)", int(f))
}

// RedisTarget is a connection form resolved from a URL or from fields:
// everything internal/app needs to build the matching go-redis client.
type RedisTarget struct {
	Form RedisForm
	// Addrs are host:port: the node (FormSingle), the Sentinels
	// (FormSentinel) or the seed nodes (FormCluster).
	Addrs []string
	// Master is the Sentinels' name for the master (FormSentinel).
	Master string
	// DB is the database number (always 0 on a Cluster).
	DB int
	// Username and Password authenticate to the data nodes.
	Username string
	Password Secret
	// SentinelUsername and SentinelPassword authenticate to the Sentinels.
	SentinelUsername string
	SentinelPassword Secret
	// TLS, with CAFile and InsecureSkipVerify, protects every connection.
	TLS                bool
	CAFile             string
	InsecureSkipVerify bool
	// Options are further client options from a URL's query (dial_timeout,
	// pool_size, ...), named as go-redis's ParseURL names them.
	Options map[string][]string
}

// String names the form and its addresses, never a password, for errors
// and logs: "Redis Sentinel master wabulk via 10.0.0.1:26379, 10.0.0.2:26379".
func (t RedisTarget) String() string {
	addrs := strings.Join(t.Addrs, ", ")
	switch t.Form {
	case FormSentinel:
		return fmt.Sprintf("%s master %s via %s", t.Form, t.Master, addrs)
	case FormCluster:
		return fmt.Sprintf("%s via %s", t.Form, addrs)
	}
	return fmt.Sprintf("%s at %s", t.Form, addrs)
}

// Target resolves the configured form. The error names the field at
// fault and never holds a password; Validate has reported it already for
// a config from Parse.
func (r RedisConfig) Target() (RedisTarget, error) {
	t, errs := r.target()
	return t, errs.join()
}

func (r RedisConfig) target() (RedisTarget, errList) {
	var errs errList
	forms := []string{}
	if r.URL != "" {
		forms = append(forms, "redis.url")
	}
	if r.Sentinel.set() {
		forms = append(forms, "redis.sentinel")
	}
	if len(r.Cluster.Addrs) > 0 {
		forms = append(forms, "redis.cluster")
	}
	if len(forms) > 1 {
		errs.add("%s are both set: give one form of connection (remove the other)", strings.Join(forms, " and "))
		return RedisTarget{}, errs
	}
	var t RedisTarget
	switch {
	case r.Embedded():
		if r.Username != "" || r.Password != "" || r.TLS.set() {
			errs.add("redis.username, redis.password and redis.tls are for a real Redis: the embedded one has none")
		}
		return RedisTarget{Form: FormEmbedded, Addrs: []string{r.Listen}}, errs
	case r.URL != "":
		var err error
		if t, err = ParseRedisURL(r.URL); err != nil {
			errs.add("redis.url %s: %w", RedactURL(r.URL), err)
			return RedisTarget{}, errs
		}
		if (r.Username != "" || r.Password != "") && (t.Username != "" || t.Password != "") {
			errs.add("redis.username/redis.password: redis.url carries credentials already; give them in one place")
		}
		if r.TLS.Enabled && !t.TLS {
			errs.add("redis.tls.enabled: redis.url's scheme is not a TLS one; write rediss://, rediss+sentinel:// or rediss+cluster://")
		}
	case r.Sentinel.set():
		s := r.Sentinel
		t = RedisTarget{Form: FormSentinel, Master: s.Master, DB: s.DB, SentinelUsername: s.Username, SentinelPassword: s.Password}
		if s.Master == "" {
			errs.add("redis.sentinel.master is required: the name the Sentinels monitor the master under (sentinel monitor NAME host port quorum)")
		}
		if s.DB < 0 {
			errs.add("redis.sentinel.db %d: must be 0 or more", s.DB)
		}
		t.Addrs = fieldAddrs(&errs, "redis.sentinel.addrs", s.Addrs, "26379", "a Sentinel")
	default:
		t = RedisTarget{Form: FormCluster}
		t.Addrs = fieldAddrs(&errs, "redis.cluster.addrs", r.Cluster.Addrs, "6379", "a Cluster node")
	}
	if r.Username != "" || r.Password != "" {
		t.Username, t.Password = r.Username, r.Password
	}
	t.TLS = t.TLS || r.TLS.Enabled
	t.InsecureSkipVerify = t.InsecureSkipVerify || r.TLS.InsecureSkipVerify
	t.CAFile = r.TLS.CAFile
	if !t.TLS && (r.TLS.CAFile != "" || t.InsecureSkipVerify) {
		errs.add("redis.tls: ca_file and insecure_skip_verify need TLS on (redis.tls.enabled: true, or a rediss URL)")
	}
	return t, errs
}

// fieldAddrs checks a list of host:port, giving each its default port.
func fieldAddrs(errs *errList, field string, addrs []string, port, what string) []string {
	if len(addrs) == 0 {
		errs.add("%s: at least one %s host:port is required", field, what)
		return nil
	}
	out := make([]string, 0, len(addrs))
	for i, a := range addrs {
		hp, err := hostPort(a, port)
		if err != nil {
			errs.add("%s[%d] %q: %w", field, i, a, err)
			continue
		}
		out = append(out, hp)
	}
	return out
}

// hostPort is addr as host:port, with port when addr has none.
func hostPort(addr, port string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", fmt.Errorf("want host:port")
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: "host", "10.0.0.1", "[::1]", "::1".
		h, p = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), port
		if strings.ContainsAny(h, "[]") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
			return "", fmt.Errorf("want host:port")
		}
	}
	if h == "" || strings.ContainsAny(h, "/@?#, ") {
		return "", fmt.Errorf("want host:port")
	}
	if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("port %q is not a port number", p)
	}
	return net.JoinHostPort(h, p), nil
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
