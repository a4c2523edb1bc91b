package receipts

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/providers"
)

// Callbacks that arrive while a task is being written share the next
// task; every callback's events are in exactly one task, and none is
// answered before its task is stored.
func TestCommitterGroupsConcurrentCallbacksIntoOneTaskEach(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		tasks  []Batch
		stored = map[string]int{}
	)
	release := make(chan struct{})
	var inStore atomic.Int64
	c := &committer{timeout: time.Second, store: func(_ context.Context, b Batch) error {
		inStore.Add(int64(len(b.Events)))
		<-release // a slow Redis: callbacks pile up behind the first writes
		mu.Lock()
		defer mu.Unlock()
		tasks = append(tasks, b)
		for _, e := range b.Events {
			stored[e.ProviderMessageID]++
		}
		return nil
	}}
	const n = 200
	var wg sync.WaitGroup
	answered := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			id := "m" + strconv.Itoa(i)
			err := c.add(context.Background(), "acct", time.Unix(int64(i), 0), []providers.Event{{ProviderMessageID: id}})
			if err != nil {
				t.Errorf("%s: %v", id, err)
				return
			}
			mu.Lock()
			if stored[id] != 1 {
				t.Errorf("%s answered before its task was stored (stored %d times)", id, stored[id])
			}
			mu.Unlock()
			answered <- id
		})
	}
	// Every callback is either being written or waiting in a group.
	sharedtest.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		queued := 0
		for _, g := range c.queue {
			queued += len(g.batch.Events)
		}
		return inStore.Load()+int64(queued) == n
	}, 10*time.Second, "callbacks in the committer")
	close(release)
	wg.Wait()
	close(answered)
	if len(answered) != n {
		t.Fatalf("%d of %d callbacks answered", len(answered), n)
	}
	for i := range n {
		if got := stored["m"+strconv.Itoa(i)]; got != 1 {
			t.Errorf("m%d stored %d times, want once", i, got)
		}
	}
	// The first writes hold one callback each; everything that came
	// while they were under way went in one group.
	if len(tasks) > maxFlushes+1 {
		t.Errorf("%d tasks for %d concurrent callbacks, want at most %d", len(tasks), n, maxFlushes+1)
	}
	for _, b := range tasks {
		if b.Account != "acct" || len(b.Events) > maxGroupEvents {
			t.Errorf("task of %q with %d events", b.Account, len(b.Events))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flushing != 0 || len(c.queue) != 0 {
		t.Errorf("after the callbacks: %d writes under way, %d groups waiting", c.flushing, len(c.queue))
	}
}

// A task that cannot be stored fails every callback of its group (each
// is answered 503 and retried by the provider), and the next callback is
// stored.
func TestCommitterFailsTheWholeGroup(t *testing.T) {
	t.Parallel()
	fail := errors.New("redis down")
	var calls int
	c := &committer{timeout: time.Second, store: func(context.Context, Batch) error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	}}
	if err := c.add(context.Background(), "a", time.Now(), []providers.Event{{}}); !errors.Is(err, fail) {
		t.Errorf("first: %v, want the store's error", err)
	}
	if err := c.add(context.Background(), "a", time.Now(), []providers.Event{{}}); err != nil {
		t.Errorf("second: %v", err)
	}
}
