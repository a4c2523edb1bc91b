package wire_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers/internal/wire"
)

func TestBaseURL(t *testing.T) {
	t.Parallel()
	const def = "https://api.example/v1"
	tests := []struct {
		name    string
		raw     string
		want    string // the URL, or the error
		wantErr bool
	}{
		{"default", "", def, false},
		{"blank is the default", "  \n", def, false},
		{"trimmed", " http://gw.internal:8080/wa/ ", "http://gw.internal:8080/wa/", false},
		{"https with a path", "https://api.example/wa/v1/", "https://api.example/wa/v1/", false},
		{"upper-case scheme", "HTTPS://api.example", "https://api.example", false},
		{"user info is the caller's to judge", "https://u:p@api.example", "https://u:p@api.example", false},
		{"unparsable", "http://[::1", `BaseURL is not a URL: missing ']' in host`, true},
		{"unparsable, the query not quoted", "http://[::1/?key=s3cret", `BaseURL is not a URL: missing ']' in host`, true},
		{"relative", "api.example/v1", `BaseURL "api.example/v1" must be an absolute http or https URL`, true},
		{"no host", "https:///v1", `BaseURL "https:///v1" must be an absolute http or https URL`, true},
		{"ftp", "ftp://api.example?key=s3cret", `BaseURL "ftp://api.example" must be an absolute http or https URL`, true},
		{"a query", "https://u:s3cret@api.example/v1?key=s3cret", `BaseURL "https://api.example/v1" must not carry a query or fragment`, true},
		{"a fragment", "https://api.example/v1#top", `BaseURL "https://api.example/v1" must not carry a query or fragment`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := wire.BaseURL("BaseURL", tt.raw, def)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = u.String()
			}
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("BaseURL(%q) = %q (error: %v), want %q (error: %v)", tt.raw, got, err != nil, tt.want, tt.wantErr)
			}
			if strings.Contains(got, "s3cret") && tt.wantErr {
				t.Errorf("the error shows the credential: %q", got)
			}
		})
	}
}

func TestIsHTTPURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://hooks.example/dt":  true,
		"http://127.0.0.1:8080/cb":  true,
		"https://hooks.example?a=1": true,
		"/whatsapp-callback":        false,
		"hooks.example/dt":          false,
		"ftp://hooks.example/dt":    false,
		"https://":                  false,
		"http://[::1":               false,
		"":                          false,
	} {
		if got := wire.IsHTTPURL(s); got != want {
			t.Errorf("IsHTTPURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestShown(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://api.example/v1":                     "https://api.example/v1",
		"https://user:pass@api.example/v1?token=x#f": "https://api.example/v1",
		"http://gw.internal:8080":                    "http://gw.internal:8080",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := wire.Shown(u); got != want {
			t.Errorf("Shown(%q) = %q, want %q", raw, got, want)
		}
	}
}
