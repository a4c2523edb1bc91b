package config

import (
	"net"
	"strings"
)

// ServeConfig configures `wabulk serve`, the webhook receiver and the
// HTTP producer API.
type ServeConfig struct {
	// Listen is the address the HTTP server listens on; defaults to
	// 127.0.0.1:8080 (put a TLS-terminating proxy or ingress in front).
	Listen string `yaml:"listen"`
	// APITokens are the bearer tokens of the HTTP API (/v1/...), usually
	// "${VAR}"s; none (or every one unset) leaves the API off.
	APITokens []Secret `yaml:"api_tokens"`
}

// MinAPITokenLen is the shortest API token serve takes.
const MinAPITokenLen = 16

// Tokens returns the API tokens that are set.
func (s ServeConfig) Tokens() []string {
	var out []string
	for _, t := range s.APITokens {
		if t.Reveal() != "" {
			out = append(out, t.Reveal())
		}
	}
	return out
}

func (s *ServeConfig) applyDefaults() {
	if s.Listen == "" {
		s.Listen = "127.0.0.1:8080"
	}
}

func (s *ServeConfig) validate() error {
	var errs errList
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		errs.add("serve.listen %q: want host:port, e.g. 127.0.0.1:8080 or :8080", s.Listen)
	}
	for i, tok := range s.APITokens {
		// An unset ${VAR} leaves "": that token is off (serve says so).
		switch t := tok.Reveal(); {
		case t == "":
		case len(t) < MinAPITokenLen:
			errs.add("serve.api_tokens[%d]: a token must be at least %d characters (e.g. openssl rand -hex 32)", i, MinAPITokenLen)
		case strings.ContainsAny(t, " \t\r\n"):
			errs.add("serve.api_tokens[%d]: a token must not contain spaces", i)
		}
	}
	return errs.join()
}
