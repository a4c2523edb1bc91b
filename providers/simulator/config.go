package simulator

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a Simulator. The zero Config serves the Tujenge wire
// format and answers every well-formed, authenticated request at once with
// an accept; it posts no callbacks.
type Config struct {
	// Kind is the wire format to serve, one of Kinds(). Defaults to
	// "tujenge".
	Kind string
	// APIKey is the credential every request must present, in the form the
	// wire format defines:
	//   - tujenge: the WA-API-KEY header value;
	//   - formats using a Bearer token (taqnyat, meta): the token;
	//   - formats using HTTP Basic auth (modica, decisiontelecom): "user:pass";
	//   - formats with a key in the JSON body (socnet api_key): the key.
	// A request without a credential, or with another one, is answered 401
	// in the provider's shape. Empty accepts any credential; one must still
	// be present, as on the real service.
	APIKey string

	// Latency is added to every request before it is answered: the fixed
	// delay, or with LatencyP99 the median delay.
	Latency time.Duration
	// LatencyP99, when set, draws each request's latency from a log-normal
	// distribution with median Latency and 99th percentile LatencyP99:
	// Latency·exp(σ·Z), σ = ln(LatencyP99/Latency)/2.326, Z standard normal
	// clamped to ±4.5. It needs Latency > 0 and LatencyP99 ≥ Latency.
	// 0 is off (every request waits Latency).
	LatencyP99 time.Duration
	// Jitter adds a uniform extra latency in [0, Jitter), on top of either.
	Jitter time.Duration

	// Faults maps a provider code to the probability that a request is
	// answered with it, e.g. {503: 0.02, 429: 0.01, 470: 0.005}. The
	// probabilities must add up to at most 1; codes the wire format does not
	// answer with are rejected.
	Faults map[int]float64
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) with
	// faulted or scripted 429 and 503 answers and the format's rate- and
	// pair-limit codes. 0 sends no header.
	RetryAfter time.Duration
	// Rate is how many requests per second the simulated account accepts
	// across all clients; a request over it is answered with the format's
	// rate-limit code (Tujenge 429, Meta 130429) and a Retry-After saying
	// when the next one would be admitted. 0 is unlimited.
	Rate float64
	// Burst is the rate limiter's bucket size. Defaults to max(1, int(Rate/10)).
	Burst int
	// PairInterval limits messages to one recipient: a second accepted
	// message to the same recipient within it is answered with the format's
	// pair-limit code (Tujenge 429, Meta 131056) and a Retry-After. 0 is off.
	PairInterval time.Duration
	// Window, when true, answers a free-form (non-template) message to a
	// recipient without an inbound message in the last 24 hours (Inbound,
	// MarkInbound) with the format's window error (Tujenge 470, Meta and
	// Taqnyat 131047, Modica invalid_attrib, Socnet a FAIL, DecisionTelecom
	// 7: each in WhatsApp's words). Templates always pass.
	Window bool

	// CallbackURL receives the format's callbacks: status receipts of
	// accepted messages and inbound messages. It must be an absolute http
	// or https URL; the simulator posts to it and to nothing else. Empty
	// posts nothing (MessageStatus still advances).
	CallbackURL string
	// CallbackHeaders are added to every callback POST, e.g. a shared
	// secret header the receiver checks.
	CallbackHeaders map[string]string
	// CallbackSecret signs callbacks, for formats whose provider signs them
	// (Meta: X-Hub-Signature-256). Formats that do not sign ignore it.
	CallbackSecret string
	// Statuses are the receipts an accepted message goes through, in order,
	// from "sent", "delivered", "read" and "failed". Defaults to sent,
	// delivered, read.
	Statuses []string
	// ReceiptDelay is the mean delay before each status (exponentially
	// distributed). Defaults to 50ms; 1ns makes receipts all but immediate.
	ReceiptDelay time.Duration
	// OutOfOrder is the probability that a message's receipts are posted
	// in a shuffled order (never the natural one); the status each carries
	// keeps its own time.
	OutOfOrder float64
	// Duplicate is the probability that a receipt is posted twice.
	Duplicate float64
	// BusinessNumber is the business's own number (digits): the sender of
	// receipts and the recipient of inbound messages. Defaults to
	// "15550000000".
	BusinessNumber string

	// Seed seeds the fault, latency and receipt randomness: two simulators
	// with the same seed and config answer the same sequence of requests
	// the same way. 0 picks a time-based seed.
	Seed int64
	// Now is the clock for the 24 h window, the pair limit and
	// MessageStatus. Defaults to time.Now. Callbacks are timed by the real
	// clock whatever it says.
	Now func() time.Time
}

// Defaults for Config fields.
const (
	DefaultReceiptDelay   = 50 * time.Millisecond
	DefaultBusinessNumber = "15550000000"
)

// probEpsilon absorbs float rounding when fault probabilities add up to 1.
const probEpsilon = 1e-9

// validate checks c against what wire f can answer and fills defaults.
func (c *Config) validate(f format) error {
	switch {
	case c.Latency < 0:
		return fmt.Errorf("latency %v is negative", c.Latency)
	case c.LatencyP99 < 0:
		return fmt.Errorf("latency p99 %v is negative", c.LatencyP99)
	case c.LatencyP99 > 0 && c.Latency <= 0:
		return fmt.Errorf("latency p99 %v needs a median latency > 0", c.LatencyP99)
	case c.LatencyP99 > 0 && c.LatencyP99 < c.Latency:
		return fmt.Errorf("latency p99 %v is below the median latency %v", c.LatencyP99, c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("jitter %v is negative", c.Jitter)
	case c.RetryAfter < 0:
		return fmt.Errorf("retry-after %v is negative", c.RetryAfter)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("rate %v must be a finite number ≥ 0 (0 is unlimited)", c.Rate)
	case c.Burst < 0:
		return fmt.Errorf("burst %d is negative", c.Burst)
	case c.PairInterval < 0:
		return fmt.Errorf("pair interval %v is negative", c.PairInterval)
	case c.ReceiptDelay < 0:
		return fmt.Errorf("receipt delay %v is negative", c.ReceiptDelay)
	case !isProbability(c.OutOfOrder):
		return fmt.Errorf("out-of-order probability %v is outside 0..1", c.OutOfOrder)
	case !isProbability(c.Duplicate):
		return fmt.Errorf("duplicate probability %v is outside 0..1", c.Duplicate)
	}
	if c.Rate > 0 && c.Burst == 0 {
		c.Burst = max(1, int(c.Rate/10))
	}
	if c.ReceiptDelay == 0 {
		c.ReceiptDelay = DefaultReceiptDelay
	}
	if c.BusinessNumber == "" {
		c.BusinessNumber = DefaultBusinessNumber
	}
	c.BusinessNumber = recipientKey(c.BusinessNumber)
	if !isWaID(c.BusinessNumber) {
		return fmt.Errorf("business number %q must be 7 to 15 digits with the country code", c.BusinessNumber)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := validateStatuses(c); err != nil {
		return err
	}
	if err := validateCallback(c); err != nil {
		return err
	}
	return validateFaults(c.Faults, f)
}

func isProbability(p float64) bool { return p >= 0 && p <= 1 } // false for NaN

func validateStatuses(c *Config) error {
	if c.Statuses == nil {
		c.Statuses = []string{"sent", "delivered", "read"}
		return nil
	}
	c.Statuses = slices.Clone(c.Statuses)
	for i, st := range c.Statuses {
		switch {
		case !slices.Contains(knownStatuses, st):
			return fmt.Errorf("status %q is not one of %s", st, strings.Join(knownStatuses, ", "))
		case slices.Contains(c.Statuses[:i], st):
			return fmt.Errorf("status %q is given twice", st)
		}
	}
	return nil
}

func validateCallback(c *Config) error {
	if c.CallbackURL == "" {
		if len(c.CallbackHeaders) > 0 || c.CallbackSecret != "" {
			return errors.New("callback headers or secret given without a callback URL")
		}
		return nil
	}
	u, err := url.Parse(c.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("callback URL %q must be an absolute http or https URL", c.CallbackURL)
	}
	for k, v := range c.CallbackHeaders {
		if !isToken(k) {
			return fmt.Errorf("callback header name %q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("callback header %s: the value holds a line break or NUL", k)
		}
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		ok := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// validateFaults checks codes against f and the probabilities against each
// other. Codes are checked in ascending order so the first error is stable.
func validateFaults(faults map[int]float64, f format) error {
	var sum float64
	for _, code := range sortedCodes(faults) {
		p := faults[code]
		switch {
		case code == 200:
			return errors.New("fault code 200 is an accept, not a fault")
		case !knows(f, code):
			return fmt.Errorf("fault code %d is not one the %s wire format answers with (known: %s)",
				code, f.name(), joinCodes(f.codes()))
		case math.IsNaN(p) || p < 0 || p > 1:
			return fmt.Errorf("fault %d: probability %v is outside 0..1", code, p)
		}
		sum += p
	}
	if sum > 1+probEpsilon {
		return fmt.Errorf("fault probabilities add up to %.6g; they must not exceed 1", sum)
	}
	return nil
}

// ParseFaults parses a fault list as written on a command line,
// "503=0.02,429=0.01", into a Config.Faults map for the default wire
// format (tujenge); ParseFaultsFor checks against another. Spaces around
// entries are ignored; an empty string is no faults. It rejects malformed
// entries, repeated codes, probabilities outside 0..1, a total over 1 and
// codes the wire format does not answer with.
func ParseFaults(s string) (map[int]float64, error) {
	return ParseFaultsFor(defaultKind, s)
}

// ParseFaultsFor is ParseFaults for the wire format kind (Config.Kind).
func ParseFaultsFor(kind, s string) (map[int]float64, error) {
	f, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	faults := make(map[int]float64)
	if strings.TrimSpace(s) == "" {
		return faults, nil
	}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		codeText, probText, ok := strings.Cut(entry, "=")
		if !ok || entry == "" {
			return nil, fmt.Errorf("faults %q: entry %d %q: want code=probability, e.g. 503=0.02", s, i+1, entry)
		}
		code, err := strconv.Atoi(strings.TrimSpace(codeText))
		if err != nil {
			return nil, fmt.Errorf("faults %q: entry %d %q: code %q is not a number", s, i+1, entry, codeText)
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(probText), 64)
		if err != nil {
			return nil, fmt.Errorf("faults %q: entry %d %q: probability %q is not a number", s, i+1, entry, probText)
		}
		if _, dup := faults[code]; dup {
			return nil, fmt.Errorf("faults %q: code %d is given twice", s, code)
		}
		faults[code] = p
	}
	if err := validateFaults(faults, f); err != nil {
		return nil, fmt.Errorf("faults %q: %w", s, err)
	}
	return faults, nil
}

func sortedCodes(m map[int]float64) []int {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

func joinCodes(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ", ")
}
