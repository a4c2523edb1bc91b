package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/store/storetest"
)

// serve mounts the web console at /ui/ where the API is on, and
// serve.console: false takes it off.
func TestServeConsole(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	redisLine := fmt.Sprintf("redis: {url: \"redis://%s/%d\", prefix: %q}\nlog: {level: error}\n", r.Addr, r.Opt.DB, r.Prefix)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		t.Helper()
		res, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	on := writeConfig(t, redisLine+"providers:\n  - {name: sn, kind: socnet, api_key: k}\nserve:\n  api_tokens:\n    - "+cmdAPIToken+"\n    - {token: viewer-token-0123456789, role: read-only}\n")
	base, _ := startServe(t, "--config", on)
	if res := get(base + "/ui"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d %s, want a redirect to /ui/", res.StatusCode, res.Header.Get("Location"))
	}
	if res := get(base + "/ui/signin"); res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /ui/signin: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	for _, tok := range []string{cmdAPIToken, "viewer-token-0123456789"} {
		res, err := noRedirect.PostForm(base+"/ui/signin", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
			t.Errorf("sign in: %d, cookies %v", res.StatusCode, res.Cookies())
		}
	}

	off := writeConfig(t, redisLine+"providers:\n  - {name: sn, kind: socnet, api_key: k}\nserve:\n  console: false\n  api_tokens: ["+cmdAPIToken+"]\n")
	base, _ = startServe(t, "--config", off)
	if res := get(base + "/ui/signin"); res.StatusCode == http.StatusOK || res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("console: false, yet GET /ui/signin answers %d", res.StatusCode)
	}
}
