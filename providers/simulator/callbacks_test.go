package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
)

// newClock is a Config.Now that moves only when told.
func newClock() *sharedtest.Clock {
	return sharedtest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

// callback is one POST the receiver got.
type callback struct {
	header http.Header
	body   []byte
}

// receiver is a callback endpoint on loopback that records what it gets.
type receiver struct {
	URL     string
	mu      sync.Mutex
	got     []callback
	status  int           // the answer; 200 unless set before the first callback
	release chan struct{} // when non-nil, every callback waits for it to close
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			t.Errorf("callback: %s, read error %v", r.Method, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, callback{header: r.Header.Clone(), body: b})
		status, release := rc.status, rc.release
		rc.mu.Unlock()
		if release != nil {
			<-release
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close) // registered before the simulator's: closes after it
	rc.URL = srv.URL + "/hooks/wa"
	return rc
}

func (rc *receiver) callbacks() []callback {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// waitTimeout guards the waits for callbacks against a hang; it is not a
// timing assertion.
const waitTimeout = 20 * time.Second

// waitN waits until n callbacks have arrived and returns them.
func (rc *receiver) waitN(t *testing.T, n int) []callback {
	t.Helper()
	return sharedtest.WaitFor(t, rc.callbacks, func(c []callback) bool { return len(c) >= n }, waitTimeout, "%d callbacks", n)
}

// hookStatus decodes a Tujenge status notification.
type hookStatus struct {
	Statuses []struct {
		ID          string `json:"id"`
		RecipientID string `json:"recipient_id"`
		Status      string `json:"status"`
		Timestamp   string `json:"timestamp"`
		Errors      []struct {
			Code  int    `json:"code"`
			Title string `json:"title"`
		} `json:"errors"`
	} `json:"statuses"`
}

func decodeStatus(t *testing.T, c callback) (id, to, status string) {
	t.Helper()
	var h hookStatus
	if err := json.Unmarshal(c.body, &h); err != nil || len(h.Statuses) != 1 {
		t.Fatalf("status callback %s: %v", c.body, err)
	}
	st := h.Statuses[0]
	return st.ID, st.RecipientID, st.Status
}

func templateTo(waID string) string {
	return `{"to":"` + waID + `","type":"template","template":{"name":"hello","language":{"policy":"deterministic","code":"en"}}}`
}

func mustID(t *testing.T, r reply) string {
	t.Helper()
	if r.status != http.StatusOK || len(r.body.Messages) != 1 {
		t.Fatalf("send: status %d: %s", r.status, r.raw)
	}
	return r.body.Messages[0].ID
}

func TestWindow(t *testing.T) {
	t.Parallel()
	clock := newClock()
	s, base := newSim(t, Config{APIKey: testKey, Window: true, Now: clock.Now})
	const to = "255712345678"

	r := send(t, base, textTo(to))
	if r.status != http.StatusBadRequest || len(r.body.Errors) != 1 || r.body.Errors[0].Code != 470 {
		t.Errorf("free-form without inbound: %d %s, want 400 with code 470", r.status, r.raw)
	}
	if r := send(t, base, templateTo(to)); r.status != http.StatusOK {
		t.Errorf("template without inbound: %d %s, want 200", r.status, r.raw)
	}
	s.MarkInbound("+"+to, clock.Now().Add(-23*time.Hour))
	if r := send(t, base, textTo(to)); r.status != http.StatusOK {
		t.Errorf("free-form 23 h after inbound: %d %s, want 200", r.status, r.raw)
	}
	s.MarkInbound(to, clock.Now().Add(-30*time.Hour)) // an earlier mark does not close the window
	clock.Advance(time.Hour)
	if r := send(t, base, textTo(to)); r.status != http.StatusBadRequest {
		t.Errorf("free-form 24 h after inbound: %d %s, want 470", r.status, r.raw)
	}
	if r := send(t, base, templateTo(to)); r.status != http.StatusOK {
		t.Errorf("template 24 h after inbound: %d %s, want 200", r.status, r.raw)
	}
	if n := s.Accepted(to); n != 3 {
		t.Errorf("Accepted = %d, want 3 (window errors are not accepts)", n)
	}
	if n := s.Stats().ByCode["470"]; n != 2 {
		t.Errorf("ByCode[470] = %d, want 2", n)
	}
}

func TestWindowOffByDefault(t *testing.T) {
	t.Parallel()
	_, base := newSim(t, Config{APIKey: testKey})
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("free-form with Window off: %d %s", r.status, r.raw)
	}
}

func TestPairLimit(t *testing.T) {
	t.Parallel()
	clock := newClock()
	s, base := newSim(t, Config{APIKey: testKey, PairInterval: 6 * time.Second, Now: clock.Now})
	const to, other = "255712345678", "255787654321"

	mustID(t, send(t, base, textTo(to)))
	clock.Advance(2 * time.Second)
	r := send(t, base, templateTo(to))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "4" || len(r.body.Errors) != 1 || r.body.Errors[0].Code != 429 {
		t.Errorf("second message within the interval: %d Retry-After %q %s, want 429 with Retry-After 4",
			r.status, r.header.Get("Retry-After"), r.raw)
	}
	mustID(t, send(t, base, textTo(other))) // another recipient is not limited
	clock.Advance(4 * time.Second)
	mustID(t, send(t, base, textTo(to)))
	if n := s.Accepted(to); n != 2 {
		t.Errorf("Accepted = %d, want 2", n)
	}
}

func TestPairLimitSkipsNonAccepts(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, base := newSim(t, Config{APIKey: testKey, PairInterval: time.Minute, Now: clock.Now, Faults: map[int]float64{503: 1}})
	const to = "255712345678"
	for i := range 2 { // a faulted request does not take the recipient's slot
		if r := send(t, base, textTo(to)); r.status != http.StatusServiceUnavailable {
			t.Errorf("request %d: status %d, want the fault 503, not the pair limit", i, r.status)
		}
	}
}

func TestTimeMapReserveUndo(t *testing.T) {
	t.Parallel()
	m := newTimeMap()
	t0 := time.Unix(1000, 0)
	if _, ok, _ := m.reserve("a", t0, time.Minute); !ok {
		t.Fatal("first reserve refused")
	}
	_, ok, undo := m.reserve("a", t0.Add(time.Minute), time.Minute)
	if !ok {
		t.Fatal("reserve after the interval refused")
	}
	undo()
	if got, _ := m.get("a"); !got.Equal(t0) {
		t.Errorf("after undo: %v, want the earlier claim %v back", got, t0)
	}
	if wait, ok, _ := m.reserve("a", t0.Add(10*time.Second), time.Minute); ok || wait != 50*time.Second {
		t.Errorf("reserve within the interval: ok %v wait %v, want refused with 50s", ok, wait)
	}
	_, _, undo = m.reserve("b", t0, time.Minute)
	undo()
	if _, ok := m.get("b"); ok {
		t.Error("undo of a first claim left it in place")
	}
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s, base := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL, ReceiptDelay: time.Millisecond,
		CallbackHeaders: map[string]string{"X-Hook-Secret": "s3cret", "Authorization": "Basic dTpw"}})
	id := mustID(t, send(t, base, textTo("255712345678")))

	got := rc.waitN(t, 3)
	var statuses []string
	for _, c := range got {
		gotID, to, st := decodeStatus(t, c)
		if gotID != id || to != "255712345678" {
			t.Errorf("callback for %s to %s, want %s to 255712345678", gotID, to, id)
		}
		statuses = append(statuses, st)
		for k, want := range map[string]string{"X-Hook-Secret": "s3cret", "Authorization": "Basic dTpw", "Content-Type": "application/json"} {
			if v := c.header.Get(k); v != want {
				t.Errorf("header %s = %q, want %q", k, v, want)
			}
		}
	}
	slices.Sort(statuses)
	if want := []string{"delivered", "read", "sent"}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	st := sharedtest.WaitFor(t, s.Stats, func(st Stats) bool { return st.Callbacks == 3 }, waitTimeout, "callback counts")
	if st.CallbackErrors != 0 || st.CallbacksDropped != 0 {
		t.Errorf("Stats %+v, want no callback errors or drops", st)
	}
	if st, ok := s.MessageStatus(id); !ok || st != "read" {
		t.Errorf("MessageStatus after all receipts = %q, %v; want read", st, ok)
	}
}

func TestReceiptBodyShape(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	clock := newClock()
	_, base := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL, Statuses: []string{"sent", "failed"}, Now: clock.Now})
	id := mustID(t, send(t, base, textTo("255712345678")))
	got := rc.waitN(t, 2)
	var failed callback
	for _, c := range got {
		if _, _, st := decodeStatus(t, c); st == "failed" {
			failed = c
		}
	}
	var h hookStatus
	if err := json.Unmarshal(failed.body, &h); err != nil {
		t.Fatalf("failed receipt %s: %v", failed.body, err)
	}
	st := h.Statuses[0]
	if len(st.Errors) != 1 || st.Errors[0].Code != 470 || !strings.Contains(st.Errors[0].Title, "24 hours") {
		t.Errorf("failed receipt errors %+v, want code 470 with its title", st.Errors)
	}
	// Times come from the simulator's clock: at or after the accept, in whole seconds.
	if st.Timestamp < "1740830400" || len(st.Timestamp) != 10 {
		t.Errorf("timestamp %q, want unix seconds from 1740830400 on", st.Timestamp)
	}
	if !strings.HasPrefix(string(failed.body), `{"statuses":[{"id":"`+id+`","recipient_id":"255712345678","status":"failed","timestamp":"`) {
		t.Errorf("body %s", failed.body)
	}
}

func TestReceiptsOutOfOrder(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	const n = 10
	_, base := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL, ReceiptDelay: 5 * time.Millisecond, OutOfOrder: 1, Seed: 5})
	for i := range n {
		mustID(t, send(t, base, textTo(strings.Repeat("7", 2)+"2557123400"+string(rune('0'+i)))))
	}
	got := rc.waitN(t, 3*n)
	rank := map[string]int{"sent": 0, "delivered": 1, "read": 2}
	last := map[string]int{}
	outOfOrder := 0
	for _, c := range got {
		id, _, st := decodeStatus(t, c)
		if r, seen := last[id]; seen && rank[st] < r {
			outOfOrder++
		}
		last[id] = max(last[id], rank[st])
	}
	if outOfOrder == 0 {
		t.Error("OutOfOrder=1: every message's receipts arrived in order")
	}
}

func TestPlanOutOfOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg         Config
		wantShuffle bool
		wantDup     bool
	}{
		{Config{Seed: 1}, false, false},
		{Config{Seed: 1, OutOfOrder: 1}, true, false},
		{Config{Seed: 1, Duplicate: 1}, false, true},
		{Config{Seed: 1, Statuses: []string{"read"}, OutOfOrder: 1}, false, false}, // one status has no order
	} {
		s, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= 200; seq++ {
			p := s.planFor(seq)
			if p != s.planFor(seq) {
				t.Fatalf("plan of %d differs between draws", seq)
			}
			if got := !inOrder(p.order[:p.n]); got != tc.wantShuffle {
				t.Errorf("%+v seq %d: shuffled %v, want %v (order %v)", tc.cfg, seq, got, tc.wantShuffle, p.order[:p.n])
			}
			for k := range p.n {
				if p.dup[k] != tc.wantDup {
					t.Errorf("%+v seq %d: dup[%d] %v, want %v", tc.cfg, seq, k, p.dup[k], tc.wantDup)
				}
				if k > 0 && p.offset[k] < p.offset[k-1] {
					t.Errorf("seq %d: offsets %v not ascending", seq, p.offset[:p.n])
				}
			}
		}
	}
}

func TestReceiptsDuplicated(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s, base := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL, ReceiptDelay: time.Millisecond, Duplicate: 1})
	id := mustID(t, send(t, base, textTo("255712345678")))
	got := rc.waitN(t, 6)
	count := map[string]int{}
	for _, c := range got {
		gotID, _, st := decodeStatus(t, c)
		if gotID != id {
			t.Errorf("callback for %s, want %s", gotID, id)
		}
		count[st]++
	}
	for _, st := range []string{"sent", "delivered", "read"} {
		if count[st] != 2 {
			t.Errorf("%s posted %d times, want 2 (Duplicate=1)", st, count[st])
		}
	}
	sharedtest.WaitFor(t, s.Stats, func(st Stats) bool { return st.Callbacks == 6 }, waitTimeout, "callback counts")
}

func TestMessageStatusAdvances(t *testing.T) {
	t.Parallel()
	clock := newClock()
	s, base := newSim(t, Config{APIKey: testKey, Now: clock.Now, ReceiptDelay: time.Second, Seed: 3})
	id := mustID(t, send(t, base, textTo("255712345678")))
	start := clock.Now()
	if st, ok := s.MessageStatus(id); !ok || st != "accepted" {
		t.Errorf("MessageStatus right after the accept = %q, %v; want accepted", st, ok)
	}
	m, _ := s.messages.get(id)
	p := s.planFor(m.seq)
	for i, want := range []string{"sent", "delivered", "read"} {
		clock.Set(start.Add(p.offset[i]))
		if st, _ := s.MessageStatus(id); st != want {
			t.Errorf("at +%v: %q, want %q", p.offset[i], st, want)
		}
	}
	clock.Advance(24 * time.Hour)
	if st, _ := s.MessageStatus(id); st != "read" {
		t.Errorf("a day later: %q, want read", st)
	}
	if _, ok := s.MessageStatus("gBEGnope"); ok {
		t.Error("MessageStatus of an unknown id: ok")
	}
	s.Reset()
	if _, ok := s.MessageStatus(id); ok {
		t.Error("MessageStatus after Reset: ok, want forgotten")
	}
}

func TestInbound(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	clock := newClock()
	s, base := newSim(t, Config{APIKey: testKey, Window: true, Now: clock.Now, CallbackURL: rc.URL,
		CallbackHeaders: map[string]string{"X-Hook-Secret": "s3cret"}, BusinessNumber: "+255220000000"})
	const from = "255712345678"
	if r := send(t, base, textTo(from)); r.status != http.StatusBadRequest {
		t.Fatalf("before inbound: %d, want the window error", r.status)
	}
	if err := s.Inbound("+"+from, `Habari "rafiki"`); err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	c := rc.waitN(t, 1)[0]
	var body struct {
		Contacts []struct {
			Profile struct {
				Name string `json:"name"`
			} `json:"profile"`
			WaID string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			From      string `json:"from"`
			ID        string `json:"id"`
			Timestamp string `json:"timestamp"`
			Type      string `json:"type"`
			Text      struct {
				Body string `json:"body"`
			} `json:"text"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || len(body.Contacts) != 1 || len(body.Messages) != 1 {
		t.Fatalf("inbound callback %s: %v", c.body, err)
	}
	m := body.Messages[0]
	if body.Contacts[0].WaID != from || body.Contacts[0].Profile.Name == "" || m.From != from || m.Type != "text" ||
		m.Text.Body != `Habari "rafiki"` || m.ID == "" || m.Timestamp != "1740830400" {
		t.Errorf("inbound callback %s", c.body)
	}
	if c.header.Get("X-Hook-Secret") != "s3cret" {
		t.Errorf("inbound callback headers %v", c.header)
	}
	if r := send(t, base, textTo(from)); r.status != http.StatusOK {
		t.Errorf("after inbound: %d %s, want 200", r.status, r.raw)
	}
	for _, bad := range []string{"", "+0712", "abc", "+2557123456789012"} {
		if err := s.Inbound(bad, "x"); err == nil {
			t.Errorf("Inbound(%q) succeeded, want an error", bad)
		}
	}
}

func TestInboundEndpoint(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey, Window: true})
	c := http.DefaultClient
	r := do(t, c, http.MethodPost, base+"/_sim/inbound", "", `{"from":"+255712345678","text":"Habari"}`)
	var got struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.raw), &got); r.status != http.StatusOK || err != nil || got.ID == "" {
		t.Errorf("POST /_sim/inbound: %d %s", r.status, r.raw)
	}
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("after /_sim/inbound: %d %s, want 200", r.status, r.raw)
	}
	for _, body := range []string{`{"from":"12"}`, `{`, `{"text":"x"}`} {
		if r := do(t, c, http.MethodPost, base+"/_sim/inbound", "", body); r.status != http.StatusBadRequest {
			t.Errorf("POST /_sim/inbound %s: %d, want 400", body, r.status)
		}
	}
	if r := do(t, c, http.MethodGet, base+"/_sim/inbound", "", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /_sim/inbound: %d, want 405", r.status)
	}
	if st := s.Stats(); st.Requests != 1 {
		t.Errorf("Requests = %d, want 1 (inbound is not a send)", st.Requests)
	}
}

func TestCallbackErrorsCounted(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.status = http.StatusInternalServerError
	s, base := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL, ReceiptDelay: time.Millisecond})
	mustID(t, send(t, base, textTo("255712345678")))
	st := sharedtest.WaitFor(t, s.Stats, func(st Stats) bool { return st.CallbackErrors == 3 }, waitTimeout, "callback errors")
	if st.Callbacks != 0 {
		t.Errorf("Stats %+v: callbacks answered 500 counted as delivered", st)
	}
}

func TestCallbackRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	elsewhere := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	s, base := newSim(t, Config{APIKey: testKey, CallbackURL: redirect.URL, Statuses: []string{"sent"}})
	mustID(t, send(t, base, textTo("255712345678")))
	sharedtest.WaitFor(t, s.Stats, func(st Stats) bool { return st.CallbackErrors == 1 }, waitTimeout, "callback error")
	if n := len(elsewhere.callbacks()); n != 0 {
		t.Errorf("the redirect target got %d callbacks, want 0", n)
	}
}

func TestCallbackQueueFullDrops(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.release = make(chan struct{})
	s, _ := newSim(t, Config{APIKey: testKey, CallbackURL: rc.URL})
	t.Cleanup(func() { close(rc.release) }) // runs before the simulator's Close
	var refused int
	for range callbackQueue + callbackWorkers + 50 {
		if err := s.Inbound("255712345678", "x"); err != nil {
			if !strings.Contains(err.Error(), "queue full") {
				t.Fatalf("Inbound: %v", err)
			}
			refused++
		}
	}
	if st := s.Stats(); refused == 0 || st.CallbacksDropped != int64(refused) {
		t.Errorf("refused %d, CallbacksDropped %d: want some, and equal", refused, st.CallbacksDropped)
	}
}

func TestProbeFormatCallbacks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s, base := newSim(t, Config{Kind: probeKind, APIKey: testKey, CallbackURL: rc.URL, CallbackSecret: "hush",
		ReceiptDelay: time.Millisecond})
	_, a := probeSendTo(t, base, probeBody("255712345678", true))
	if err := s.Inbound("255712345678", "x"); err != nil { // rendered as nothing
		t.Fatal(err)
	}
	got := rc.waitN(t, 2)
	seen := map[string]bool{}
	for _, c := range got {
		var p probeReceipt
		if err := json.Unmarshal(c.body, &p); err != nil || p.ID != a.ID || p.From != DefaultBusinessNumber {
			t.Errorf("callback %s: %v, want a receipt for %s", c.body, err, a.ID)
		}
		seen[p.Status] = true
		if sig := c.header.Get("X-Signature"); sig != hubSignature256("hush", c.body) {
			t.Errorf("X-Signature %q does not sign the body", sig)
		}
		if c.header.Get("X-Probe") != "1" {
			t.Errorf("the format's header is missing: %v", c.header)
		}
	}
	if !seen["delivered"] || !seen["read"] || seen["sent"] {
		t.Errorf("statuses %v, want delivered and read only (the format pushes no sent)", seen)
	}
	// The status route polls what the engine tracks.
	r := do(t, http.DefaultClient, http.MethodPost, base+"/v2/status", "", `{"api_key":"`+testKey+`","id":"`+a.ID+`"}`)
	if r.status != http.StatusOK || !strings.Contains(r.raw, `"status":"read"`) {
		t.Errorf("status route: %d %s, want read", r.status, r.raw)
	}
	if r := do(t, http.DefaultClient, http.MethodPost, base+"/v2/status", "", `{"id":"`+a.ID+`"}`); r.status != http.StatusUnauthorized {
		t.Errorf("status route without api_key: %d, want 401", r.status)
	}
	sharedtest.WaitFor(t, s.Stats, func(st Stats) bool { return st.Callbacks == 2 }, waitTimeout, "callback counts")
}

// callbackGoroutines counts goroutines of the callback machinery, started
// or not yet.
func callbackGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "created by github.com/wabulk/wabulk/providers/simulator.newCallbacks") {
			n++
		}
	}
	return n
}

// Not parallel: it counts the goroutines of every simulator in the process.
func TestCloseStopsCallbacks(t *testing.T) {
	rc := newReceiver(t)
	s, err := New(Config{APIKey: testKey, CallbackURL: rc.URL, ReceiptDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if n := callbackGoroutines(); n != callbackWorkers+1 {
		t.Errorf("%d callback goroutines running, want %d", n, callbackWorkers+1)
	}
	for i := range 20 {
		mustID(t, send(t, base, textTo("2557123456"+string(rune('0'+i/10))+string(rune('0'+i%10)))))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close waited for the workers: none is left to post anything. (One
	// may still be unwinding past its deferred Done as Close returns: the
	// stack dump can catch it for an instant.)
	sharedtest.WaitFor(t, callbackGoroutines, func(n int) bool { return n == 0 }, time.Second, "callback goroutines to end after Close")
	if err := s.Inbound("255712345678", "x"); err == nil {
		t.Error("Inbound after Close succeeded")
	}
	s.receipts("late", "255712345678", 999, time.Now()) // a send racing Close schedules nothing
	if len(s.cb.pending) != 0 {
		t.Errorf("%d callbacks pending after Close", len(s.cb.pending))
	}
}
