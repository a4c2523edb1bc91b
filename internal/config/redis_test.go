package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const provider = "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"

// Every URL form resolves to its target: addresses with their default
// ports, the data nodes' and the Sentinels' credentials apart, TLS from
// the scheme, go-redis's options passed on.
func TestParseRedisURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url  string
		want RedisTarget
	}{
		{"redis://127.0.0.1:6379/0", RedisTarget{Form: FormSingle, Addrs: []string{"127.0.0.1:6379"}}},
		{"redis://redis.internal", RedisTarget{Form: FormSingle, Addrs: []string{"redis.internal:6379"}}},
		{"redis://", RedisTarget{Form: FormSingle, Addrs: []string{"localhost:6379"}}},
		{"redis://app:p%40ss@10.0.0.5:6380/3?dial_timeout=5s&pool_size=50", RedisTarget{
			Form: FormSingle, Addrs: []string{"10.0.0.5:6380"}, DB: 3, Username: "app", Password: "p@ss",
			Options: map[string][]string{"dial_timeout": {"5s"}, "pool_size": {"50"}},
		}},
		{"redis://:s3cret@[::1]:6379/2", RedisTarget{Form: FormSingle, Addrs: []string{"[::1]:6379"}, DB: 2, Password: "s3cret"}},
		{"redis://h:6379/1?db=4", RedisTarget{Form: FormSingle, Addrs: []string{"h:6379"}, DB: 4}},
		{"rediss://:s3cret@redis.internal:6380/0?skip_verify=true", RedisTarget{
			Form: FormSingle, Addrs: []string{"redis.internal:6380"}, Password: "s3cret", TLS: true, InsecureSkipVerify: true,
		}},
		{"redis+sentinel://10.0.0.1,10.0.0.2:26380/wabulk", RedisTarget{
			Form: FormSentinel, Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26380"}, Master: "wabulk",
		}},
		{"redis+sentinel://app:m%3Aster@10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/wabulk/2?sentinel_username=watch&sentinel_password=sentin3l&read_timeout=2s", RedisTarget{
			Form: FormSentinel, Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}, Master: "wabulk", DB: 2,
			Username: "app", Password: "m:ster", SentinelUsername: "watch", SentinelPassword: "sentin3l",
			Options: map[string][]string{"read_timeout": {"2s"}},
		}},
		{"rediss+sentinel://:pw@s1.internal:26379/mymaster/0", RedisTarget{
			Form: FormSentinel, Addrs: []string{"s1.internal:26379"}, Master: "mymaster", Password: "pw", TLS: true,
		}},
		{"redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103", RedisTarget{
			Form: FormCluster, Addrs: []string{"127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"},
		}},
		{"rediss+cluster://:pw@n1.internal,n2.internal:7000/0?route_by_latency=true", RedisTarget{
			Form: FormCluster, Addrs: []string{"n1.internal:6379", "n2.internal:7000"}, Password: "pw", TLS: true,
			Options: map[string][]string{"route_by_latency": {"true"}},
		}},
		{"REDIS+CLUSTER://h:7000", RedisTarget{Form: FormCluster, Addrs: []string{"h:7000"}}},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			got, err := ParseRedisURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("ParseRedisURL (-want +got):\n%s", d)
			}
		})
	}
}

// A URL that cannot be read says what is wrong and which form to write,
// in redis.url's name, without the password it holds.
func TestRedisURLErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, want string }{
		{"http://x", "want redis://"},
		{"10.0.0.1:6379", "want redis://"},
		{"unix:///var/run/redis.sock", "want redis://"},
		{"redis://:pw-secret@h1:6379,h2:6379/0", "names 2 hosts, but redis:// is one node: write redis+sentinel://…/MASTER for Sentinels, redis+cluster:// for a Cluster"},
		{"redis://:pw-secret@h:6379/zero", `database "zero" is not a number`},
		{"redis://:pw-secret@h:6379/0/1", "want /DB"},
		{"redis://:pw-secret@h:notaport/0", `port "notaport" is not a port number`},
		{"redis://:pw-secret@h:99999/0", `port "99999"`},
		{"redis://:pw-secret@h:6379/0?master_name=wabulk&addr=h2:6379", "option"},
		{"redis://:pw-secret@h:6379/0?password=pw-secret", "option password: give credentials before the hosts"},
		{"redis://h:6379/0?sentinel_password=pw-secret", "option sentinel_password is for redis+sentinel:// URLs"},
		{"redis://h:6379/0?skip_verify=maybe", `skip_verify="maybe"`},
		{"redis://:pw-secret%zz@h:6379/0", "not a valid URL (percent-encode"},
		{"redis+sentinel://:pw-secret@h1:26379,h2:26379", "name the master in the path: redis+sentinel://host:26379,host:26379/MASTER/DB"},
		{"redis+sentinel://:pw-secret@h1:26379/wabulk/0/x", "name the master in the path"},
		{"redis+sentinel://:pw-secret@h1:26379,,h2:26379/wabulk", `host "": want host:port`},
		{"redis+sentinel://h1:26379/wabulk?master_name=other", "option master_name: write redis+sentinel://host:26379,host:26379/MASTER/DB"},
		{"redis+sentinel:///wabulk", "name at least one host:port"},
		{"redis+cluster://:pw-secret@h1:7000/1", "a Redis Cluster has only database 0"},
		{"redis+cluster://h1:7000?db=2", "a Redis Cluster has only database 0"},
		{"redis+cluster://h1:7000?addr=h2:7000", "option addr: list every address in the host part, comma-separated"},
		{"redis+cluster://h1:7000,h 2:7000", `host "h 2:7000": want host:port`},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := Parse([]byte(provider+fmt.Sprintf("redis: {url: %q}\n", c.url)), noEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "redis.url ") {
				t.Errorf("error %q does not name redis.url", err)
			}
			if strings.Contains(err.Error(), "pw-secret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// The sentinel and cluster fields resolve as their URLs do, passwords
// from the environment.
func TestRedisFieldForms(t *testing.T) {
	t.Parallel()
	env := map[string]string{"REDIS_PASSWORD": "m4ster", "REDIS_SENTINEL_PASSWORD": "sentin3l"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		name, yaml string
		want       RedisTarget
	}{
		{"sentinel", `
redis:
  sentinel:
    master: wabulk
    addrs: [10.0.0.1:26379, 10.0.0.2, "[::1]:26381"]
    username: watch
    password: ${REDIS_SENTINEL_PASSWORD}
    db: 2
  username: app
  password: ${REDIS_PASSWORD}
  tls: {enabled: true, ca_file: /etc/ssl/redis-ca.pem}
`, RedisTarget{
			Form: FormSentinel, Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379", "[::1]:26381"}, Master: "wabulk", DB: 2,
			Username: "app", Password: "m4ster", SentinelUsername: "watch", SentinelPassword: "sentin3l", TLS: true, CAFile: "/etc/ssl/redis-ca.pem",
		}},
		{"cluster", `
redis:
  cluster: {addrs: [10.0.0.1:7000, 10.0.0.2:7000, 10.0.0.3]}
  password: ${REDIS_PASSWORD}
`, RedisTarget{Form: FormCluster, Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:6379"}, Password: "m4ster"}},
		{"url with the password beside it", `
redis:
  url: rediss://redis.internal:6380/1
  password: ${REDIS_PASSWORD}
  tls: {insecure_skip_verify: true}
`, RedisTarget{Form: FormSingle, Addrs: []string{"redis.internal:6380"}, DB: 1, Password: "m4ster", TLS: true, InsecureSkipVerify: true}},
		{"url", `
redis: {url: "redis+sentinel://:m4ster@10.0.0.1:26379/wabulk"}
`, RedisTarget{Form: FormSentinel, Addrs: []string{"10.0.0.1:26379"}, Master: "wabulk", Password: "m4ster"}},
		{"embedded by default", `
redis: {listen: "127.0.0.1:6399"}
`, RedisTarget{Form: FormEmbedded, Addrs: []string{"127.0.0.1:6399"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(provider+c.yaml), lookup)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Redis.Target()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("Target (-want +got):\n%s", d)
			}
			if s := fmt.Sprintf("%v %+v %#v %s", cfg.Redis, cfg.Redis, cfg.Redis, got); strings.Contains(s, "m4ster") || strings.Contains(s, "sentin3l") {
				t.Errorf("a Redis password leaks through fmt: %s", s)
			}
		})
	}
}

// Each field problem names its field; everything at once.
func TestRedisFieldErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"two forms", "redis:\n  url: redis://h:6379/0\n  cluster: {addrs: [h:7000]}\n", "redis.url and redis.cluster are both set: give one form"},
		{"embedded and sentinel", "redis:\n  url: embedded\n  sentinel: {master: m, addrs: [h]}\n", "redis.url and redis.sentinel are both set"},
		{"no master", "redis:\n  sentinel: {addrs: [h:26379]}\n", "redis.sentinel.master is required"},
		{"no sentinels", "redis:\n  sentinel: {master: wabulk}\n", "redis.sentinel.addrs: at least one a Sentinel host:port is required"},
		{"bad sentinel", "redis:\n  sentinel: {master: wabulk, addrs: [h1:26379, \"h2:x\"]}\n", `redis.sentinel.addrs[1] "h2:x": port "x" is not a port number`},
		{"negative db", "redis:\n  sentinel: {master: wabulk, addrs: [h], db: -1}\n", "redis.sentinel.db -1: must be 0 or more"},
		{"bad cluster node", "redis:\n  cluster: {addrs: [\"redis://h:7000\"]}\n", `redis.cluster.addrs[0] "redis://h:7000"`},
		{"credentials twice", "redis:\n  url: redis://:pw-secret@h:6379/0\n  password: other\n", "redis.url carries credentials already; give them in one place"},
		{"tls on a plain url", "redis:\n  url: redis://h:6379/0\n  tls: {enabled: true}\n", "redis.tls.enabled: redis.url's scheme is not a TLS one; write rediss://"},
		{"ca without tls", "redis:\n  cluster: {addrs: [h:7000]}\n  tls: {ca_file: ca.pem}\n", "redis.tls: ca_file and insecure_skip_verify need TLS on"},
		{"embedded with a password", "redis:\n  password: pw\n", "the embedded one has none"},
		{"unset redis password", "redis:\n  url: redis://h:6379/0\n  password: ${UNSET_REDIS_PASSWORD}\n", "line 5: environment variable UNSET_REDIS_PASSWORD is not set"},
		{"unset sentinel password", "redis:\n  sentinel:\n    master: m\n    addrs: [h]\n    password: ${UNSET_SENTINEL_PASSWORD}\n", "line 7: environment variable UNSET_SENTINEL_PASSWORD is not set"},
		{"unknown field", "redis:\n  sentinel: {master: m, addrs: [h], master_name: m}\n", `unknown field "master_name"`},
		{"negative queue shards", "redis:\n  url: redis://h:6379/0\n  queue_shards: -1\n", "redis.queue_shards -1: want 1 to 256"},
		{"too many queue shards", "redis:\n  cluster: {addrs: [h:7000]}\n  queue_shards: 257\n", "redis.queue_shards 257: want 1 to 256"},
		{"campaign parts not a power of two", "redis:\n  cluster: {addrs: [h:7000]}\n  campaign_parts: 12\n", "redis.campaign_parts 12: must be a power of two from 1 to 256"},
		{"too many campaign parts", "redis:\n  cluster: {addrs: [h:7000]}\n  campaign_parts: 512\n", "redis.campaign_parts 512: must be a power of two"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(provider+c.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "pw-secret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	// An unset ${VAR} with a default of nothing is no password.
	cfg, err := Parse([]byte(provider+"redis:\n  url: redis://h:6379/0\n  password: ${UNSET_REDIS_PASSWORD:-}\n"), noEnv)
	if err != nil || cfg.Redis.Password != "" {
		t.Errorf("password ${UNSET_REDIS_PASSWORD:-}: %v", err)
	}
}

// redis.queue_shards defaults to one shard (the unsharded queues) except
// on a Cluster, whatever form names it; a value given is kept.
func TestQueueShardsDefault(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml string
		want       int
	}{
		{"embedded", "redis: {url: embedded}\n", 1},
		{"one node", "redis: {url: \"redis://h:6379/0\"}\n", 1},
		{"sentinel", "redis:\n  sentinel: {master: m, addrs: [h]}\n", 1},
		{"sentinel url", "redis: {url: \"redis+sentinel://h:26379/m\"}\n", 1},
		{"cluster fields", "redis:\n  cluster: {addrs: [h:7000]}\n", DefaultClusterQueueShards},
		{"cluster url", "redis: {url: \"rediss+cluster://h:7000,h2:7000\"}\n", DefaultClusterQueueShards},
		{"given on a cluster", "redis:\n  cluster: {addrs: [h:7000]}\n  queue_shards: 3\n", 3},
		{"given on one node", "redis: {url: \"redis://h:6379/0\", queue_shards: 256}\n", 256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(provider+c.yaml), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Redis.QueueShards != c.want {
				t.Errorf("queue_shards = %d, want %d", cfg.Redis.QueueShards, c.want)
			}
		})
	}
}

// RedactURL hides every password of every form, and nothing else.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://app@h:6379/0", "redis://app@h:6379/0"},
		{"redis://app:pw-secret@h:6379/0", "redis://app:xxxxx@h:6379/0"},
		{"rediss://:pw-secret@h:6380/0?dial_timeout=5s", "rediss://:xxxxx@h:6380/0?dial_timeout=5s"},
		{"redis://user:s3cr%zzet@host:6379/0", "redis://user:xxxxx@host:6379/0"},
		{"redis://:p@ss/w?rd#x@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"redis+sentinel://app:pw-secret@h1:26379,h2:26379/wabulk/0?sentinel_username=watch&sentinel_password=sentinel-secret&read_timeout=2s",
			"redis+sentinel://app:xxxxx@h1:26379,h2:26379/wabulk/0?sentinel_username=watch&sentinel_password=xxxxx&read_timeout=2s"},
		{"rediss+sentinel://h1:26379/wabulk?sentinel_password=sentinel-secret", "rediss+sentinel://h1:26379/wabulk?sentinel_password=xxxxx"},
		{"redis+cluster://:pw-secret@h1:7000,h2:7000", "redis+cluster://:xxxxx@h1:7000,h2:7000"},
		{"redis://h:6379/0?master_name=m&password=pw-secret", "redis://h:6379/0?master_name=m&password=xxxxx"},
		{"embedded", "embedded"},
	}
	for _, c := range cases {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A target's String names the form and the addresses, never a password.
func TestRedisTargetString(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"redis://:pw-secret@h:6379/0": "Redis at h:6379",
		"redis+sentinel://:pw-secret@h1,h2:26380/wabulk?sentinel_password=pw-secret": "Redis Sentinel master wabulk via h1:26379, h2:26380",
		"redis+cluster://:pw-secret@h1:7000,h2:7000":                                 "Redis Cluster via h1:7000, h2:7000",
	} {
		tg, err := ParseRedisURL(url)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.String(); got != want {
			t.Errorf("String of %s = %q, want %q", RedactURL(url), got, want)
		}
	}
}

// Every Redis example in examples/wabulk.yaml reads as the form it shows:
// the URLs, and the commented field blocks once uncommented.
func TestRedisExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../examples/wabulk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	section := text[strings.Index(text, "\nredis:\n"):strings.Index(text, "\ndefault_region:")]

	forms := map[string]RedisForm{"redis": FormSingle, "rediss": FormSingle, "redis+sentinel": FormSentinel,
		"rediss+sentinel": FormSentinel, "redis+cluster": FormCluster, "rediss+cluster": FormCluster}
	seen := map[RedisForm]int{}
	for _, u := range regexp.MustCompile(`rediss?(\+sentinel|\+cluster)?://[^\s…)\[]*`).FindAllString(section, -1) {
		if strings.HasSuffix(u, "://") {
			continue // a template: redis://[user:password@]host…
		}
		tg, err := ParseRedisURL(u)
		if err != nil {
			t.Errorf("example %s: %v", u, err)
			continue
		}
		scheme, _, _ := strings.Cut(u, "://")
		if tg.Form != forms[scheme] {
			t.Errorf("example %s reads as %s", u, tg.Form)
		}
		seen[tg.Form]++
	}
	if seen[FormSingle] < 2 || seen[FormSentinel] < 1 || seen[FormCluster] < 1 {
		t.Errorf("examples by form = %v, want redis://, rediss://, Sentinel and Cluster URLs", seen)
	}

	// The commented blocks: "  # sentinel:" and the lines below it.
	block := func(key string) string {
		var out []string
		in := false
		for _, l := range strings.Split(section, "\n") {
			switch {
			case l == "  # "+key+":":
				in = true
			case in && strings.HasPrefix(l, "  #   "):
			default:
				in = false
			}
			if in {
				out = append(out, "  "+strings.TrimPrefix(l, "  # "))
			}
		}
		if len(out) == 0 {
			t.Fatalf("examples/wabulk.yaml shows no redis.%s block", key)
		}
		return strings.Join(out, "\n") + "\n"
	}
	env := map[string]string{"REDIS_PASSWORD": "m4ster"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for key, form := range map[string]RedisForm{"sentinel": FormSentinel, "cluster": FormCluster} {
		yaml := provider + "redis:\n" + block(key) + "  password: ${REDIS_PASSWORD}\n" + strings.Replace(block("tls"), "enabled: false", "enabled: true", 1)
		cfg, err := Parse([]byte(yaml), lookup)
		if err != nil {
			t.Errorf("the %s example:\n%s\n%v", key, yaml, err)
			continue
		}
		if tg, _ := cfg.Redis.Target(); tg.Form != form || len(tg.Addrs) != 3 || tg.Password != "m4ster" || !tg.TLS {
			t.Errorf("the %s example reads as %+v", key, tg)
		}
	}
}

func noEnv(string) (string, bool) { return "", false }
