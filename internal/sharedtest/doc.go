// Package sharedtest holds the test helpers every wabulk package shares:
// one fake clock and one way to wait for something that happens in the
// background.
//
// It owns:
//
//   - Clock, a settable clock safe for concurrent use. Its Now method is a
//     func() time.Time, the form every Config.Now in wabulk takes, so one
//     clock can drive a store, a worker and a simulator together.
//   - Eventually, WaitFor and EventuallyErr, which poll a condition every
//     PollInterval until it holds or a deadline passes, and WaitOrTimeout,
//     which receives from a channel with a deadline. The deadline guards
//     against a hang; it is never a timing assertion.
//
// It must never be imported by non-test code, never sleep a fixed time in
// place of a condition, and never assert that something did not happen by
// waiting: a test shows absence by first waiting for a signal that the
// work has been done (a counter, a task's state, a record's transition),
// then checking what did not happen.
//
// Usage:
//
//	clock := sharedtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
//	st := store.New(rdb, store.Config{Prefix: prefix, Now: clock.Now})
//	clock.Advance(24 * time.Hour)
//
//	sharedtest.Eventually(t, func() bool { return sim.Stats().Requests >= 5 }, 10*time.Second,
//		"five requests at the provider")
//
//	// WaitFor returns the value that met the condition, and reports the
//	// last one got when none did.
//	counts := sharedtest.WaitFor(t, func() store.Counts { c, _ := st.CampaignCounts(ctx, "c"); return c },
//		func(c store.Counts) bool { return c.Outcomes() == 20 }, 30*time.Second, "outcomes of campaign %s", "c")
package sharedtest
