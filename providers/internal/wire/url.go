package wire

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// BaseURL parses raw (trimmed), or def when raw is blank, as the URL a
// provider's API lives under: an absolute http or https URL with a host,
// and no query or fragment (a query is where a misplaced credential would
// be). A user name and password in it are left to the caller. The errors
// name field ("BaseURL", "URL") and show no more of the URL than
// Shown does.
func BaseURL(field, raw, def string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL: %w", field, scrub(err))
	}
	if !isHTTP(u) {
		return nil, fmt.Errorf("%s %q must be an absolute http or https URL", field, Shown(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q must not carry a query or fragment", field, Shown(u))
	}
	return u, nil
}

// IsHTTPURL reports whether s is an absolute http or https URL with a
// host (a webhook or callback URL to hand to a provider).
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && isHTTP(u)
}

func isHTTP(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Shown is u as an error may show it: scheme, host and path, without the
// user's name and password, the query or the fragment, any of which may
// hold a credential.
func Shown(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// scrub drops the URL from a *url.Error: it may carry a credential.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
