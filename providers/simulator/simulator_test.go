package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	c := http.DefaultClient
	url := base + "/v1/messages"

	for _, tc := range []struct {
		name, key, details string
	}{
		{"no key", "", "WA-API-KEY header is missing"},
		{"wrong key", "other-key", "WA-API-KEY is not valid"},
	} {
		r := do(t, c, http.MethodPost, url, tc.key, textTo("255712345678"))
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, r.status)
		}
		want := `{"meta":{"success":false,"http_code":401,"developer_message":"Invalid API key","details":["` + tc.details + `"]}}`
		if r.raw != want {
			t.Errorf("%s: body\n got %s\nwant %s", tc.name, r.raw, want)
		}
		if strings.Contains(r.raw, "other-key") || strings.Contains(r.raw, testKey) {
			t.Errorf("%s: the answer echoes a key: %s", tc.name, r.raw)
		}
	}
	if r := do(t, c, http.MethodPost, url, testKey, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("right key: status %d, want 200: %s", r.status, r.raw)
	}
	want := Stats{Requests: 3, Accepted: 1, Recipients: 1, ByCode: map[string]int64{"401": 2, "200": 1}}
	if diff := cmp.Diff(want, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestAnyKeyWhenAPIKeyEmpty(t *testing.T) {
	t.Parallel()
	_, base := newSim(t, Config{})
	if r := do(t, http.DefaultClient, http.MethodPost, base+"/v1/messages", "whatever", textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("any key: status %d, want 200: %s", r.status, r.raw)
	}
	if r := do(t, http.DefaultClient, http.MethodPost, base+"/v1/messages", "", textTo("255712345678")); r.status != http.StatusUnauthorized {
		t.Errorf("no key: status %d, want 401 (the header is still required)", r.status)
	}
}

func TestTextAcceptedAndCounted(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	r := send(t, base, textTo("255712345678"))
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if len(r.body.Messages) != 1 || !strings.HasPrefix(r.body.Messages[0].ID, "gBEG") {
		t.Fatalf("messages %+v, want one id starting gBEG", r.body.Messages)
	}
	want := `{"messages":[{"id":"` + r.body.Messages[0].ID + `"}],"meta":{"api_status":"stable","version":"2.45.1"}}`
	if r.raw != want {
		t.Errorf("body\n got %s\nwant %s", r.raw, want)
	}
	for _, to := range []string{"+255712345678", "255712345678", " +255712345678 "} {
		if n := s.Accepted(to); n != 1 {
			t.Errorf("Accepted(%q) = %d, want 1", to, n)
		}
	}
	if n := s.Accepted("+255700000000"); n != 0 {
		t.Errorf("Accepted(unsent) = %d, want 0", n)
	}
}

func TestMessageIDsUnique(t *testing.T) {
	t.Parallel()
	_, base := newSim(t, Config{APIKey: testKey, Seed: 1})
	_, base2 := newSim(t, Config{APIKey: testKey, Seed: 1})
	seen := make(map[string]bool)
	for i := range 50 {
		for _, b := range []string{base, base2} { // same seed, different instances
			r := send(t, b, textTo("25571234"+fmt.Sprintf("%04d", i)))
			if len(r.body.Messages) != 1 {
				t.Fatalf("status %d, no message id: %s", r.status, r.raw)
			}
			id := r.body.Messages[0].ID
			if seen[id] {
				t.Fatalf("id %s given twice", id)
			}
			seen[id] = true
		}
	}
}

func TestDuplicatesCounted(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	for range 3 {
		send(t, base, textTo("255712345678"))
	}
	send(t, base, textTo("255787654321"))
	if n := s.Accepted("+255712345678"); n != 3 {
		t.Errorf("Accepted = %d, want 3", n)
	}
	want := Stats{Requests: 4, Accepted: 4, Recipients: 2, Duplicates: 2, ByCode: map[string]int64{"200": 4}}
	if diff := cmp.Diff(want, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestScriptOrder(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey, RetryAfter: 1500 * time.Millisecond})
	const to = "255712345678"
	s.Script("+"+to, 408, 429)
	s.Script(to, 503, 200) // adds to the script; wa_id and E.164 are one recipient

	for i, want := range []struct {
		status     int
		retryAfter string
	}{
		{408, ""},
		{429, "2"}, // 1.5 s rounded up
		{503, "2"},
		{200, ""},
		{200, ""}, // script done: normal behaviour
	} {
		// Another recipient is not scripted.
		if r := send(t, base, textTo("255787654321")); r.status != http.StatusOK {
			t.Fatalf("unscripted recipient, step %d: status %d", i, r.status)
		}
		r := send(t, base, textTo(to))
		if r.status != want.status || r.header.Get("Retry-After") != want.retryAfter {
			t.Errorf("step %d: status %d Retry-After %q, want %d %q: %s",
				i, r.status, r.header.Get("Retry-After"), want.status, want.retryAfter, r.raw)
		}
	}
	if n := s.Accepted(to); n != 2 {
		t.Errorf("Accepted = %d, want 2 (faults are not accepts)", n)
	}
	want := map[string]int64{"200": 7, "408": 1, "429": 1, "503": 1}
	if diff := cmp.Diff(want, s.Stats().ByCode); diff != "" {
		t.Errorf("ByCode (-want +got):\n%s", diff)
	}
}

func TestScriptedAcceptSkipsFaultsAndRateLimit(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey, Faults: map[int]float64{503: 1}, Rate: 0.001})
	const to = "255712345678"
	s.Script(to, 200, 200)
	for i, want := range []int{200, 200, 503} {
		if r := send(t, base, textTo(to)); r.status != want {
			t.Errorf("request %d: status %d, want %d", i, r.status, want)
		}
	}
}

func TestScriptUnknownCodePanics(t *testing.T) {
	t.Parallel()
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "code 418 is not one the tujenge wire format answers with") {
			t.Errorf("panic %q, want it to name the unknown code", msg)
		}
	}()
	s.Script("255712345678", 503, 418)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey, Rate: 0.001}) // burst defaults to 1
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusOK {
		t.Fatalf("first request: status %d, want 200: %s", r.status, r.raw)
	}
	r := send(t, base, textTo("255787654321"))
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second request: status %d, want 429: %s", r.status, r.raw)
	}
	// One token per 1000 s: the next is about 1000 s away.
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 990 || ra > 1000 {
		t.Errorf("Retry-After %q, want about 1000", r.header.Get("Retry-After"))
	}
	if len(r.body.Errors) != 1 || r.body.Errors[0].Code != 429 || r.body.Errors[0].Title != "Too many requests" {
		t.Errorf("errors %+v, want code 429 Too many requests", r.body.Errors)
	}
	if n := s.Accepted("255787654321"); n != 0 {
		t.Errorf("rate-limited recipient Accepted = %d, want 0", n)
	}
	want := Stats{Requests: 2, Accepted: 1, Recipients: 1, ByCode: map[string]int64{"200": 1, "429": 1}}
	if diff := cmp.Diff(want, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestFaultRatios(t *testing.T) {
	t.Parallel()
	const n = 10000
	faults := map[int]float64{503: 0.1, 429: 0.05, 470: 0.01}
	s, base := newSim(t, Config{APIKey: testKey, Faults: faults, Seed: 42})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()

	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				do(t, client, http.MethodPost, base+"/v1/messages", testKey, textTo(strconv.Itoa(2557000000+i)))
			}
		})
	}
	wg.Wait()

	st := s.Stats()
	if st.Requests != n {
		t.Fatalf("Requests = %d, want %d", st.Requests, n)
	}
	wantAccepted := n * (1 - 0.1 - 0.05 - 0.01)
	for code, p := range map[string]float64{"503": 0.1, "429": 0.05, "470": 0.01, "200": wantAccepted / n} {
		want := n * p
		tol := 5 * math.Sqrt(n*p*(1-p)) // 5 σ: a fixed seed makes it exact anyway
		if got := float64(st.ByCode[code]); math.Abs(got-want) > tol {
			t.Errorf("code %s: %v answers, want %v ± %.0f", code, got, want, tol)
		}
	}
	if st.Accepted != st.ByCode["200"] || st.Duplicates != 0 || st.Recipients != st.Accepted {
		t.Errorf("Stats %+v: accepted, recipients and 200s disagree", st)
	}
}

// answers returns the status codes of n serial sends.
func answers(t *testing.T, base string, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = send(t, base, textTo(strconv.Itoa(2557000000+i))).status
	}
	return out
}

func TestSeededIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := Config{APIKey: testKey, Faults: map[int]float64{503: 0.3, 429: 0.2, 408: 0.1}, Seed: 7}
	s1, base1 := newSim(t, cfg)
	_, base2 := newSim(t, cfg)

	first := answers(t, base1, 200)
	if diff := cmp.Diff(first, answers(t, base2, 200)); diff != "" {
		t.Errorf("same seed, another simulator (-first +second):\n%s", diff)
	}
	s1.Reset()
	if diff := cmp.Diff(first, answers(t, base1, 200)); diff != "" {
		t.Errorf("same seed after Reset (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(make([]int, 0), distinct(first, 200, 503, 429, 408)); diff != "" {
		t.Errorf("unexpected codes (-want +got):\n%s", diff)
	}
}

// distinct returns the codes in got that are not in allowed.
func distinct(got []int, allowed ...int) []int {
	out := make([]int, 0)
	for _, g := range got {
		ok := false
		for _, a := range allowed {
			ok = ok || g == a
		}
		if !ok {
			out = append(out, g)
		}
	}
	return out
}

func TestConcurrentCountsExact(t *testing.T) {
	t.Parallel()
	const workers, recipients = 16, 200
	s, base := newSim(t, Config{APIKey: testKey})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range recipients { // every worker sends to every recipient, each in its own order
				to := strconv.Itoa(2557000000 + (i*7+w*13)%recipients)
				if r := do(t, client, http.MethodPost, base+"/v1/messages", testKey, textTo(to)); r.status != http.StatusOK {
					t.Errorf("status %d: %s", r.status, r.raw)
				}
			}
		})
	}
	wg.Wait()

	for i := range recipients {
		to := "+" + strconv.Itoa(2557000000+i)
		if n := s.Accepted(to); n != workers {
			t.Errorf("Accepted(%s) = %d, want %d", to, n, workers)
		}
	}
	total := int64(workers * recipients)
	want := Stats{Requests: total, Accepted: total, Recipients: recipients, Duplicates: total - recipients,
		ByCode: map[string]int64{"200": total}}
	if diff := cmp.Diff(want, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestConcurrentWithFaultsAndScriptsConsistent(t *testing.T) {
	t.Parallel()
	const workers, perWorker, recipients = 12, 150, 50
	s, base := newSim(t, Config{APIKey: testKey, Faults: map[int]float64{503: 0.2, 470: 0.1}, Jitter: time.Millisecond, Seed: 3})
	for i := range recipients {
		s.Script(strconv.Itoa(2557000000+i), 408, 200)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				do(t, client, http.MethodPost, base+"/v1/messages", testKey, textTo(strconv.Itoa(2557000000+(i+w)%recipients)))
			}
		})
	}
	wg.Wait()

	st := s.Stats()
	var perRecipient, byCode int64
	for i := range recipients {
		perRecipient += int64(s.Accepted(strconv.Itoa(2557000000 + i)))
	}
	for _, n := range st.ByCode {
		byCode += n
	}
	switch {
	case st.Requests != workers*perWorker || byCode != st.Requests:
		t.Errorf("Requests %d, answers %d, want %d each", st.Requests, byCode, workers*perWorker)
	case st.Accepted != perRecipient || st.Accepted != st.ByCode["200"]:
		t.Errorf("Accepted %d, per recipient %d, 200s %d: want equal", st.Accepted, perRecipient, st.ByCode["200"])
	case st.Recipients+st.Duplicates != st.Accepted || st.Recipients != recipients:
		t.Errorf("Recipients %d + Duplicates %d != Accepted %d (or not every recipient accepted)", st.Recipients, st.Duplicates, st.Accepted)
	case st.ByCode["408"] != recipients:
		t.Errorf("408s = %d, want %d (one scripted per recipient)", st.ByCode["408"], recipients)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	t.Parallel()
	s, err := New(Config{APIKey: testKey, Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/messages", strings.NewReader(textTo("255712345678")))
	req.Header.Set("WA-API-KEY", testKey)
	rec := httptest.NewRecorder()
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Handler().ServeHTTP(rec, req)
	}()
	cancel()
	sharedtest.WaitOrTimeout(t, served, 30*time.Second, "the handler kept sleeping after the client went away")
	if rec.Body.Len() != 0 {
		t.Errorf("answered a client that went away: %s", rec.Body)
	}
	want := Stats{Requests: 1, ByCode: map[string]int64{}}
	if diff := cmp.Diff(want, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestCloseAnswersRequestsInFlight(t *testing.T) {
	t.Parallel()
	s, err := New(Config{APIKey: testKey, Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan reply, 1)
	go func() { got <- send(t, base, textTo("255712345678")) }()
	sharedtest.Eventually(t, func() bool { return s.Stats().Requests > 0 }, 10*time.Second, "the request to arrive")
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	r := <-got
	if r.status != http.StatusServiceUnavailable || r.body.Meta.HTTPCode != 503 {
		t.Errorf("in-flight request: status %d, want 503 in the gateway shape: %s", r.status, r.raw)
	}
	if n := s.Accepted("255712345678"); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	s, err := New(Config{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80", "nonsense"} {
		if _, err := s.Start(addr); err == nil {
			t.Errorf("Start(%q) succeeded, want an error", addr)
		} else if addr != "nonsense" && !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("Start(%q): %v, want it to say the address is not loopback", addr, err)
		}
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q, want http://127.0.0.1:PORT", base)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded, want an error")
	}
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusOK || s.Accepted("255712345678") != 1 {
		t.Errorf("send through Start: status %d, Accepted %d", r.status, s.Accepted("255712345678"))
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded, want an error")
	}
	if resp, err := http.Post(base+"/v1/messages", "application/json", strings.NewReader(textTo("255712345678"))); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after Close")
	}
}

func TestOperatorEndpoints(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	c := http.DefaultClient
	send(t, base, textTo("255712345678"))
	send(t, base, textTo("255712345678"))
	do(t, c, http.MethodPost, base+"/v1/messages", "", textTo("255712345678"))

	r := do(t, c, http.MethodGet, base+"/_sim/stats", "", "")
	var got Stats
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /_sim/stats: %d %v: %s", r.status, err, r.raw)
	}
	want := Stats{Requests: 3, Accepted: 2, Recipients: 1, Duplicates: 1, ByCode: map[string]int64{"200": 2, "401": 1}}
	if diff := cmp.Diff(want, got, ignoreTimeline); diff != "" {
		t.Errorf("/_sim/stats (-want +got):\n%s", diff)
	}
	if r := do(t, c, http.MethodGet, base+"/_sim/reset", "", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /_sim/reset: status %d, want 405", r.status)
	}
	if r := do(t, c, http.MethodPost, base+"/_sim/reset", "", ""); r.status != http.StatusNoContent {
		t.Errorf("POST /_sim/reset: status %d, want 204", r.status)
	}
	if diff := cmp.Diff(Stats{ByCode: map[string]int64{}}, s.Stats(), ignoreTimeline); diff != "" {
		t.Errorf("Stats after reset (-want +got):\n%s", diff)
	}
	if n := s.Accepted("255712345678"); n != 0 {
		t.Errorf("Accepted after reset = %d, want 0", n)
	}
}

func TestResetClearsScripts(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	s.Script("255712345678", 503)
	s.Reset()
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("status %d after Reset, want 200 (script forgotten)", r.status)
	}
}

func BenchmarkHandler(b *testing.B) {
	s, err := New(Config{APIKey: testKey, Faults: map[int]float64{503: 0.02}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(textTo(strconv.Itoa(2557000000+i%100000))))
			req.Header.Set("WA-API-KEY", testKey)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
}

func BenchmarkLoopbackHTTP(b *testing.B) {
	s, err := New(Config{APIKey: testKey, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			r := do(b, client, http.MethodPost, base+"/v1/messages", testKey, textTo(strconv.Itoa(2557000000+i%100000)))
			if r.status != http.StatusOK {
				b.Errorf("status %d", r.status)
			}
		}
	})
}

// SetRate moves the limit mid-run, and Windows counts what was accepted
// and what was refused for the limit, window by window.
func TestSetRateAndWindows(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	sim, err := New(Config{Kind: "tujenge", APIKey: "k", Rate: 1, Burst: 2, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		sim.accept(fmt.Sprint(i), now)
	}
	for range 3 {
		sim.stats.timeline.rateLimited(now.Add(time.Second))
	}
	got := sim.Windows(now, now.Add(2*time.Second), time.Second)
	want := []Window{{Start: now, Accepted: 5}, {Start: now.Add(time.Second), RateLimited: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("windows (-want +got):\n%s", diff)
	}
	sim.SetRate(50)
	if l := sim.limiter.Load().Limit(); l != 50 {
		t.Errorf("limit after SetRate(50) = %v", l)
	}
	sim.SetRate(0)
	if sim.limiter.Load() != nil {
		t.Errorf("SetRate(0) kept a limit")
	}
}
