package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "1.5s", "10m", "2h".
type Duration time.Duration

// Off is the Duration written "off": the rule it sets is turned off.
const Off = Duration(-1)

// UnmarshalYAML reads a Go duration string, or "off".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if strings.EqualFold(strings.TrimSpace(n.Value), "off") {
		*d = Off
		return nil
	}
	v, err := parseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write e.g. 500ms, 15s, 10m, 2h, 30d)", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// parseDuration is time.ParseDuration that also reads whole days ("30d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// MarshalYAML writes d as it is read ("1.5s", "off").
func (d Duration) MarshalYAML() (any, error) {
	if d == Off {
		return "off", nil
	}
	return time.Duration(d).String(), nil
}

// Secret is a credential: it prints as [redacted] wherever it goes.
type Secret string

func (s Secret) String() string { return "[redacted]" }

// GoString keeps %#v from printing it.
func (s Secret) GoString() string { return "[redacted]" }

// UnmarshalYAML takes a single value: a list or a map where a credential
// (or any of a kind's own fields) belongs is refused with its line.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a single value here, not a list or a map (is the field name right? examples/wabulk.yaml lists every field)", n.Line)
	}
	*s = Secret(n.Value)
	return nil
}

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }
