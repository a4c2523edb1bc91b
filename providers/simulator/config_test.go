package simulator

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want map[int]float64
	}{
		{"", map[int]float64{}},
		{"  ", map[int]float64{}},
		{"503=0.02", map[int]float64{503: 0.02}},
		{"503=0.02,429=0.01", map[int]float64{503: 0.02, 429: 0.01}},
		{" 503 = 0.02 , 470=0.005,1009=0 ", map[int]float64{503: 0.02, 470: 0.005, 1009: 0}},
		{"503=0.5,429=0.3,408=0.2", map[int]float64{503: 0.5, 429: 0.3, 408: 0.2}}, // exactly 1
		{"401=1e-3", map[int]float64{401: 0.001}},
	} {
		got, err := ParseFaults(tc.in)
		if err != nil {
			t.Errorf("ParseFaults(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseFaults(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseFaultsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, wantErr string
	}{
		{"503", `entry 1 "503": want code=probability`},
		{"503=0.1,", `entry 2 "": want code=probability`},
		{"503=0.1,,429=0.1", `entry 2 "": want code=probability`},
		{"abc=0.1", `code "abc" is not a number`},
		{"503=lots", `probability "lots" is not a number`},
		{"503=0.1,503=0.2", "code 503 is given twice"},
		{"503=1.5", "probability 1.5 is outside 0..1"},
		{"503=-0.1", "probability -0.1 is outside 0..1"},
		{"503=NaN", "probability NaN is outside 0..1"},
		{"503=0.6,429=0.5", "fault probabilities add up to 1.1; they must not exceed 1"},
		{"418=0.1", "fault code 418 is not one the tujenge wire format answers with (known: 400, 401, 408, 429"},
		{"200=0.1", "fault code 200 is an accept, not a fault"},
	} {
		got, err := ParseFaults(tc.in)
		if err == nil {
			t.Errorf("ParseFaults(%q) = %v, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseFaults(%q): %v\nwant it to contain %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"unknown code", Config{Faults: map[int]float64{503: 0.1, 418: 0.1}}, "fault code 418 is not one the tujenge wire format answers with"},
		{"sum over 1", Config{Faults: map[int]float64{503: 0.7, 429: 0.4}}, "fault probabilities add up to 1.1"},
		{"negative probability", Config{Faults: map[int]float64{503: -0.1}}, "outside 0..1"},
		{"NaN probability", Config{Faults: map[int]float64{503: math.NaN()}}, "outside 0..1"},
		{"200 as fault", Config{Faults: map[int]float64{200: 0.5}}, "200 is an accept"},
		{"negative latency", Config{Latency: -time.Second}, "latency -1s is negative"},
		{"negative jitter", Config{Jitter: -time.Second}, "jitter -1s is negative"},
		{"negative retry-after", Config{RetryAfter: -time.Second}, "retry-after -1s is negative"},
		{"negative rate", Config{Rate: -1}, "rate -1 must be"},
		{"infinite rate", Config{Rate: math.Inf(1)}, "must be a finite number"},
		{"negative burst", Config{Rate: 10, Burst: -1}, "burst -1 is negative"},
		{"unknown kind", Config{Kind: "twilio"}, `kind "twilio" is not a wire format the simulator serves (known: `},
		{"p99 without median", Config{LatencyP99: time.Second}, "needs a median latency > 0"},
		{"p99 below median", Config{Latency: time.Second, LatencyP99: time.Millisecond}, "is below the median latency"},
		{"negative p99", Config{LatencyP99: -time.Second}, "latency p99 -1s is negative"},
		{"negative pair interval", Config{PairInterval: -time.Second}, "pair interval -1s is negative"},
		{"negative receipt delay", Config{ReceiptDelay: -time.Second}, "receipt delay -1s is negative"},
		{"out-of-order over 1", Config{OutOfOrder: 1.5}, "out-of-order probability 1.5 is outside 0..1"},
		{"duplicate NaN", Config{Duplicate: math.NaN()}, "duplicate probability NaN is outside 0..1"},
		{"unknown status", Config{Statuses: []string{"sent", "seen"}}, `status "seen" is not one of sent, delivered, read, failed`},
		{"repeated status", Config{Statuses: []string{"sent", "sent"}}, `status "sent" is given twice`},
		{"relative callback URL", Config{CallbackURL: "/hooks"}, `callback URL "/hooks" must be an absolute http or https URL`},
		{"ftp callback URL", Config{CallbackURL: "ftp://127.0.0.1/hooks"}, "must be an absolute http or https URL"},
		{"headers without URL", Config{CallbackHeaders: map[string]string{"X-A": "b"}}, "without a callback URL"},
		{"secret without URL", Config{CallbackSecret: "s"}, "without a callback URL"},
		{"bad header name", Config{CallbackURL: "http://127.0.0.1:1/h", CallbackHeaders: map[string]string{"X A": "b"}}, `callback header name "X A" is not a valid header name`},
		{"header value with newline", Config{CallbackURL: "http://127.0.0.1:1/h", CallbackHeaders: map[string]string{"X-A": "b\r\nX-B: c"}}, "line break"},
		{"bad business number", Config{BusinessNumber: "12ab"}, `business number "12ab" must be 7 to 15 digits`},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "simulator: ") {
			t.Errorf("%s: New: %v, want an error containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestNewDefaultsAndCopies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate      float64
		burst     int
		wantBurst int
	}{
		{0.5, 0, 1}, {5, 0, 1}, {50, 0, 5}, {1000, 0, 100}, {1000, 7, 7},
	} {
		s, err := New(Config{Rate: tc.rate, Burst: tc.burst})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.limiter.Load().Burst(); got != tc.wantBurst {
			t.Errorf("Rate %v Burst %d: limiter burst %d, want %d", tc.rate, tc.burst, got, tc.wantBurst)
		}
	}
	faults := map[int]float64{503: 1}
	s, err := New(Config{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	faults[503] = 0 // the caller's map is not the simulator's
	if got := s.decide(parsed{to: "255712345678", freeForm: true}, 0.5, time.Now()).code; got != 503 {
		t.Errorf("after the caller changed its map: code %d, want 503", got)
	}
	if s.limiter.Load() != nil {
		t.Error("Rate 0 built a limiter")
	}
	if s.cb != nil {
		t.Error("no CallbackURL started callback workers")
	}
	want := Config{Kind: "tujenge", Faults: map[int]float64{503: 1}, Statuses: []string{"sent", "delivered", "read"},
		ReceiptDelay: 50 * time.Millisecond, BusinessNumber: "15550000000"}
	got := s.cfg
	got.Now = nil
	if diff := cmp.Diff(want, got); diff != "" || s.cfg.Now == nil {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	statuses := []string{"read"}
	s, err = New(Config{Statuses: statuses, BusinessNumber: "+255220000000"})
	if err != nil {
		t.Fatal(err)
	}
	statuses[0] = "sent"
	if s.cfg.Statuses[0] != "read" || s.cfg.BusinessNumber != "255220000000" {
		t.Errorf("Statuses %v BusinessNumber %q: want the simulator's own copy, digits only", s.cfg.Statuses, s.cfg.BusinessNumber)
	}
}

func TestLogNormalLatency(t *testing.T) {
	t.Parallel()
	const n = 200000
	median, p99 := 20*time.Millisecond, 200*time.Millisecond
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = logNormal(median, p99, r.NormFloat64())
	}
	slices.Sort(d)
	near := func(got, want time.Duration, tol float64) bool {
		return math.Abs(float64(got)/float64(want)-1) < tol
	}
	if got := d[n/2]; !near(got, median, 0.02) {
		t.Errorf("median %v, want %v", got, median)
	}
	if got := d[n*99/100]; !near(got, p99, 0.05) {
		t.Errorf("99th percentile %v, want %v", got, p99)
	}
	if maxD := time.Duration(float64(median) * math.Pow(float64(p99)/float64(median), zClamp/z99)); d[n-1] > maxD+time.Microsecond {
		t.Errorf("max %v exceeds the clamp %v", d[n-1], maxD)
	}
	if got := logNormal(median, 0, 3); got != median {
		t.Errorf("without p99: %v, want the median %v", got, median)
	}
}
