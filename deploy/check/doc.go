// Package check holds the offline checks of wabulk's deploy folder, as
// tests of a module of its own, so that the main module's go.mod stays
// free of kustomize, the Kubernetes API types, Prometheus and Compose:
//
//	cd deploy/check && go test ./...
//
// What it checks, without a cluster, a Docker engine or a network:
//
//   - every Kubernetes overlay renders with kustomize (in process), and
//     every object it renders decodes strictly (an unknown or duplicate
//     field is an error) into its Kubernetes API type, or, for the custom
//     resources (KEDA, prometheus-operator), into its own type or a
//     minimal one;
//   - the workloads: probes on /healthz and /readyz at the port the config
//     listens on, requests and limits, non-root with a read-only root file
//     system and no capabilities, a grace period above
//     worker.shutdown_timeout, every ConfigMap and Secret they mount;
//   - the configs (Kubernetes and Compose) parse with wabulk's own config
//     parser, given exactly the environment each container gets: every
//     ${VAR} has a value from the Secret (secret.example.env) or a default;
//   - the alert rules (Prometheus's rulefmt), the Grafana dashboard and the
//     KEDA trigger query only metrics and labels of testdata/metrics.txt;
//   - the Compose file loads as `docker compose` loads it, with and without
//     the demo profile, and the Dockerfile and .dockerignore build what
//     deploy/build.sh builds.
//
// It must never reach a cluster or a registry: it reads files only.
//
// It builds against this checkout's own wabulk module (replace ../.. in
// go.mod), so that the configs are read by the parser the binary runs:
// when the main go.mod changes, run go mod tidy here too.
package check
