package simulator

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a Simulator. The zero Config answers every well-formed,
// authenticated request at once with an accept.
type Config struct {
	// APIKey is the key every request must present (WA-API-KEY for Tujenge).
	// A request without a key, or with another one, is answered 401 in the
	// provider's gateway shape. Empty accepts any non-empty key; the header
	// itself is still required, as on the real service.
	APIKey string
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// Jitter adds a uniform extra latency in [0, Jitter).
	Jitter time.Duration
	// Faults maps a provider code to the probability that a request is
	// answered with it, e.g. {503: 0.02, 429: 0.01, 470: 0.005}. The
	// probabilities must add up to at most 1; codes the wire format does not
	// answer with are rejected.
	Faults map[int]float64
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) with
	// faulted or scripted 429 and 503 answers. 0 sends no header.
	RetryAfter time.Duration
	// Rate is how many requests per second the simulator accepts across all
	// clients; a request over it is answered 429 with a Retry-After saying
	// when the next one would be admitted. 0 is unlimited.
	Rate float64
	// Burst is the rate limiter's bucket size. Defaults to max(1, int(Rate/10)).
	Burst int
	// Seed seeds the fault and jitter randomness: two simulators with the
	// same seed and config answer the same sequence of requests the same
	// way. 0 picks a time-based seed.
	Seed int64
}

// probEpsilon absorbs float rounding when fault probabilities add up to 1.
const probEpsilon = 1e-9

// validate checks c against what wire f can answer and fills defaults.
func (c *Config) validate(f format) error {
	switch {
	case c.Latency < 0:
		return fmt.Errorf("latency %v is negative", c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("jitter %v is negative", c.Jitter)
	case c.RetryAfter < 0:
		return fmt.Errorf("retry-after %v is negative", c.RetryAfter)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("rate %v must be a finite number ≥ 0 (0 is unlimited)", c.Rate)
	case c.Burst < 0:
		return fmt.Errorf("burst %d is negative", c.Burst)
	}
	if c.Rate > 0 && c.Burst == 0 {
		c.Burst = max(1, int(c.Rate/10))
	}
	return validateFaults(c.Faults, f)
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
		case !f.knows(code):
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
// "503=0.02,429=0.01", into a Config.Faults map. Spaces around entries are
// ignored; an empty string is no faults. It rejects malformed entries,
// repeated codes, probabilities outside 0..1, a total over 1 and codes no
// wire format answers with.
func ParseFaults(s string) (map[int]float64, error) {
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
	if err := validateFaults(faults, defaultFormat); err != nil {
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
