package simulator

import "sync"

// Scenario names a wire format's codes by what they mean, so a demo or a
// test can script "a transient failure" or "the window error" on any kind.
// Every code is one the format's Script accepts; 0 means the provider has
// no such answer.
type Scenario struct {
	Transient []int // failures worth retrying (e.g. 408, 503)
	Throttle  int   // the provider's rate-limit answer
	Permanent int   // a permanent refusal of this message
	Template  int   // the template does not exist or does not fit
	Window    int   // a free-form message outside the 24-hour window
	Auth      int   // credentials refused
}

var (
	scenarioMu sync.RWMutex
	scenarios  = map[string]Scenario{}
)

// registerScenario records kind's scenario; each format file calls it from
// its init, next to register.
func registerScenario(kind string, sc Scenario) {
	scenarioMu.Lock()
	defer scenarioMu.Unlock()
	scenarios[kind] = sc
}

// ScenarioFor returns the scenario codes of a wire format.
func ScenarioFor(kind string) (Scenario, bool) {
	scenarioMu.RLock()
	defer scenarioMu.RUnlock()
	sc, ok := scenarios[kind]
	return sc, ok
}
