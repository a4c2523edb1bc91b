package sharedtest

import (
	"fmt"
	"testing"
	"time"
)

// PollInterval is how often Eventually, WaitFor and EventuallyErr check
// their condition.
const PollInterval = 10 * time.Millisecond

// Eventually polls cond every PollInterval until it returns true, and
// fails t if it has not within timeout. msgAndArgs, optional, say what was
// awaited: a format string and its arguments, or a single value.
//
// Call it from the test's goroutine only (it calls t.Fatal); elsewhere use
// EventuallyErr.
func Eventually(t testing.TB, cond func() bool, timeout time.Duration, msgAndArgs ...any) {
	t.Helper()
	if err := EventuallyErr(cond, timeout, msgAndArgs...); err != nil {
		t.Fatal(err)
	}
}

// EventuallyErr is Eventually returning the failure instead of failing a
// test, for goroutines other than the test's own.
func EventuallyErr(cond func() bool, timeout time.Duration, msgAndArgs ...any) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if !time.Now().Before(deadline) {
			return fmt.Errorf("condition not met within %v%s", timeout, describe(msgAndArgs))
		}
		time.Sleep(PollInterval)
	}
	return nil
}

// WaitFor polls get every PollInterval until cond holds for its value and
// returns that value. If cond does not hold within timeout it fails t,
// reporting the last value got, so the failure shows how far things came.
// msgAndArgs are as for Eventually.
func WaitFor[T any](t testing.TB, get func() T, cond func(T) bool, timeout time.Duration, msgAndArgs ...any) T {
	t.Helper()
	var v T
	err := EventuallyErr(func() bool { v = get(); return cond(v) }, timeout, msgAndArgs...)
	if err != nil {
		t.Fatalf("%v; last value: %+v", err, v)
	}
	return v
}

// WaitOrTimeout receives one value from ch and returns it, failing t if
// none comes within timeout (a closed channel yields its zero value).
func WaitOrTimeout[T any](t testing.TB, ch <-chan T, timeout time.Duration, msgAndArgs ...any) T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("nothing received within %v%s", timeout, describe(msgAndArgs))
		var zero T
		return zero
	}
}

// describe renders msgAndArgs as ": message", or "" when empty.
func describe(msgAndArgs []any) string {
	switch {
	case len(msgAndArgs) == 0:
		return ""
	case len(msgAndArgs) == 1:
		return ": " + fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return ": " + fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return ": " + fmt.Sprint(msgAndArgs...)
}
