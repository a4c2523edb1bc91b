package config

import (
	"fmt"
	"net"
)

// AdminConfig is the admin listener of the long-running processes that
// serve no HTTP of their own (worker, scheduler): /healthz (the process
// runs), /readyz (Redis answers and takes writes) and /metrics
// (Prometheus). serve answers the same paths on serve.listen.
type AdminConfig struct {
	// Listen is host:port. Defaults to 127.0.0.1:9090; in a container
	// set 0.0.0.0:9090 so the kubelet and Prometheus reach it. "off"
	// turns it off. Several processes on one host need one port each
	// (the --admin-listen flag).
	Listen string `yaml:"listen"`

	defaulted bool // Listen was not set: the default
}

// Defaulted reports whether Listen is the default rather than set.
func (a AdminConfig) Defaulted() bool { return a.defaulted }

// Off reports whether the admin listener is turned off.
func (a AdminConfig) Off() bool { return a.Listen == "off" }

func (a *AdminConfig) applyDefaults() {
	if a.Listen == "" {
		a.Listen, a.defaulted = "127.0.0.1:9090", true
	}
}

func (a *AdminConfig) validate() error {
	if a.Off() {
		return nil
	}
	if _, _, err := net.SplitHostPort(a.Listen); err != nil {
		return fmt.Errorf("admin.listen %q: want host:port (e.g. 0.0.0.0:9090) or off", a.Listen)
	}
	return nil
}
