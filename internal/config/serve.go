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
