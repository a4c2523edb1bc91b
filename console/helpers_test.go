package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/console"
	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/producertest"
	"github.com/wabulk/wabulk/scheduler"
)

const (
	fullToken     = "full-token-0123456789abcdef"
	readOnlyToken = "viewer-token-0123456789abcdef"
	account       = "tujenge-main"
)

var bg = context.Background()

// rig is one test's console on a real Redis (or miniredis), with its
// producer and fleet.
type rig struct {
	h   *producertest.Harness
	p   *producer.Producer
	f   *fleet.Fleet
	c   *console.Console
	srv *httptest.Server
}

func newRig(t *testing.T, jobs ...scheduler.Job) *rig {
	t.Helper()
	h := producertest.New(t)
	p := h.Producer(producer.Config{})
	f := fleet.New(h.St, p, fleet.Config{Accounts: []fleet.AccountConfig{{Name: account, Kind: "tujenge", Rate: 20}}, Jobs: jobs, Now: h.Clock.Now})
	c, err := console.New(console.Config{Producer: p, Fleet: f, Rates: map[string]float64{account: 20},
		Tokens: []string{fullToken}, ReadOnlyTokens: []string{readOnlyToken}, Redis: h.R.Client, Prefix: h.R.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ui/", c)
	mux.Handle("/ui", c)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rig{h: h, p: p, f: f, c: c, srv: srv}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (r *rig) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: r.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a browser signed in with token.
func (r *rig) signedIn(t *testing.T, token string) *browser {
	b := r.browser(t)
	res, _ := b.post("/ui/signin", url.Values{"token": {token}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d, want 303", res.StatusCode)
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page's forms.
func (b *browser) csrf() string {
	b.t.Helper()
	_, body := b.get("/ui/providers")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return m[1]
}

// importCampaign imports campaign id with csv.
func (r *rig) importCampaign(t *testing.T, id, csv string) producer.Result {
	t.Helper()
	spec := &producer.Spec{ID: id, Account: account, Message: message.Content{Text: &message.Text{Body: "Hi {{name}}"}}}
	res, err := r.p.Import(bg, spec, strings.NewReader(csv), producer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
