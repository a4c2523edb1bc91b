package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// probeFormat is a wire format that exists only in tests. It uses what
// tujenge does not: a credential in the JSON body, provider codes that are
// not HTTP statuses for the limits, a provider that pushes no "sent"
// receipt and no inbound callback, signed callbacks and a polled status
// route. Its answers are {"code":N,"id":"...","details":"..."}.
type probeFormat struct{}

func init() { register(probeFormat{}) }

const probeKind = "probe"

func (probeFormat) name() string       { return probeKind }
func (probeFormat) codes() []int       { return []int{401, 503, 1429, 1430, 1470} }
func (probeFormat) sendSuffix() string { return "/send" }
func (probeFormat) rateLimitCode() int { return 1429 }
func (probeFormat) pairLimitCode() int { return 1430 }
func (probeFormat) windowCode() int    { return 1470 }

func (probeFormat) credential(_ *http.Request, body []byte) (string, bool) {
	return jsonFieldCredential(body, "api_key")
}

func (probeFormat) unauthorized(present bool) answer {
	return answer{code: 401, details: "api_key present: " + strconv.FormatBool(present)}
}

type probeSend struct {
	To       string `json:"to"`
	Template bool   `json:"template"`
}

func (probeFormat) parseSend(body []byte) (parsed, *answer) {
	var m probeSend
	if err := json.Unmarshal(body, &m); err != nil || !isWaID(m.To) {
		return parsed{}, &answer{code: 400, details: "bad request"}
	}
	return parsed{to: m.To, freeForm: !m.Template}, nil
}

func (probeFormat) messageID(nonce string, seq uint64) string {
	return "probe-" + nonce + "-" + strconv.FormatUint(seq, 10)
}

type probeAnswer struct {
	Code    int    `json:"code"`
	ID      string `json:"id,omitempty"`
	Details string `json:"details,omitempty"`
}

func (probeFormat) write(w http.ResponseWriter, a answer) {
	status := http.StatusBadRequest
	switch a.code {
	case 200, 401, 404, 405, 503:
		status = a.code
	}
	writeJSON(w, status, probeAnswer{Code: a.code, ID: a.id, Details: a.details})
}

type probeReceipt struct {
	ID, To, From, Status string
	Unix                 int64
	Error                int
}

func (probeFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	if st.Status == "sent" {
		return nil, nil // this provider does not push "sent"
	}
	return mustJSON(probeReceipt{ID: st.MessageID, To: st.Recipient, From: st.Business, Status: st.Status,
		Unix: st.Time.Unix(), Error: st.ErrorCode}), http.Header{"X-Probe": {"1"}}
}

func (probeFormat) renderInbound(inboundEvent) ([]byte, http.Header) { return nil, nil }

func (probeFormat) signCallback(secret string, body []byte, h http.Header) {
	h.Set("X-Signature", hubSignature256(secret, body))
}

func (probeFormat) routes() []route {
	return []route{{suffix: "/status", serve: serveProbeStatus}}
}

// serveProbeStatus is a polled status lookup: POST {"api_key","id"}.
func serveProbeStatus(s *Simulator, w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if a, ok := s.authorize(r, body); !ok {
		s.format.write(w, a)
		return
	}
	var q struct {
		ID string `json:"id"`
	}
	if err != nil || json.Unmarshal(body, &q) != nil {
		s.format.write(w, answer{code: 400})
		return
	}
	st, ok := s.MessageStatus(q.ID)
	if !ok {
		s.format.write(w, answer{code: 404, details: "no message " + q.ID})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": q.ID, "status": st})
}

func probeBody(to string, template bool) string {
	return `{"api_key":"` + testKey + `","to":"` + to + `","template":` + strconv.FormatBool(template) + `}`
}

func probeSendTo(t testing.TB, base, body string) (int, probeAnswer) {
	t.Helper()
	r := do(t, http.DefaultClient, http.MethodPost, base+"/send", "", body)
	var a probeAnswer
	if err := json.Unmarshal([]byte(r.raw), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.raw)
	}
	return r.status, a
}

func TestKinds(t *testing.T) {
	t.Parallel()
	kinds := Kinds()
	if !slices.IsSorted(kinds) || !slices.Contains(kinds, "tujenge") || !slices.Contains(kinds, probeKind) {
		t.Errorf("Kinds() = %v, want sorted, with tujenge and %s", kinds, probeKind)
	}
	for _, kind := range []string{"", "tujenge", " Tujenge "} {
		s, err := New(Config{Kind: kind})
		if err != nil {
			t.Errorf("Kind %q: %v", kind, err)
			continue
		}
		if s.format.name() != "tujenge" {
			t.Errorf("Kind %q serves %s, want tujenge", kind, s.format.name())
		}
	}
	_, err := New(Config{Kind: "twilio"})
	want := `simulator: kind "twilio" is not a wire format the simulator serves (known: ` + strings.Join(kinds, ", ") + ")"
	if err == nil || err.Error() != want {
		t.Errorf("unknown kind: %v\nwant %s", err, want)
	}
	if _, err := ParseFaultsFor("twilio", "503=0.1"); err == nil {
		t.Error("ParseFaultsFor(unknown kind) succeeded")
	}
	if f, err := ParseFaultsFor(probeKind, "1429=0.1"); err != nil || f[1429] != 0.1 {
		t.Errorf("ParseFaultsFor(probe, 1429=0.1) = %v, %v", f, err)
	}
	if _, err := ParseFaults("1429=0.1"); err == nil {
		t.Error("ParseFaults checks against tujenge, which has no 1429")
	}
}

// brokenFormat breaks one rule of the contract at a time.
type brokenFormat struct {
	probeFormat
	n      string
	cs     []int
	rate   int
	suffix string
}

func (b brokenFormat) name() string       { return b.n }
func (b brokenFormat) codes() []int       { return b.cs }
func (b brokenFormat) rateLimitCode() int { return b.rate }
func (b brokenFormat) sendSuffix() string { return b.suffix }

func TestRegisterRejectsBrokenFormats(t *testing.T) {
	ok := brokenFormat{n: "ok", cs: []int{1429, 1430, 1470}, rate: 1429, suffix: "/send"}
	for _, tc := range []struct {
		name, want string
		f          func(brokenFormat) brokenFormat
	}{
		{"duplicate", "registered twice", func(b brokenFormat) brokenFormat { b.n = "tujenge"; return b }},
		{"upper case", "lower case", func(b brokenFormat) brokenFormat { b.n = "Meta"; return b }},
		{"unsorted codes", "ascending", func(b brokenFormat) brokenFormat { b.cs = []int{1470, 1429, 1430}; return b }},
		{"repeated code", "distinct", func(b brokenFormat) brokenFormat { b.cs = []int{1429, 1429, 1430, 1470}; return b }},
		{"200 as code", "200", func(b brokenFormat) brokenFormat { b.cs = []int{200, 1429, 1430, 1470}; return b }},
		{"limit code not listed", "rateLimitCode 429 is not in codes()", func(b brokenFormat) brokenFormat { b.rate = 429; return b }},
		{"suffix", "must start with /", func(b brokenFormat) brokenFormat { b.suffix = "send"; return b }},
	} {
		func() {
			defer func() {
				if msg := recover(); msg == nil || !strings.Contains(msg.(string), tc.want) {
					t.Errorf("%s: panic %v, want it to contain %q", tc.name, msg, tc.want)
				}
			}()
			register(tc.f(ok))
		}()
	}
	if _, ok := formats["ok"]; ok {
		t.Error("a broken format was registered")
	}
}

func TestCredentialExtractors(t *testing.T) {
	t.Parallel()
	req := func(h ...string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	type got struct {
		Cred    string
		Present bool
	}
	check := func(name string, cred string, present bool, want got) {
		t.Helper()
		if diff := cmp.Diff(want, got{cred, present}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	c, p := headerCredential(req("WA-API-KEY", "k1"), "WA-API-KEY")
	check("header", c, p, got{"k1", true})
	c, p = headerCredential(req(), "WA-API-KEY")
	check("header missing", c, p, got{"", false})

	c, p = bearerCredential(req("Authorization", "Bearer tok-1"))
	check("bearer", c, p, got{"tok-1", true})
	c, p = bearerCredential(req("Authorization", "bearer  tok-1 "))
	check("bearer, lower case scheme", c, p, got{"tok-1", true})
	c, p = bearerCredential(req("Authorization", "Basic dTpw"))
	check("bearer, wrong scheme", c, p, got{"", true})
	c, p = bearerCredential(req("Authorization", "tok-1"))
	check("bearer, no scheme", c, p, got{"", true})
	c, p = bearerCredential(req())
	check("bearer missing", c, p, got{"", false})

	r := req()
	r.SetBasicAuth("user", "pa:ss")
	c, p = basicCredential(r)
	check("basic", c, p, got{"user:pa:ss", true})
	c, p = basicCredential(req("Authorization", "Basic !!!"))
	check("basic, malformed", c, p, got{"", true})
	c, p = basicCredential(req())
	check("basic missing", c, p, got{"", false})

	c, p = jsonFieldCredential([]byte(`{"api_key":"k2","to":"1"}`), "api_key")
	check("json field", c, p, got{"k2", true})
	for _, body := range []string{``, `[]`, `{"api_key":7}`, `{"api_key":""}`, `{"key":"k2"}`, `{"api_key":"k2"`} {
		c, p = jsonFieldCredential([]byte(body), "api_key")
		check("json field in "+body, c, p, got{"", false})
	}
}

func TestHubSignature256(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256 test vector: key "key", "The quick brown fox jumps over the lazy dog".
	got := hubSignature256("key", []byte("The quick brown fox jumps over the lazy dog"))
	if want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Errorf("hubSignature256 = %s, want %s", got, want)
	}
}

// The engine with a format that reads its credential from the body and
// answers limits with codes that are not HTTP statuses.
func TestProbeFormatEngine(t *testing.T) {
	t.Parallel()
	clock := newClock()
	s, base := newSim(t, Config{Kind: probeKind, APIKey: testKey, Window: true, Now: clock.Now,
		PairInterval: time.Minute, Rate: 1000, Burst: 1000, RetryAfter: time.Second})
	const to = "255712345678"

	for _, tc := range []struct {
		name, body string
		status     int
		code       int
	}{
		{"no api_key", `{"to":"` + to + `"}`, 401, 401},
		{"wrong api_key", `{"api_key":"other","to":"` + to + `"}`, 401, 401},
		{"not JSON: no credential", `{`, 401, 401},
		{"free-form, window closed", probeBody(to, false), 400, 1470},
		{"template", probeBody(to, true), 200, 200},
		{"pair limit", probeBody(to, true), 400, 1430},
	} {
		status, a := probeSendTo(t, base, tc.body)
		if status != tc.status || a.Code != tc.code {
			t.Errorf("%s: %d %+v, want %d code %d", tc.name, status, a, tc.status, tc.code)
		}
	}
	clock.Advance(time.Minute)
	s.MarkInbound(to, clock.Now())
	if status, a := probeSendTo(t, base, probeBody(to, false)); status != 200 || !strings.HasPrefix(a.ID, "probe-") {
		t.Errorf("free-form after inbound, a minute later: %d %+v, want 200 with an id", status, a)
	}
	want := map[string]int64{"401": 3, "1470": 1, "200": 2, "1430": 1}
	if diff := cmp.Diff(want, s.Stats().ByCode); diff != "" {
		t.Errorf("ByCode (-want +got):\n%s", diff)
	}
}

func TestProbeFormatRateLimitCode(t *testing.T) {
	t.Parallel()
	_, base := newSim(t, Config{Kind: probeKind, APIKey: testKey, Rate: 0.001})
	if status, _ := probeSendTo(t, base, probeBody("255712345678", true)); status != 200 {
		t.Fatalf("first: status %d", status)
	}
	r := do(t, http.DefaultClient, http.MethodPost, base+"/send", "", probeBody("255712345679", true))
	if !strings.Contains(r.raw, `"code":1429`) || r.header.Get("Retry-After") == "" {
		t.Errorf("over the rate: %d %s Retry-After %q, want code 1429 with Retry-After", r.status, r.raw, r.header.Get("Retry-After"))
	}
}
