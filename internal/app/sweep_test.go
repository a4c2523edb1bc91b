package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// Two workers' sweepers running at once give each orphaned queued message
// exactly one task back.
func TestSweepersGiveOrphansOneTaskEach(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	client := asynq.NewClientFromRedisClient(r.Client)
	p := producer.New(st, client, producer.Config{Prefix: r.Prefix})
	spec := &producer.Spec{ID: "orph", Account: "tj", Message: message.Content{Text: &message.Text{Body: "Hi {{name}}"}}}
	if res, err := p.Import(context.Background(), spec, strings.NewReader("phone,name\n+255712345601,A\n+255712345602,B\n+255712345603,C\n"), producer.Options{}); err != nil || res.Accepted != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	queue := message.SendQueue(r.Prefix, message.LaneNormal, "orph:+255712345601", 1)
	for _, id := range []string{"orph:+255712345601", "orph:+255712345602", "orph:+255712345603"} {
		if err := insp.DeleteTask(queue, id); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); app.RunSweeper(ctx, st, p, 20*time.Millisecond, 0, zap.NewNop()) }()
	}
	sharedtest.WaitFor(t, func() int { q, _ := insp.GetQueueInfo(queue); return q.Pending },
		func(n int) bool { return n == 3 }, 10*time.Second, "the three tasks back")
	cancel()
	wg.Wait()
	if q, _ := insp.GetQueueInfo(queue); q.Pending != 3 {
		t.Errorf("%d pending tasks, want 3", q.Pending)
	}
}
