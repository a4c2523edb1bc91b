package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

const wantRedisURL = "want redis://[user:password@]host:port/db (rediss:// for TLS), " +
	"redis+sentinel://[user:password@]host:26379,host:26379/MASTER/db, " +
	"redis+cluster://[user:password@]host:port,host:port, or embedded"

// ParseRedisURL resolves a Redis URL into its form:
//
//	redis://[user:password@]host[:port][/db][?option=value&...]            one node
//	redis+sentinel://[user:password@]host[:port][,host[:port]...]/master[/db][?...]
//	redis+cluster://[user:password@]host[:port][,host[:port]...][?...]
//
// Each has a TLS twin: rediss://, rediss+sentinel://, rediss+cluster://
// (TLS to every node, Sentinels included). Ports default to 6379, and to
// 26379 for Sentinels.
//
// The Sentinel form is the one redis-py based tools read (redis-sentinel-url,
// Prefect, RedisVL): the URL's credentials are the master's, as in every
// form, and the options sentinel_username and sentinel_password
// authenticate to the Sentinels. The Cluster form is built the same way.
// go-redis's own forms put the extra hosts in ?addr= options and cannot
// tell a Cluster from one node; here the scheme says which, and every
// address sits where a reader looks for it.
//
// A password holding @ : / ? # or % is percent-encoded (p%40ss for p@ss).
// The options db and skip_verify=true (accept any certificate) are read
// here; others are go-redis's client options (dial_timeout=5s,
// pool_size=50, ...), checked when the connection is built.
func ParseRedisURL(s string) (RedisTarget, error) {
	var t RedisTarget
	scheme, rest, ok := strings.Cut(s, "://")
	defPort := "6379"
	switch strings.ToLower(scheme) {
	case "redis", "rediss":
		t.Form = FormSingle
	case "redis+sentinel", "rediss+sentinel":
		t.Form, defPort = FormSentinel, "26379"
	case "redis+cluster", "rediss+cluster":
		t.Form = FormCluster
	default:
		ok = false
	}
	if !ok {
		return t, errors.New(wantRedisURL)
	}
	t.TLS = strings.HasPrefix(strings.ToLower(scheme), "rediss")

	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	ref, hosts := "redis://", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		ref, hosts = ref+authority[:at]+"@", authority[at+1:]
	}
	// net/url decodes the credentials, the path and the query; a list of
	// hosts is no URL host, so it reads them around a placeholder one.
	u, err := url.Parse(ref + "placeholder" + tail)
	if err != nil {
		// Not the parser's error: it repeats the URL, password and all.
		return t, errors.New("not a valid URL (percent-encode @ : / ? # % in a password: p%40ss for p@ss)")
	}
	if u.User != nil {
		t.Username = u.User.Username()
		p, _ := u.User.Password()
		t.Password = Secret(p)
	}

	if t.Addrs, err = urlHosts(t.Form, hosts, defPort); err != nil {
		return t, err
	}
	if err := t.readPath(u.Path); err != nil {
		return t, err
	}
	if err := t.readQuery(u.Query()); err != nil {
		return t, err
	}
	return t, nil
}

// urlHosts reads a URL's comma-separated host list.
func urlHosts(form RedisForm, hosts, port string) ([]string, error) {
	if hosts == "" && form == FormSingle {
		return []string{"localhost:" + port}, nil
	}
	if hosts == "" {
		return nil, fmt.Errorf("name at least one host:port after ://")
	}
	list := strings.Split(hosts, ",")
	if len(list) > 1 && form == FormSingle {
		return nil, fmt.Errorf("names %d hosts, but redis:// is one node: write redis+sentinel://…/MASTER for Sentinels, redis+cluster:// for a Cluster", len(list))
	}
	addrs := make([]string, 0, len(list))
	for _, h := range list {
		a, err := hostPort(h, port)
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", h, err)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func (t *RedisTarget) readPath(p string) error {
	var segs []string
	if p = strings.Trim(p, "/"); p != "" {
		segs = strings.Split(p, "/")
	}
	db := ""
	switch t.Form {
	case FormSingle:
		if len(segs) > 1 {
			return fmt.Errorf("path /%s: want /DB, a database number", p)
		}
		if len(segs) == 1 {
			db = segs[0]
		}
	case FormSentinel:
		if len(segs) == 0 || len(segs) > 2 || segs[0] == "" {
			return fmt.Errorf("name the master in the path: redis+sentinel://host:26379,host:26379/MASTER/DB")
		}
		t.Master = segs[0]
		if len(segs) == 2 {
			db = segs[1]
		}
	case FormCluster:
		if len(segs) > 1 || (len(segs) == 1 && segs[0] != "0") {
			return fmt.Errorf("path /%s: a Redis Cluster has only database 0; write no path", p)
		}
	}
	if db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return fmt.Errorf("database %q is not a number", db)
		}
		t.DB = n
	}
	return nil
}

func (t *RedisTarget) readQuery(q url.Values) error {
	for k, v := range q {
		last := v[len(v)-1]
		switch k {
		case "db":
			n, err := strconv.Atoi(last)
			if err != nil || n < 0 {
				return fmt.Errorf("db=%q is not a database number", last)
			}
			if t.Form == FormCluster && n != 0 {
				return fmt.Errorf("db=%d: a Redis Cluster has only database 0", n)
			}
			t.DB = n
		case "skip_verify":
			b, err := strconv.ParseBool(last)
			if err != nil {
				return fmt.Errorf("skip_verify=%q: want true or false", last)
			}
			t.InsecureSkipVerify = b
		case "sentinel_username", "sentinel_password":
			if t.Form != FormSentinel {
				return fmt.Errorf("option %s is for redis+sentinel:// URLs", k)
			}
			if k == "sentinel_username" {
				t.SentinelUsername = last
			} else {
				t.SentinelPassword = Secret(last)
			}
		case "username", "password":
			return fmt.Errorf("option %s: give credentials before the hosts (redis://user:password@host); the Sentinels' as sentinel_username and sentinel_password", k)
		case "addr":
			return fmt.Errorf("option addr: list every address in the host part, comma-separated (redis+cluster://host1:7000,host2:7001)")
		case "master_name":
			return fmt.Errorf("option master_name: write redis+sentinel://host:26379,host:26379/MASTER/DB, the master's name in the path")
		default:
			if t.Options == nil {
				t.Options = map[string][]string{}
			}
			t.Options[k] = v
		}
	}
	return nil
}

// RedactURL hides every password in a Redis URL of any form (the
// credentials before the hosts, and options such as sentinel_password),
// even in one that does not parse.
func RedactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return redactQuery(s)
	}
	// The credentials end at the last @: a password may hold any other
	// character, even unencoded, and hiding too much is harmless.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + ":xxxxx" + rest[at:]
		}
	}
	return scheme + "://" + redactQuery(rest)
}

// redactQuery hides the value of every option whose name speaks of a
// password or secret.
func redactQuery(s string) string {
	i := strings.Index(s, "?")
	if i < 0 {
		return s
	}
	pairs := strings.Split(s[i+1:], "&")
	for j, p := range pairs {
		k, _, ok := strings.Cut(p, "=")
		lk := strings.ToLower(k)
		if ok && (strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "auth")) {
			pairs[j] = k + "=xxxxx"
		}
	}
	return s[:i+1] + strings.Join(pairs, "&")
}
