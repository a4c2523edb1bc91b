package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
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

// demo --ui keeps the console up after the campaigns drained, with a
// sign-in token made for the run, until it is stopped.
func TestDemoUI(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		code := run(ctx, []string{"demo", "--ui", "--ui-listen", "127.0.0.1:0", "--recipients", "100", "--out", t.TempDir()}, pw, &errOut)
		_ = pw.Close()
		done <- code
	}()
	var base, token string
	sc := bufio.NewScanner(pr)
	for sc.Scan() && token == "" {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "web console: "); ok {
			base = strings.TrimSuffix(u, "/ui/")
		}
		if tok, ok := strings.CutPrefix(line, "sign-in token (this demo run only): "); ok {
			token = tok
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" || token == "" {
		cancel()
		t.Fatalf("demo --ui printed no console URL and token (exit %d): %s", <-done, errOut.String())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(base+"/ui/signin", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("sign in with the printed token: %d", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/ui/campaigns/demo-promo", nil)
	req.AddCookie(res.Cookies()[0])
	page, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(body), "demo-promo") || !strings.Contains(string(body), "100 %") {
		t.Errorf("demo-promo's page: %d\n%s", page.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("demo --ui stopped with exit %d: %s", code, errOut.String())
	}
}
