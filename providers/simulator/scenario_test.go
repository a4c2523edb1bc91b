package simulator_test

import (
	"testing"

	"github.com/wabulk/wabulk/providers/simulator"
)

// Every registered wire format names its scenario codes, and the simulator
// accepts each of them in a script.
func TestEveryKindHasAScenario(t *testing.T) {
	for _, kind := range simulator.Kinds() {
		if kind == "probe" {
			continue // the test-only format
		}
		sc, ok := simulator.ScenarioFor(kind)
		if !ok {
			t.Errorf("%s registers no Scenario", kind)
			continue
		}
		sim, err := simulator.New(simulator.Config{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		codes := append([]int{sc.Throttle, sc.Permanent, sc.Template, sc.Window, sc.Auth}, sc.Transient...)
		for _, c := range codes {
			if c == 0 {
				continue
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: scenario code %d is not scriptable: %v", kind, c, r)
					}
				}()
				sim.Script("+255712345678", c)
			}()
		}
		if len(sc.Transient) == 0 || sc.Permanent == 0 || sc.Throttle == 0 {
			t.Errorf("%s: a scenario needs transient, throttle and permanent codes: %+v", kind, sc)
		}
	}
}
