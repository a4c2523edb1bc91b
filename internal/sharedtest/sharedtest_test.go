package sharedtest_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wabulk/wabulk/internal/sharedtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := sharedtest.NewClock(t0)
	var now func() time.Time = c.Now // the form every Config.Now takes
	if got := now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	if got := c.Advance(90 * time.Minute); !got.Equal(t0.Add(90*time.Minute)) || !c.Now().Equal(got) {
		t.Errorf("Advance returned %v, Now %v; want %v", got, c.Now(), t0.Add(90*time.Minute))
	}
	c.Set(t0.Add(-time.Hour))
	if got := c.Now(); !got.Equal(t0.Add(-time.Hour)) {
		t.Errorf("after Set: %v", got)
	}
	// Safe for concurrent use (the race detector checks it).
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(-time.Hour+400*time.Second); !got.Equal(want) {
		t.Errorf("after concurrent advances: %v, want %v", got, want)
	}
}

// recorder is a testing.TB that records a Fatal and ends its goroutine,
// as testing.T does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder in a goroutine of its own and returns what
// it failed with ("" if it did not).
func run(f func(tb testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

func TestEventually(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	msg := run(func(tb testing.TB) {
		sharedtest.Eventually(tb, func() bool { return n.Add(1) == 3 }, 10*time.Second)
	})
	if msg != "" || n.Load() != 3 {
		t.Errorf("met on the third poll: failed %q after %d polls", msg, n.Load())
	}

	msg = run(func(tb testing.TB) {
		sharedtest.Eventually(tb, func() bool { return false }, 30*time.Millisecond, "%d outcomes of campaign %s", 20, "c")
	})
	if want := "condition not met within 30ms: 20 outcomes of campaign c"; msg != want {
		t.Errorf("failure %q, want %q", msg, want)
	}
	msg = run(func(tb testing.TB) { sharedtest.Eventually(tb, func() bool { return false }, time.Millisecond) })
	if want := "condition not met within 1ms"; msg != want {
		t.Errorf("failure %q, want %q", msg, want)
	}
}

func TestEventuallyErr(t *testing.T) {
	t.Parallel()
	if err := sharedtest.EventuallyErr(func() bool { return true }, 0); err != nil {
		t.Errorf("a condition already met: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- sharedtest.EventuallyErr(func() bool { return false }, 20*time.Millisecond, 42) }()
	if err := <-errc; err == nil || err.Error() != "condition not met within 20ms: 42" {
		t.Errorf("err = %v", err)
	}
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	got := sharedtest.WaitFor(t, func() int32 { return n.Add(1) }, func(v int32) bool { return v >= 4 }, 10*time.Second)
	if got != 4 {
		t.Errorf("WaitFor = %d, want the first value that met the condition, 4", got)
	}
	msg := run(func(tb testing.TB) {
		sharedtest.WaitFor(tb, func() []string { return []string{"a", "b"} }, func(v []string) bool { return len(v) > 2 },
			20*time.Millisecond, "three callbacks")
	})
	if want := "condition not met within 20ms: three callbacks; last value: [a b]"; msg != want {
		t.Errorf("failure %q, want %q", msg, want)
	}
}

func TestWaitOrTimeout(t *testing.T) {
	t.Parallel()
	ch := make(chan string, 1)
	ch <- "done"
	if got := sharedtest.WaitOrTimeout(t, ch, time.Second); got != "done" {
		t.Errorf("got %q", got)
	}
	closed := make(chan error)
	close(closed)
	if err := sharedtest.WaitOrTimeout(t, closed, time.Second); err != nil {
		t.Errorf("closed channel: %v", err)
	}
	msg := run(func(tb testing.TB) {
		sharedtest.WaitOrTimeout(tb, make(chan int), 10*time.Millisecond, "the server to stop")
	})
	if want := "nothing received within 10ms: the server to stop"; msg != want {
		t.Errorf("failure %q, want %q", msg, want)
	}
}
