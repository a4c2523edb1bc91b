package config

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// FuzzDuration: a duration the config reads is "off" or not negative, and
// writing it (MarshalYAML) and reading it again gives the same duration.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"1.5s", "10m", "2h", "30d", "500ms", "off", "OFF", " off ", "-1s", "0", "soon", "65536d", "1e3s", "", "d", "+5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Duration
		if err := d.UnmarshalYAML(&yaml.Node{Kind: yaml.ScalarNode, Value: s, Line: 1}); err != nil {
			return
		}
		if d < 0 && d != Off {
			t.Fatalf("%q read as %v", s, time.Duration(d))
		}
		out, err := yaml.Marshal(struct{ D Duration }{d})
		if err != nil {
			t.Fatalf("%q read as %v, which does not encode: %v", s, time.Duration(d), err)
		}
		var back struct{ D Duration }
		if err := yaml.Unmarshal(out, &back); err != nil || back.D != d {
			t.Fatalf("%q read as %v, written %q, read back as %v, %v", s, time.Duration(d), out, time.Duration(back.D), err)
		}
	})
}
