package check

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

const composeFile = "../compose.yaml"

// loadCompose loads the compose file as `docker compose` does (schema,
// interpolation, extends and merge keys, profiles), with an empty
// environment: the defaults in the file must do.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithName("wabulk"), cli.WithEnv(nil), cli.WithProfiles(profiles))
	if err != nil {
		t.Fatal(err)
	}
	p, err := cli.ProjectFromOptions(context.Background(), opts)
	if err != nil {
		t.Fatalf("docker compose --profile %v config: %v", profiles, err)
	}
	return p
}

func TestCompose(t *testing.T) {
	base := []string{"redis", "scheduler", "serve", "worker"}
	demo := []string{"demo-import", "demo-status", "simulator", "simulator-proxy"}
	for _, tc := range []struct {
		profiles []string
		want     []string
	}{
		{nil, base},
		{[]string{"demo"}, slices.Sorted(slices.Values(append(slices.Clone(base), demo...)))},
	} {
		p := loadCompose(t, tc.profiles...)
		if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, tc.want) {
			t.Errorf("profiles %v: services %v, want %v", tc.profiles, got, tc.want)
		}
	}

	p := loadCompose(t, "demo")
	s := p.Services

	redis := s["redis"]
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis: image %s, want redis:7", redis.Image)
	}
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") {
		t.Errorf("redis: want --appendonly yes, got %q", redis.Command)
	}
	if redis.HealthCheck == nil || len(redis.HealthCheck.Test) == 0 {
		t.Error("redis: needs a healthcheck (the wabulk services wait for it)")
	}
	if !slices.ContainsFunc(redis.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == "/data" && v.Type == "volume" }) {
		t.Error("redis: /data must be a named volume (the AOF)")
	}
	for name, want := range map[string]int{"worker": 2, "scheduler": 2} {
		if got := replicas(s[name]); got != want {
			t.Errorf("%s: %d replicas, want %d", name, got, want)
		}
	}

	cfgs := map[string]deployConfig{}
	for _, name := range slices.Sorted(maps.Keys(s)) {
		svc := s[name]
		if svc.Image != s["worker"].Image {
			continue
		}
		if !svc.ReadOnly || !slices.Contains(svc.CapDrop, "ALL") {
			t.Errorf("%s: want read_only: true and cap_drop: [ALL]", name)
		}
		if svc.Build == nil {
			t.Errorf("%s: names the image without its build: compose would try to pull it", name)
		} else if df := path.Join(svc.Build.Context, svc.Build.Dockerfile); !fileExists(df) {
			t.Errorf("%s: build: %s does not exist", name, df)
		}
		if dep, ok := svc.DependsOn["redis"]; name != "simulator" && (!ok || dep.Condition != types.ServiceConditionHealthy) {
			t.Errorf("%s: want depends_on redis: condition: service_healthy", name)
		}
		file := flagValue(svc.Command, "--config")
		if name == "simulator" {
			continue
		}
		if file == "" {
			t.Errorf("%s: command %q names no --config", name, svc.Command)
			continue
		}
		data, err := composeMounted(svc, file)
		if err != nil {
			t.Errorf("%s: config %s: %v", name, file, err)
			continue
		}
		env := map[string]string{}
		for k, v := range svc.Environment {
			if v != nil {
				env[k] = *v
			}
		}
		for _, v := range missingVars(configVars(t, data), env) {
			t.Errorf("%s: ${%s} in the config has no value and no default", name, v)
		}
		cfg, err := parseConfig(data, env)
		if err != nil {
			t.Errorf("%s: wabulk would not start: %v", name, err)
			continue
		}
		cfgs[name] = cfg
	}

	worker, ok := cfgs["worker"]
	if !ok {
		t.Fatal("no worker config")
	}
	if err := worker.RequireCredentials(); err != nil {
		t.Errorf("worker: would not start: %v", err)
	}
	for _, name := range []string{"worker", "scheduler"} {
		if _, err := listenPort("admin.listen", cfgs[name].AdminListen); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if g := s[name].StopGracePeriod; g == nil || time.Duration(*g) <= worker.shutdownTimeout() {
			t.Errorf("%s: stop_grace_period must exceed worker.shutdown_timeout %v (Docker's default is 10s)", name, worker.shutdownTimeout())
		}
	}
	if port, err := listenPort("serve.listen", cfgs["serve"].Serve.Listen); err != nil {
		t.Errorf("serve: %v", err)
	} else if !slices.ContainsFunc(s["serve"].Ports, func(p types.ServicePortConfig) bool {
		return strconv.Itoa(int(p.Target)) == port && p.Published == "8080"
	}) {
		t.Errorf("serve: want its listener (port %s) published on 8080, got %+v", port, s["serve"].Ports)
	}
	for _, sch := range cfgs["scheduler"].Schedules {
		if _, err := composeMounted(s["scheduler"], sch.Audience); err != nil {
			t.Errorf("scheduler: schedule %s: audience %s: %v", sch.ID, sch.Audience, err)
		}
	}

	checkComposeDemo(t, s, worker)
}

// checkComposeDemo checks that the demo profile's parts fit together: the
// workers reach the simulator through its proxy with a key it takes, the
// simulator's receipts reach serve with the secret serve checks, and the
// campaign imported is the one watched.
func checkComposeDemo(t *testing.T, s types.Services, cfg deployConfig) {
	t.Helper()
	sim, proxy := s["simulator"], s["simulator-proxy"]
	if proxy.NetworkMode != "service:simulator" {
		t.Errorf("simulator-proxy: network_mode %q, want service:simulator (the simulator listens on loopback only)", proxy.NetworkMode)
	}
	listen := flagValue(sim.Command, "--listen")
	if !strings.HasPrefix(listen, "127.0.0.1:") {
		t.Errorf("simulator: --listen %q: it listens on loopback only", listen)
	}
	_, simPort, _ := strings.Cut(listen, ":")
	proxyCmd := strings.Join(proxy.Command, " ")
	if !strings.Contains(proxyCmd, "tcp-connect:127.0.0.1:"+simPort) {
		t.Errorf("simulator-proxy: %q does not forward to the simulator's 127.0.0.1:%s", proxyCmd, simPort)
	}

	workerEnv := s["worker"].Environment
	if len(cfg.Providers) != 1 {
		t.Fatalf("want one provider account in the compose config, got %d", len(cfg.Providers))
	}
	acct := cfg.Providers[0]
	u, err := url.Parse(acct.BaseURL)
	if err != nil || u.Hostname() != "simulator" || !strings.Contains(proxyCmd, "tcp-listen:"+u.Port()+",") {
		t.Errorf("provider %s: base_url %q must reach simulator-proxy (%q)", acct.Name, acct.BaseURL, proxyCmd)
	}
	if key := flagValue(sim.Command, "--api-key"); key == "" || key != acct.Setting("api_key") {
		t.Errorf("simulator: --api-key %q differs from the worker's api_key %q (TUJENGE_API_KEY %v)", key, acct.Setting("api_key"), deref(workerEnv["TUJENGE_API_KEY"]))
	}
	header := flagValue(sim.Command, "--callback-header")
	if want := acct.WebhookSecretHeader + ": " + acct.WebhookSecret.Reveal(); header != want {
		t.Errorf("simulator: --callback-header %q, want %q (what serve checks)", header, want)
	}
	cb, err := url.Parse(flagValue(sim.Command, "--callback-url"))
	if err != nil || cb.Host != "serve:8080" || cb.Path != "/webhooks/"+acct.Name {
		t.Errorf("simulator: --callback-url %v, want http://serve:8080/webhooks/%s", cb, acct.Name)
	}

	imp, status := s["demo-import"], s["demo-status"]
	spec, err := composeMounted(imp, flagValue(imp.Command, "--spec"))
	if err != nil {
		t.Fatalf("demo-import: --spec: %v", err)
	}
	if _, err := composeMounted(imp, flagValue(imp.Command, "--csv")); err != nil {
		t.Errorf("demo-import: --csv: %v", err)
	}
	if r := flagValue(imp.Command, "--rejects"); !strings.HasPrefix(r, "/tmp/") || !slices.Contains(imp.Tmpfs, "/tmp") {
		t.Errorf("demo-import: --rejects %q must be on the writable /tmp (the root file system is read-only)", r)
	}
	var campaign struct {
		ID      string `yaml:"id"`
		Account string `yaml:"account"`
	}
	if err := yaml.Unmarshal(spec, &campaign); err != nil {
		t.Fatal(err)
	}
	if campaign.Account != acct.Name {
		t.Errorf("the demo campaign sends through %q, but the compose config's account is %q", campaign.Account, acct.Name)
	}
	if !slices.Contains(status.Command, campaign.ID) || !slices.Contains(status.Command, "--watch") {
		t.Errorf("demo-status: %q does not watch campaign %s", status.Command, campaign.ID)
	}
	if status.DependsOn["demo-import"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Error("demo-status: want depends_on demo-import: condition: service_completed_successfully")
	}
}

// flagValue returns a command's --name=value or --name value.
func flagValue(cmd []string, name string) string {
	for i, a := range cmd {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(cmd) {
			return cmd[i+1]
		}
	}
	return ""
}

// composeMounted reads the host file a service sees at file, through its
// bind mounts.
func composeMounted(svc types.ServiceConfig, file string) ([]byte, error) {
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(v.Target, "/")+"/")
		switch {
		case v.Target == file:
			return os.ReadFile(v.Source)
		case ok:
			return os.ReadFile(path.Join(v.Source, rel))
		}
	}
	return nil, fmt.Errorf("no bind mount holds %s", file)
}

func replicas(s types.ServiceConfig) int {
	if s.Deploy == nil || s.Deploy.Replicas == nil {
		return 1
	}
	return *s.Deploy.Replicas
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}
