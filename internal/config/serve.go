package config

import (
	"fmt"
	"net"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ServeConfig configures `wabulk serve`, the webhook receiver and the
// HTTP producer API.
type ServeConfig struct {
	// Listen is the address the HTTP server listens on; defaults to
	// 127.0.0.1:8080 (put a TLS-terminating proxy or ingress in front).
	Listen string `yaml:"listen"`
	// APITokens are the bearer tokens of the HTTP API (/v1/...) and the
	// web console's sign-in, usually "${VAR}"s; none (or every one unset)
	// leaves both off. An entry is a token (role full: may read and act),
	// or {token: "${VAR}", role: read-only} for a token that may only read
	// (every action answered 403).
	APITokens []APIToken `yaml:"api_tokens"`
	// Console serves the web console under /ui/ beside the API. Defaults
	// to on wherever the API is on (a token is set); false turns it off.
	Console *bool `yaml:"console"`
	// ConsoleSecureCookies marks the console's session cookie Secure (sent
	// over HTTPS only): set it when serve sits behind a TLS-terminating
	// proxy, as it should in production. Defaults to false, so that the
	// console works over plain http on loopback.
	ConsoleSecureCookies bool `yaml:"console_secure_cookies"`
	// MaxUploadBytes bounds one campaign upload (spec and recipients);
	// larger is answered 413, with the rows before the limit imported.
	// Defaults to 1 GiB.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// UploadTimeout is how long one upload (or report download) may take
	// before it is cut off, the rows before imported. Defaults to 1h.
	UploadTimeout Duration `yaml:"upload_timeout"`
	// MaxConcurrentUploads bounds the uploads imported at once; one more
	// is answered 429 with Retry-After. Defaults to 4.
	MaxConcurrentUploads int `yaml:"max_concurrent_uploads"`
}

// MinAPITokenLen is the shortest API token serve takes.
const MinAPITokenLen = 16

// The roles of an API token.
const (
	// RoleFull may read and act (send, import, pause, resume...).
	RoleFull = "full"
	// RoleReadOnly may read everything and act on nothing.
	RoleReadOnly = "read-only"
)

// APIToken is one entry of serve.api_tokens: a token and its role.
type APIToken struct {
	Token Secret `yaml:"token"`
	// Role is RoleFull (the default) or RoleReadOnly.
	Role string `yaml:"role"`
}

// UnmarshalYAML takes a token alone ("${WABULK_API_TOKEN}": role full) or
// a mapping {token, role}.
func (t *APIToken) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = APIToken{Token: Secret(n.Value)}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "token", "role":
			default:
				return fmt.Errorf("line %d: unknown field %q in an api_tokens entry (want token and role)", k.Line, k.Value)
			}
		}
		type plain APIToken
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		*t = APIToken(p)
		return nil
	}
	return fmt.Errorf("line %d: an api_tokens entry is a token or {token: ..., role: full|read-only}", n.Line)
}

// ReadOnly reports whether the token may only read.
func (t APIToken) ReadOnly() bool { return t.Role == RoleReadOnly }

// Tokens returns the API tokens that are set, of every role.
func (s ServeConfig) Tokens() []string {
	full, ro := s.TokensByRole()
	return append(full, ro...)
}

// TokensByRole returns the API tokens that are set: those that may act,
// and the read-only ones.
func (s ServeConfig) TokensByRole() (full, readOnly []string) {
	for _, t := range s.APITokens {
		switch v := t.Token.Reveal(); {
		case v == "":
		case t.ReadOnly():
			readOnly = append(readOnly, v)
		default:
			full = append(full, v)
		}
	}
	return full, readOnly
}

// ConsoleOn reports whether serve serves the web console: on by default
// wherever the API is on.
func (s ServeConfig) ConsoleOn() bool {
	return len(s.Tokens()) > 0 && (s.Console == nil || *s.Console)
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
	if s.MaxUploadBytes < 0 {
		errs.add("serve.max_upload_bytes %d: want a positive size in bytes (0: the default, 1 GiB)", s.MaxUploadBytes)
	}
	if s.UploadTimeout == Off {
		errs.add("serve.upload_timeout: cannot be off; give a duration such as 1h")
	}
	if s.MaxConcurrentUploads < 0 {
		errs.add("serve.max_concurrent_uploads %d: want a positive count (0: the default, 4)", s.MaxConcurrentUploads)
	}
	for i, tok := range s.APITokens {
		switch tok.Role {
		case "", RoleFull, RoleReadOnly:
		default:
			errs.add("serve.api_tokens[%d].role %q: want %s or %s", i, tok.Role, RoleFull, RoleReadOnly)
		}
		// An unset ${VAR} leaves "": that token is off (serve says so).
		switch t := tok.Token.Reveal(); {
		case t == "":
		case len(t) < MinAPITokenLen:
			errs.add("serve.api_tokens[%d]: a token must be at least %d characters (e.g. openssl rand -hex 32)", i, MinAPITokenLen)
		case strings.ContainsAny(t, " \t\r\n"):
			errs.add("serve.api_tokens[%d]: a token must not contain spaces", i)
		}
	}
	return errs.join()
}
