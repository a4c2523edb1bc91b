package check

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"net"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/internal/config"
)

// placeholder is the value every secret gets when a config is parsed here:
// long enough for every check on a credential (an API token needs 16
// characters) and free of characters a URL would need encoded.
const placeholder = "placeholder0123456789abcdef"

// defaultShutdownTimeout is worker.shutdown_timeout when the config leaves
// it out (internal/config's default).
const defaultShutdownTimeout = 30 * time.Second

// envRef is a ${VAR} or ${VAR:-default} reference, as internal/config
// reads them.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// configVars returns every ${VAR} in the config's values (comments aside),
// each with whether it has a default.
func configVars(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("config: %v", err)
	}
	vars := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			for _, m := range envRef.FindAllStringSubmatch(n.Value, -1) {
				vars[m[1]] = vars[m[1]] || m[2] != ""
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return vars
}

// readEnvFile returns the keys of an env file (KEY=value lines; # comments).
func readEnvFile(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			t.Fatalf("%s:%d: want KEY=value, got %q", path, n, line)
		}
		if v != "" {
			t.Errorf("%s:%d: %s has a value: the example holds no secret", path, n, k)
		}
		keys = append(keys, k)
	}
	return keys
}

// deployConfig is a deploy config parsed by wabulk's own parser.
type deployConfig struct {
	*config.Config
	AdminListen string
}

// parseConfig parses a deploy config as wabulk does at start, in the
// environment env, with the checks of a process that sends (the worker
// runs on this config too).
func parseConfig(data []byte, env map[string]string) (deployConfig, error) {
	cfg, err := config.Parse(data, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		return deployConfig{}, err
	}
	if err := cfg.ValidateSending(); err != nil {
		return deployConfig{}, err
	}
	return deployConfig{Config: cfg, AdminListen: cfg.Admin.Listen}, nil
}

// shutdownTimeout is the config's worker.shutdown_timeout or its default.
func (c deployConfig) shutdownTimeout() time.Duration {
	return cmp.Or(time.Duration(c.Worker.ShutdownTimeout), defaultShutdownTimeout)
}

// listenPort returns the port of a listen address that other pods and
// containers can reach: not loopback.
func listenPort(what, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", what, addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "", fmt.Errorf("%s %q listens on loopback: probes and Prometheus cannot reach it (use 0.0.0.0:%s)", what, addr, port)
	}
	return port, nil
}

// missingVars returns the ${VAR}s without a default that env lacks.
func missingVars(vars map[string]bool, env map[string]string) []string {
	var out []string
	for _, v := range slices.Sorted(maps.Keys(vars)) {
		if !vars[v] && env[v] == "" {
			out = append(out, v)
		}
	}
	return out
}

func TestProductionConfigDiffersOnlyInRedis(t *testing.T) {
	read := func(path string) map[string]any {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		delete(m, "redis")
		return m
	}
	base := read("../kubernetes/base/wabulk.yaml")
	prod := read("../kubernetes/overlays/production/wabulk.yaml")
	for _, k := range slices.Sorted(maps.Keys(base)) {
		if !reflect.DeepEqual(base[k], prod[k]) {
			t.Errorf("section %s differs between base/wabulk.yaml and overlays/production/wabulk.yaml: keep them alike but for redis", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(prod)) {
		if _, ok := base[k]; !ok {
			t.Errorf("section %s is in overlays/production/wabulk.yaml only", k)
		}
	}
}

func TestParseConfigRejectsWhatWabulkRejects(t *testing.T) {
	b, err := os.ReadFile("../kubernetes/base/wabulk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REDIS_PASSWORD": placeholder, "TUJENGE_API_KEY": placeholder,
		"TUJENGE_WEBHOOK_SECRET": placeholder, "WABULK_API_TOKEN": placeholder}
	if _, err := parseConfig(b, env); err != nil {
		t.Fatalf("the base config: %v", err)
	}
	delete(env, "REDIS_PASSWORD")
	if _, err := parseConfig(b, env); err == nil {
		t.Error("parsed with REDIS_PASSWORD unset: want an error (the redis section takes no unset variable)")
	}
	bad := bytes.Replace(b, []byte("shutdown_timeout: 30s"), []byte("shutdown_timeout: 5s"), 1)
	env["REDIS_PASSWORD"] = placeholder
	if _, err := parseConfig(bad, env); err == nil {
		t.Error("parsed a shutdown_timeout below the provider timeout: want an error")
	}
	typo := bytes.Replace(b, []byte("concurrency:"), []byte("concurency:"), 1)
	if _, err := parseConfig(typo, env); err == nil {
		t.Error("parsed a misspelt field: want an error")
	}
}
