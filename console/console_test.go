package console_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/console"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

const csvOK = "phone,name\n+255712000001,Asha\n+255712000002,Baraka\n"

func TestSignIn(t *testing.T) {
	r := newRig(t)
	b := r.browser(t)

	res, _ := b.get("/ui/")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ui/signin") {
		t.Fatalf("GET /ui/ signed out: %d %s, want 303 to the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := b.post("/ui/signin", url.Values{"token": {"wrong-token-0123456789"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not one of the API tokens") {
		t.Fatalf("wrong token: %d, want 401 with an error on the page:\n%s", res.StatusCode, body)
	}
	if len(res.Cookies()) != 0 {
		t.Errorf("wrong token set cookies: %v", res.Cookies())
	}

	res, _ = b.post("/ui/signin", url.Values{"token": {fullToken}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("right token: %d, want 303", res.StatusCode)
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == console.CookieName {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/ui/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui/", ck)
	}
	// The session in Redis holds a fingerprint of the token, never the token.
	keys, err := r.h.R.Client.Keys(bg, r.h.R.Prefix+"session:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("session keys %v (%v), want 1", keys, err)
	}
	vals, _ := r.h.R.Client.HGetAll(bg, keys[0]).Result()
	if vals["fp"] != console.Fingerprint(fullToken) || vals["role"] != "full" || vals["csrf"] == "" {
		t.Errorf("session %v", vals)
	}
	for k, v := range vals {
		if strings.Contains(v, fullToken) {
			t.Errorf("session field %s holds the token", k)
		}
	}
	if ttl := r.h.R.Client.PTTL(bg, keys[0]).Val(); ttl <= 0 {
		t.Errorf("session TTL %v, want an expiry", ttl)
	}
	res, body = b.get("/ui/")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Campaigns") {
		t.Fatalf("signed in: GET /ui/ %d", res.StatusCode)
	}

	// Sign-out ends the session in Redis.
	res, _ = b.post("/ui/signout", url.Values{"csrf": {vals["csrf"]}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if n := r.h.R.Client.Exists(bg, keys[0]).Val(); n != 0 {
		t.Error("the session outlived its sign-out")
	}
}

func TestSessionEndsWhenItsTokenIsRemoved(t *testing.T) {
	r := newRig(t)
	b := r.signedIn(t, fullToken)
	// Another console (a replica restarted with other tokens) over the
	// same Redis: the session's fingerprint matches no token there.
	other, err := console.New(console.Config{Producer: r.p, Fleet: r.f, Tokens: []string{"another-token-0123456789"}, Redis: r.h.R.Client, Prefix: r.h.R.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/ui/", nil)
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := newRecorder()
	other.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("session of a removed token: %d, want 303 to sign in", rec.Code)
	}
}

func TestSecurityHeadersAndNotFound(t *testing.T) {
	r := newRig(t)
	b := r.signedIn(t, fullToken)
	for _, path := range []string{"/ui/", "/ui/signin", "/ui/campaigns/nope", "/ui/static/console.js"} {
		res, body := b.get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
		if path == "/ui/campaigns/nope" && (res.StatusCode != http.StatusNotFound || !strings.Contains(body, `There is no campaign &#34;nope&#34;`)) {
			t.Errorf("unknown campaign: %d\n%s", res.StatusCode, body)
		}
		if strings.HasSuffix(path, ".js") {
			continue
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, res.Header.Get("Cache-Control"))
		}
		if strings.Contains(body, "<style") || strings.Contains(body, " style=") || strings.Contains(body, "<script>") {
			t.Errorf("%s: inline style or script", path)
		}
	}
	res, _ := b.get("/ui/no/such/page")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: %d", res.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	r := newRig(t)
	r.importCampaign(t, "c1", csvOK)
	b := r.signedIn(t, fullToken)
	for _, tok := range []string{"", "wrong"} {
		res, _ := b.post("/ui/campaigns/c1/pause", url.Values{"csrf": {tok}, "confirm": {"yes"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("pause with CSRF %q: %d, want 403", tok, res.StatusCode)
		}
	}
	// From another site, with the right token.
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/ui/campaigns/c1/pause", strings.NewReader(url.Values{"csrf": {b.csrf()}, "confirm": {"yes"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if res, _ := b.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin pause: %d, want 403", res.StatusCode)
	}
	st, err := r.h.St.CampaignState(bg, "c1")
	if err != nil || st.State != store.CampaignActive {
		t.Fatalf("campaign state %v (%v): a refused pause changed it", st.State, err)
	}
	// With it, after the confirmation page.
	res, body := b.post("/ui/campaigns/c1/pause", url.Values{"csrf": {b.csrf()}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("pause without confirm: %d, want the confirmation page", res.StatusCode)
	}
	if st, _ := r.h.St.CampaignState(bg, "c1"); st.State != store.CampaignActive {
		t.Fatal("the confirmation page paused the campaign")
	}
	res, _ = b.post("/ui/campaigns/c1/pause", url.Values{"csrf": {b.csrf()}, "confirm": {"yes"}, "reason": {"checking"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed pause: %d", res.StatusCode)
	}
	if st, _ := r.h.St.CampaignState(bg, "c1"); st.State != store.CampaignPaused || st.Reason != "checking" {
		t.Fatalf("after pause: %+v", st)
	}
	_, body = b.get("/ui/campaigns/c1")
	if !strings.Contains(body, "Campaign c1 paused") {
		t.Errorf("no flash after the pause:\n%s", body)
	}
}

func TestReadOnlyIsRefusedEveryAction(t *testing.T) {
	r := newRig(t)
	r.importCampaign(t, "c1", csvOK)
	b := r.signedIn(t, readOnlyToken)
	csrf := b.csrf()
	_, page := b.get("/ui/campaigns/c1")
	if !strings.Contains(page, "read-only") || strings.Count(page, " disabled>") < 4 {
		t.Errorf("read-only campaign page: want the role shown and the 4 action buttons disabled")
	}
	for _, path := range []string{"/ui/campaigns/c1/pause", "/ui/campaigns/c1/cancel", "/ui/campaigns/c1/retry-failed", "/ui/campaigns/c1/resume",
		"/ui/providers/" + account + "/pause", "/ui/providers/" + account + "/check", "/ui/optouts/add"} {
		res, body := b.post(path, url.Values{"csrf": {csrf}, "confirm": {"yes"}, "account": {account}, "number": {"+255712000009"}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "read-only") {
			t.Errorf("read-only POST %s: %d, want 403 saying why", path, res.StatusCode)
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", csrf)
	_ = mw.WriteField("id", "c2")
	_ = mw.WriteField("account", account)
	_ = mw.WriteField("text", "Hi")
	fw, _ := mw.CreateFormFile("recipients", "r.csv")
	_, _ = fw.Write([]byte(csvOK))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/ui/new?step=import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if res, _ := b.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("read-only import: %d, want 403", res.StatusCode)
	}
	if st, _ := r.h.St.CampaignState(bg, "c1"); st.State != store.CampaignActive {
		t.Error("a read-only action changed the campaign")
	}
	if _, err := r.h.St.Campaign(bg, "c2"); err == nil {
		t.Error("a read-only import created a campaign")
	}
	if a, _ := r.f.Account(bg, account); a.Paused {
		t.Error("a read-only action paused the account")
	}
	if l, _ := r.f.SearchOptOuts(bg, account, "", 10); l.Total != 0 {
		t.Error("a read-only action added an opt-out")
	}
}

func TestEscaping(t *testing.T) {
	r := newRig(t)
	const evil = "<script>alert(1)</script>"
	r.importCampaign(t, "c1", "phone,name\n+255712000001,Asha\nnot-a-number,"+evil+"\n")
	if _, err := r.p.PauseCampaign(bg, "c1", evil); err != nil {
		t.Fatal(err)
	}
	b := r.signedIn(t, fullToken)
	_, body := b.get("/ui/campaigns/c1")
	if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("campaign page: the pause reason is not escaped")
	}
	// The preview shows the rejected row with the same escaping.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", b.csrf())
	_ = mw.WriteField("id", "c2")
	_ = mw.WriteField("account", account)
	_ = mw.WriteField("text", "Hi {{name}}")
	fw, _ := mw.CreateFormFile("recipients", "r.csv")
	_, _ = fw.Write([]byte("phone,name\n+255712000001,Asha\nnot-a-number," + evil + "\n"))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/ui/new?step=preview", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, body := b.do(req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "Hi Asha") {
		t.Errorf("preview: want the rendered row and the reject escaped:\n%s", body)
	}
}

func TestRedisDownIsA503Page(t *testing.T) {
	r := newRig(t)
	b := r.signedIn(t, fullToken)
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	c, err := console.New(console.Config{Producer: r.p, Fleet: r.f, Tokens: []string{fullToken}, Redis: down, Prefix: r.h.R.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	b.base = srv.URL
	u, _ := url.Parse(r.srv.URL)
	srvURL, _ := url.Parse(srv.URL)
	b.c.Jar.SetCookies(srvURL, b.c.Jar.Cookies(u))
	res, body := b.get("/ui/")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "The store (Redis) did not answer") || strings.Contains(body, "127.0.0.1:1") {
		t.Errorf("Redis down: %d, want a 503 page that says so without internals:\n%s", res.StatusCode, body)
	}
}

func TestWrongSignInsAreThrottled(t *testing.T) {
	r := newRig(t)
	b := r.browser(t)
	for i := range 10 {
		if res, _ := b.post("/ui/signin", url.Values{"token": {"wrong-token-0123456789"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	res, body := b.post("/ui/signin", url.Values{"token": {fullToken}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many wrong tokens") {
		t.Errorf("after 10 wrong tokens: %d, want 429 with Retry-After, even for the right token", res.StatusCode)
	}
}

func TestReportIsCampaignReport(t *testing.T) {
	r := newRig(t)
	r.importCampaign(t, "c1", "phone,name\n+255712000001,=cmd|' /C calc'!A0\n+255712000002,Baraka\n")
	b := r.signedIn(t, fullToken)
	for _, f := range []producer.Format{producer.FormatCSV, producer.FormatJSONL} {
		res, got := b.get("/ui/campaigns/c1/report?format=" + string(f))
		var want bytes.Buffer
		if err := producer.WriteReportOpts(bg, r.h.St, "c1", f, &want, producer.ReportOptions{}); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || got != want.String() || !strings.Contains(res.Header.Get("Content-Disposition"), "c1."+string(f)) {
			t.Errorf("%s report: %d %q\n%s\nwant\n%s", f, res.StatusCode, res.Header.Get("Content-Disposition"), got, want.String())
		}
	}
	if res, _ := b.get("/ui/campaigns/nope/report"); res.StatusCode != http.StatusNotFound {
		t.Errorf("report of no campaign: %d", res.StatusCode)
	}
}

func TestWrongMethodIs405(t *testing.T) {
	r := newRig(t)
	b := r.signedIn(t, fullToken)
	req, _ := http.NewRequest(http.MethodDelete, r.srv.URL+"/ui/campaigns/c1", nil)
	if res, _ := b.do(req); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET" {
		t.Errorf("DELETE a campaign page: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	if res, _ := b.get("/ui/signout"); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET /ui/signout: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}
