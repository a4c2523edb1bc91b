package check

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/wabulk/wabulk/internal/config"
)

const overlaysDir = "../kubernetes/overlays"

// The Secret every wabulk container takes its ${VAR}s from; it is created
// by hand (kubectl create secret) from the overlay's secret.example.env,
// so it is not among the rendered objects.
const secretName = "wabulk"

// wabulkProcesses are the long-running subcommands and their Deployments.
var wabulkProcesses = map[string]string{
	"worker":    "wabulk-worker",
	"serve":     "wabulk-serve",
	"scheduler": "wabulk-scheduler",
}

// scaledObject is KEDA's ScaledObject (keda.sh/v1alpha1), field for field
// as github.com/kedacore/keda/v2/apis/keda/v1alpha1 declares it; that
// module (controller-runtime and every scaler) is too heavy to import for
// one type.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ScaleTargetRef *struct {
			Name                   string `json:"name"`
			APIVersion             string `json:"apiVersion,omitempty"`
			Kind                   string `json:"kind,omitempty"`
			EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
		} `json:"scaleTargetRef"`
		PollingInterval       *int32 `json:"pollingInterval,omitempty"`
		InitialCooldownPeriod *int32 `json:"initialCooldownPeriod,omitempty"`
		CooldownPeriod        *int32 `json:"cooldownPeriod,omitempty"`
		IdleReplicaCount      *int32 `json:"idleReplicaCount,omitempty"`
		MinReplicaCount       *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount       *int32 `json:"maxReplicaCount,omitempty"`
		Advanced              *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
				Name     string                                         `json:"name,omitempty"`
			} `json:"horizontalPodAutoscalerConfig,omitempty"`
			RestoreToOriginalReplicaCount bool `json:"restoreToOriginalReplicaCount,omitempty"`
			ScalingModifiers              *struct {
				Formula          string `json:"formula,omitempty"`
				Target           string `json:"target,omitempty"`
				ActivationTarget string `json:"activationTarget,omitempty"`
				MetricType       string `json:"metricType,omitempty"`
			} `json:"scalingModifiers,omitempty"`
		} `json:"advanced,omitempty"`
		Triggers []struct {
			Type              string            `json:"type"`
			Name              string            `json:"name,omitempty"`
			UseCachedMetrics  bool              `json:"useCachedMetrics,omitempty"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
				Kind string `json:"kind,omitempty"`
			} `json:"authenticationRef,omitempty"`
			MetricType string `json:"metricType,omitempty"`
		} `json:"triggers"`
		Fallback *struct {
			FailureThreshold int32  `json:"failureThreshold"`
			Replicas         int32  `json:"replicas"`
			Behavior         string `json:"behavior,omitempty"`
		} `json:"fallback,omitempty"`
	} `json:"spec"`
}

// prometheusScalerKeys are the metadata KEDA's prometheus scaler reads.
var prometheusScalerKeys = []string{"serverAddress", "query", "queryParameters", "threshold",
	"activationThreshold", "namespace", "customHeaders", "ignoreNullValues", "unsafeSsl", "authModes", "timeout"}

// apiTypes maps apiVersion and kind to the Go type an object decodes into.
var apiTypes = map[string]func() any{
	"apps/v1 Deployment":                      func() any { return new(appsv1.Deployment) },
	"apps/v1 StatefulSet":                     func() any { return new(appsv1.StatefulSet) },
	"v1 Service":                              func() any { return new(corev1.Service) },
	"v1 ConfigMap":                            func() any { return new(corev1.ConfigMap) },
	"v1 Secret":                               func() any { return new(corev1.Secret) },
	"v1 Namespace":                            func() any { return new(corev1.Namespace) },
	"policy/v1 PodDisruptionBudget":           func() any { return new(policyv1.PodDisruptionBudget) },
	"networking.k8s.io/v1 Ingress":            func() any { return new(networkingv1.Ingress) },
	"networking.k8s.io/v1 NetworkPolicy":      func() any { return new(networkingv1.NetworkPolicy) },
	"autoscaling/v2 HorizontalPodAutoscaler":  func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"monitoring.coreos.com/v1 PodMonitor":     func() any { return new(monitoringv1.PodMonitor) },
	"monitoring.coreos.com/v1 ServiceMonitor": func() any { return new(monitoringv1.ServiceMonitor) },
	"monitoring.coreos.com/v1 PrometheusRule": func() any { return new(monitoringv1.PrometheusRule) },
	"keda.sh/v1alpha1 ScaledObject":           func() any { return new(scaledObject) },
}

// rendered is what an overlay renders, decoded.
type rendered struct {
	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	services     []*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	pdbs         []*policyv1.PodDisruptionBudget
	ingresses    []*networkingv1.Ingress
	netpols      []*networkingv1.NetworkPolicy
	podMonitors  []*monitoringv1.PodMonitor
	rules        []*monitoringv1.PrometheusRule
	scaled       []*scaledObject
}

// render builds an overlay with kustomize's Go API (what `kustomize build`
// and `kubectl kustomize` run) and decodes every object strictly.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := &rendered{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, res := range m.Resources() {
		id := res.GetApiVersion() + " " + res.GetKind()
		what := fmt.Sprintf("%s %s", id, res.GetName())
		newObj, ok := apiTypes[id]
		if !ok {
			t.Errorf("%s: no Go type for %s here: add it to apiTypes", what, id)
			continue
		}
		j, err := res.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		obj := newObj()
		strict, err := kjson.UnmarshalStrict(j, obj)
		if err = errors.Join(append(strict, err)...); err != nil {
			t.Errorf("%s does not decode strictly: %v", what, err)
			continue
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			r.deployments = append(r.deployments, o)
		case *appsv1.StatefulSet:
			r.statefulSets = append(r.statefulSets, o)
		case *corev1.Service:
			r.services = append(r.services, o)
		case *corev1.ConfigMap:
			r.configMaps[o.Name] = o
		case *corev1.Secret:
			r.secrets[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, o)
		case *networkingv1.Ingress:
			r.ingresses = append(r.ingresses, o)
		case *networkingv1.NetworkPolicy:
			r.netpols = append(r.netpols, o)
		case *monitoringv1.PodMonitor:
			r.podMonitors = append(r.podMonitors, o)
		case *monitoringv1.PrometheusRule:
			r.rules = append(r.rules, o)
		case *scaledObject:
			r.scaled = append(r.scaled, o)
		}
	}
	return r
}

// workload is a Deployment or a StatefulSet.
type workload struct {
	kind, name string
	replicas   *int32
	template   corev1.PodTemplateSpec
}

func (r *rendered) workloads() []workload {
	var out []workload
	for _, d := range r.deployments {
		out = append(out, workload{"Deployment", d.Name, d.Spec.Replicas, d.Spec.Template})
	}
	for _, s := range r.statefulSets {
		out = append(out, workload{"StatefulSet", s.Name, s.Spec.Replicas, s.Spec.Template})
	}
	return out
}

// selecting returns the workloads whose pods sel selects.
func (r *rendered) selecting(t *testing.T, sel *metav1.LabelSelector) []workload {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Errorf("selector %v: %v", sel, err)
		return nil
	}
	var out []workload
	for _, w := range r.workloads() {
		if !s.Empty() && s.Matches(labels.Set(w.template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func (r *rendered) deployment(name string) *appsv1.Deployment {
	for _, d := range r.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

func TestOverlays(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(overlaysDir, "*", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	for _, want := range []string{"small", "production"} {
		if !slices.Contains(names, want) {
			t.Errorf("overlay %s is missing", want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(overlaysDir, name)
			r := render(t, dir)
			secretKeys := readEnvFile(t, filepath.Join(dir, "secret.example.env"))
			cfgs := checkWabulkDeployments(t, r, secretKeys)
			checkWorkloads(t, r, secretKeys)
			checkRouting(t, r)
			checkMonitoring(t, r)
			switch name {
			case "small":
				checkSmall(t, r, cfgs["worker"])
			case "production":
				checkProduction(t, r, cfgs["worker"])
			}
		})
	}
}

// checkWabulkDeployments checks the worker, serve and scheduler
// Deployments against the config each of them reads, parsed with wabulk's
// own parser in exactly the environment the container gets, and returns
// those configs by process.
func checkWabulkDeployments(t *testing.T, r *rendered, secretKeys []string) map[string]deployConfig {
	cfgs := map[string]deployConfig{}
	usedKeys := map[string]bool{}
	for process, name := range wabulkProcesses {
		d := r.deployment(name)
		if d == nil {
			t.Errorf("Deployment %s is missing", name)
			continue
		}
		pod := d.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Errorf("%s: want one container, got %d", name, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		what := name + "/" + c.Name

		// The config file the container reads, from the ConfigMap mounted there.
		if len(c.Args) < 3 || c.Args[0] != process || c.Args[1] != "--config" {
			t.Errorf("%s: args %q: want [%s --config FILE]", what, c.Args, process)
			continue
		}
		data, err := mountedFile(r, pod, c, c.Args[2])
		if err != nil {
			t.Errorf("%s: config %s: %v", what, c.Args[2], err)
			continue
		}
		env, err := containerEnv(r, c, secretKeys)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		vars := configVars(t, data)
		for _, v := range missingVars(vars, env) {
			t.Errorf("%s: ${%s} in the config has no value: add %s to the Secret %s (secret.example.env), an env entry, or give it a default (${%s:-...})",
				what, v, v, secretName, v)
		}
		for v := range vars {
			usedKeys[v] = true
		}
		cfg, err := parseConfig(data, env)
		if err != nil {
			t.Errorf("%s: wabulk would not start: %v", what, err)
			continue
		}
		cfgs[process] = cfg
		if process == "worker" {
			if err := cfg.RequireCredentials(); err != nil {
				t.Errorf("%s: the worker would not start: %v", what, err)
			}
		}

		// Probes on the port the process listens on.
		listen, listenWhat := cfg.AdminListen, "admin.listen"
		if process == "serve" {
			listen, listenWhat = cfg.Serve.Listen, "serve.listen"
		}
		port, err := listenPort(listenWhat, listen)
		if err != nil {
			t.Errorf("%s: %v", what, err)
		} else {
			checkProbePort(t, what, c, c.LivenessProbe, "/healthz", port)
			checkProbePort(t, what, c, c.ReadinessProbe, "/readyz", port)
			if a := d.Spec.Template.Annotations["prometheus.io/port"]; a != port {
				t.Errorf("%s: annotation prometheus.io/port %q, want %s (%s)", what, a, port, listenWhat)
			}
		}

		// Time to drain in-flight sends.
		grace := time.Duration(ptrOr(pod.TerminationGracePeriodSeconds, 30)) * time.Second
		if shutdown := cfg.shutdownTimeout(); grace <= shutdown {
			t.Errorf("%s: terminationGracePeriodSeconds %v must exceed worker.shutdown_timeout %v", what, grace, shutdown)
		}

		// The scheduler reads every audience file.
		if process == "scheduler" {
			for _, s := range cfg.Schedules {
				if _, err := mountedFile(r, pod, c, s.Audience); err != nil {
					t.Errorf("%s: schedule %s: audience %s: %v", what, s.ID, s.Audience, err)
				}
			}
		}
	}
	for _, w := range r.workloads() {
		for _, c := range w.template.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					usedKeys[e.ValueFrom.SecretKeyRef.Key] = true
				}
			}
		}
	}
	for _, k := range secretKeys {
		if !usedKeys[k] {
			t.Errorf("secret.example.env: %s is used by no config and no container", k)
		}
	}
	return cfgs
}

// mountedFile returns the file a container sees at file, from the
// ConfigMap volume mounted at its folder.
func mountedFile(r *rendered, pod corev1.PodSpec, c corev1.Container, file string) ([]byte, error) {
	dir, base := path.Split(file)
	dir = path.Clean(dir)
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) != dir || m.SubPath != "" {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.ConfigMap == nil {
				return nil, fmt.Errorf("volume %s mounted at %s is not a ConfigMap", v.Name, dir)
			}
			cm, ok := r.configMaps[v.ConfigMap.Name]
			if !ok {
				return nil, fmt.Errorf("volume %s: no ConfigMap %s is rendered", v.Name, v.ConfigMap.Name)
			}
			data, ok := cm.Data[base]
			if !ok {
				return nil, fmt.Errorf("ConfigMap %s has no key %s", cm.Name, base)
			}
			return []byte(data), nil
		}
		return nil, fmt.Errorf("mount %s names no volume", m.Name)
	}
	return nil, fmt.Errorf("nothing is mounted at %s", dir)
}

// containerEnv is the environment a container starts with: its env
// entries and envFrom sources, with placeholder values for the Secret
// created from secret.example.env.
func containerEnv(r *rendered, c corev1.Container, secretKeys []string) (map[string]string, error) {
	env := map[string]string{}
	var errs []error
	for _, from := range c.EnvFrom {
		switch {
		case from.SecretRef != nil && from.SecretRef.Name == secretName:
			for _, k := range secretKeys {
				env[from.Prefix+k] = placeholder
			}
		case from.SecretRef != nil:
			s, ok := r.secrets[from.SecretRef.Name]
			if !ok {
				errs = append(errs, fmt.Errorf("envFrom Secret %s is neither rendered nor %q", from.SecretRef.Name, secretName))
				continue
			}
			for k := range s.Data {
				env[from.Prefix+k] = placeholder
			}
			for k := range s.StringData {
				env[from.Prefix+k] = placeholder
			}
		case from.ConfigMapRef != nil:
			cm, ok := r.configMaps[from.ConfigMapRef.Name]
			if !ok {
				errs = append(errs, fmt.Errorf("envFrom ConfigMap %s is not rendered", from.ConfigMapRef.Name))
				continue
			}
			for k, v := range cm.Data {
				env[from.Prefix+k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if err := checkSecretKey(r, ref.Name, ref.Key, secretKeys); err != nil {
				errs = append(errs, fmt.Errorf("env %s: %w", e.Name, err))
			}
			env[e.Name] = placeholder
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := r.configMaps[ref.Name]
			if !ok || cm.Data[ref.Key] == "" {
				errs = append(errs, fmt.Errorf("env %s: ConfigMap %s has no key %s", e.Name, ref.Name, ref.Key))
			}
			env[e.Name] = cm.Data[ref.Key]
		default:
			env[e.Name] = placeholder
		}
	}
	return env, errors.Join(errs...)
}

func checkSecretKey(r *rendered, name, key string, secretKeys []string) error {
	if name == secretName {
		if !slices.Contains(secretKeys, key) {
			return fmt.Errorf("Secret %s has no key %s in secret.example.env", name, key)
		}
		return nil
	}
	s, ok := r.secrets[name]
	if !ok {
		return fmt.Errorf("Secret %s is neither rendered nor %q", name, secretName)
	}
	if _, ok := s.Data[key]; !ok {
		if _, ok := s.StringData[key]; !ok {
			return fmt.Errorf("Secret %s has no key %s", name, key)
		}
	}
	return nil
}

// checkProbePort checks that probe is an HTTP GET of path on the
// container port numbered port.
func checkProbePort(t *testing.T, what string, c corev1.Container, probe *corev1.Probe, path, port string) {
	t.Helper()
	if probe == nil || probe.HTTPGet == nil {
		t.Errorf("%s: want an HTTP probe on %s", what, path)
		return
	}
	if probe.HTTPGet.Path != path {
		t.Errorf("%s: probe path %s, want %s", what, probe.HTTPGet.Path, path)
	}
	got, err := containerPort(c, probe.HTTPGet.Port)
	if err != nil {
		t.Errorf("%s: probe on %s: %v", what, path, err)
	} else if strconv.Itoa(int(got)) != port {
		t.Errorf("%s: probe on %s goes to port %d, but the process listens on %s", what, path, got, port)
	}
}

// containerPort resolves a port by number or by name.
func containerPort(c corev1.Container, p intstr.IntOrString) (int32, error) {
	if p.Type == intstr.Int {
		return p.IntVal, nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("container %s has no port named %q", c.Name, p.StrVal)
}

// checkWorkloads checks what every Deployment and StatefulSet must have:
// probes, resources, a locked-down security context, ConfigMaps and
// Secrets that exist, a pinned image.
func checkWorkloads(t *testing.T, r *rendered, secretKeys []string) {
	for _, w := range r.workloads() {
		pod := w.template.Spec
		what := w.kind + " " + w.name
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: set automountServiceAccountToken: false (nothing here talks to the API server)", what)
		}
		for _, c := range pod.Containers {
			cw := what + "/" + c.Name
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s: needs a liveness and a readiness probe", cw)
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, hasReq := c.Resources.Requests[res]
				lim, hasLim := c.Resources.Limits[res]
				if !hasReq || !hasLim {
					t.Errorf("%s: needs a %s request and limit", cw, res)
				} else if req.Cmp(lim) > 0 {
					t.Errorf("%s: %s request %s above its limit %s", cw, res, req.String(), lim.String())
				}
			}
			sc := c.SecurityContext
			nonRoot := pod.SecurityContext != nil && ptrOr(pod.SecurityContext.RunAsNonRoot, false)
			if sc != nil && sc.RunAsNonRoot != nil {
				nonRoot = *sc.RunAsNonRoot
			}
			if !nonRoot {
				t.Errorf("%s: must run as non-root (runAsNonRoot: true)", cw)
			}
			if sc == nil || !ptrOr(sc.ReadOnlyRootFilesystem, false) {
				t.Errorf("%s: needs readOnlyRootFilesystem: true", cw)
			}
			if sc == nil || ptrOr(sc.AllowPrivilegeEscalation, true) {
				t.Errorf("%s: needs allowPrivilegeEscalation: false", cw)
			}
			if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: must drop ALL capabilities and add none", cw)
			}
			if err := checkImage(c.Image); err != nil {
				t.Errorf("%s: %v", cw, err)
			}
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil && from.SecretRef.Name != secretName {
					if _, ok := r.secrets[from.SecretRef.Name]; !ok {
						t.Errorf("%s: envFrom Secret %s is not rendered", cw, from.SecretRef.Name)
					}
				}
			}
			if _, err := containerEnv(r, c, secretKeys); err != nil {
				t.Errorf("%s: %v", cw, err)
			}
		}
		for _, v := range pod.Volumes {
			if v.ConfigMap != nil {
				if _, ok := r.configMaps[v.ConfigMap.Name]; !ok {
					t.Errorf("%s: volume %s: no ConfigMap %s is rendered", what, v.Name, v.ConfigMap.Name)
				}
			}
			if v.Secret != nil && v.Secret.SecretName != secretName {
				if _, ok := r.secrets[v.Secret.SecretName]; !ok {
					t.Errorf("%s: volume %s: no Secret %s is rendered", what, v.Name, v.Secret.SecretName)
				}
			}
		}
	}
}

// checkRouting checks that PodDisruptionBudgets, Services, Ingresses and
// NetworkPolicies point at things that exist.
func checkRouting(t *testing.T, r *rendered) {
	for _, p := range r.pdbs {
		if len(r.selecting(t, p.Spec.Selector)) == 0 {
			t.Errorf("PodDisruptionBudget %s selects no pods", p.Name)
		}
		if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
			t.Errorf("PodDisruptionBudget %s sets neither minAvailable nor maxUnavailable", p.Name)
		}
	}
	for _, d := range r.deployments {
		covered := false
		for _, p := range r.pdbs {
			for _, w := range r.selecting(t, p.Spec.Selector) {
				covered = covered || w.name == d.Name
			}
		}
		if !covered {
			t.Errorf("Deployment %s has no PodDisruptionBudget", d.Name)
		}
	}
	services := map[string]*corev1.Service{}
	for _, s := range r.services {
		services[s.Name] = s
		ws := r.selecting(t, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
		if len(ws) == 0 {
			t.Errorf("Service %s selects no pods", s.Name)
			continue
		}
		for _, p := range s.Spec.Ports {
			for _, w := range ws {
				if _, err := containerPort(w.template.Spec.Containers[0], p.TargetPort); err != nil {
					t.Errorf("Service %s port %s: %s %s: %v", s.Name, p.Name, w.kind, w.name, err)
				}
			}
		}
	}
	for _, ing := range r.ingresses {
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b == nil {
					continue
				}
				s, ok := services[b.Name]
				if !ok {
					t.Errorf("Ingress %s: %s goes to Service %s, which is not rendered", ing.Name, p.Path, b.Name)
					continue
				}
				if !slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool {
					return sp.Name == b.Port.Name && b.Port.Name != "" || sp.Port == b.Port.Number
				}) {
					t.Errorf("Ingress %s: Service %s has no port %v", ing.Name, b.Name, b.Port)
				}
				if p.Path == "/" || p.Path == "/metrics" {
					t.Errorf("Ingress %s routes %s: route /webhooks/ and /v1/ only, never /metrics", ing.Name, p.Path)
				}
			}
		}
	}
	for _, np := range r.netpols {
		if len(r.selecting(t, &np.Spec.PodSelector)) == 0 {
			t.Errorf("NetworkPolicy %s selects no pods", np.Name)
		}
		for _, in := range np.Spec.Ingress {
			for _, from := range in.From {
				if from.PodSelector != nil && from.NamespaceSelector == nil && len(r.selecting(t, from.PodSelector)) == 0 {
					t.Errorf("NetworkPolicy %s admits pods that none of this overlay's are", np.Name)
				}
			}
		}
	}
}

// checkMonitoring checks the PodMonitors, PrometheusRules and KEDA
// ScaledObjects.
func checkMonitoring(t *testing.T, r *rendered) {
	for _, pm := range r.podMonitors {
		ws := r.selecting(t, &pm.Spec.Selector)
		scraped := map[string]bool{}
		for _, ep := range pm.Spec.PodMetricsEndpoints {
			if ep.Port == nil || *ep.Port == "" {
				t.Errorf("PodMonitor %s: every endpoint names a port", pm.Name)
				continue
			}
			found := false
			for _, w := range ws {
				if _, err := containerPort(w.template.Spec.Containers[0], intstr.FromString(*ep.Port)); err == nil {
					found, scraped[w.name] = true, true
				}
			}
			if !found {
				t.Errorf("PodMonitor %s: no pod it selects has a port named %s", pm.Name, *ep.Port)
			}
		}
		for _, name := range wabulkProcesses {
			if !scraped[name] {
				t.Errorf("PodMonitor %s does not scrape %s", pm.Name, name)
			}
		}
	}
	for _, pr := range r.rules {
		if len(pr.Spec.Groups) == 0 {
			t.Errorf("PrometheusRule %s has no groups", pr.Name)
		}
	}
	q := newPromQL(t)
	for _, so := range r.scaled {
		what := "ScaledObject " + so.Name
		ref := so.Spec.ScaleTargetRef
		if ref == nil || r.deployment(ref.Name) == nil {
			t.Errorf("%s: scaleTargetRef must name a rendered Deployment", what)
			continue
		}
		lo, hi := ptrOr(so.Spec.MinReplicaCount, 0), ptrOr(so.Spec.MaxReplicaCount, 100)
		if lo < 1 || lo > hi {
			t.Errorf("%s: replicas %d..%d: want 1 <= min <= max (a worker must always run)", what, lo, hi)
		}
		if d := r.deployment(ref.Name); ptrOr(d.Spec.Replicas, 1) != lo {
			t.Errorf("%s: minReplicaCount %d differs from Deployment %s's replicas %d", what, lo, d.Name, ptrOr(d.Spec.Replicas, 1))
		}
		if len(so.Spec.Triggers) == 0 {
			t.Errorf("%s: no triggers", what)
		}
		for _, tr := range so.Spec.Triggers {
			if tr.Type != "prometheus" {
				continue
			}
			for k := range tr.Metadata {
				if !slices.Contains(prometheusScalerKeys, k) {
					t.Errorf("%s: prometheus trigger has no metadata %q (want one of %v)", what, k, prometheusScalerKeys)
				}
			}
			for _, k := range []string{"serverAddress", "query", "threshold"} {
				if tr.Metadata[k] == "" {
					t.Errorf("%s: prometheus trigger needs %s", what, k)
				}
			}
			for _, k := range []string{"threshold", "activationThreshold"} {
				if v, ok := tr.Metadata[k]; ok {
					if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
						t.Errorf("%s: %s %q: want a number", what, k, v)
					}
				}
			}
			if _, problems := q.check(tr.Metadata["query"]); len(problems) > 0 {
				for _, p := range problems {
					t.Errorf("%s: %v", what, p)
				}
			}
		}
	}
}

// checkSmall: one Redis node with AOF, reached where the config says.
func checkSmall(t *testing.T, r *rendered, cfg deployConfig) {
	if cfg.Config == nil {
		return
	}
	if len(r.statefulSets) != 1 {
		t.Fatalf("want one StatefulSet (Redis), got %d", len(r.statefulSets))
	}
	redis := r.statefulSets[0]
	args := strings.Join(redis.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.Contains(args, "--appendonly yes") {
		t.Errorf("StatefulSet %s: Redis needs --appendonly yes, got args %q", redis.Name, args)
	}
	if len(redis.Spec.VolumeClaimTemplates) == 0 {
		t.Errorf("StatefulSet %s: Redis needs a persistent volume for its AOF", redis.Name)
	}
	target, err := cfg.Redis.Target()
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	if target.Form != config.FormSingle || len(target.Addrs) != 1 {
		t.Fatalf("redis: want one node, got %v", target)
	}
	host, port, _ := strings.Cut(target.Addrs[0], ":")
	var svc *corev1.Service
	for _, s := range r.services {
		if s.Name == host {
			svc = s
		}
	}
	if svc == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return strconv.Itoa(int(p.Port)) == port }) {
		t.Errorf("redis.url names %s, but no rendered Service serves it", target.Addrs[0])
	}
	if d := r.deployment("wabulk-worker"); d != nil && ptrOr(d.Spec.Replicas, 1) != 1 {
		t.Errorf("small: want 1 worker, got %d", ptrOr(d.Spec.Replicas, 1))
	}
}

// checkProduction: Sentinel with a confirming replica, the replica
// counts, KEDA on the workers and the alert rules.
func checkProduction(t *testing.T, r *rendered, cfg deployConfig) {
	if cfg.Config == nil {
		return
	}
	target, err := cfg.Redis.Target()
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	if target.Form != config.FormSentinel {
		t.Errorf("redis: want the Sentinel form, got %v", target)
	}
	if len(target.Addrs) < 3 {
		t.Errorf("redis: list every Sentinel (at least 3), got %v", target.Addrs)
	}
	if n := cfg.Redis.Replicas(); n != 1 {
		t.Errorf("redis.confirm_replicas: want 1, got %d", n)
	}
	for name, want := range map[string]int32{"wabulk-worker": 3, "wabulk-serve": 2, "wabulk-scheduler": 2} {
		if d := r.deployment(name); d != nil && ptrOr(d.Spec.Replicas, 1) != want {
			t.Errorf("%s: want %d replicas, got %d", name, want, ptrOr(d.Spec.Replicas, 1))
		}
	}
	if len(r.statefulSets) != 0 {
		t.Errorf("production runs no Redis of its own, got %d StatefulSets", len(r.statefulSets))
	}
	if len(r.scaled) != 1 || r.scaled[0].Spec.ScaleTargetRef.Name != "wabulk-worker" {
		t.Errorf("want one ScaledObject, for wabulk-worker")
	}
	if len(r.podMonitors) == 0 || len(r.rules) == 0 {
		t.Errorf("want the PodMonitor and the PrometheusRule")
	}
	if _, err := os.Stat(filepath.Join(overlaysDir, "production", "redis-values.yaml")); err != nil {
		t.Error(err)
	}
}

// checkImage wants a pinned image, renamed from the bare "wabulk" the base
// names by the kustomize images entry.
func checkImage(ref string) error {
	name, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	switch {
	case name == "wabulk":
		return fmt.Errorf("image %q: the kustomization's images entry did not rename it", ref)
	case strings.Contains(ref, "@"):
		return nil
	case tag == "" || tag == "latest":
		return fmt.Errorf("image %q: pin a version tag", ref)
	}
	return nil
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
