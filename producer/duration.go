package producer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration string ("24h",
// "90m", "1h30m") or in whole days ("2d", "2d12h") in YAML and JSON.
// Written values are always positive: "0" and negative durations are
// errors (a spec leaves a field out to get its default).
type Duration time.Duration

// maxDays keeps day counts inside time.Duration's range (about 292 years).
const maxDays = 100_000

var daysRE = regexp.MustCompile(`^([0-9]+)d(.*)$`)

// parseDuration reads a Go duration, optionally led by a whole number of
// days.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := func() error {
		return fmt.Errorf("bad duration %q: want a Go duration such as 24h, 90m or 1h30m, or days such as 2d", s)
	}
	if s == "" {
		return 0, bad()
	}
	var d time.Duration
	rest := s
	if m := daysRE.FindStringSubmatch(s); m != nil {
		days, err := strconv.Atoi(m[1])
		if err != nil || days > maxDays {
			return 0, fmt.Errorf("bad duration %q: more than %d days", s, maxDays)
		}
		d = time.Duration(days) * 24 * time.Hour
		rest = m[2]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || (d > 0 && r < 0) {
			return 0, bad()
		}
		d += r
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be greater than zero", s)
	}
	return d, nil
}

// String formats d the way it is read back: "24h", "1h30m", "90s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText writes d as a duration string; JSON and YAML use it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration string; JSON uses it.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a duration string and names the line of a bad one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a duration such as 24h or 2d", n.Line)}}
	}
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}
