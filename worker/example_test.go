package worker_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// acceptAll is a provider that accepts every message and says so on sent.
type acceptAll struct{ sent chan<- string }

func (p acceptAll) Send(_ context.Context, m *message.Message) (providers.Receipt, error) {
	p.sent <- m.To
	return providers.Receipt{ProviderMessageID: "wamid.example-1", Status: message.Accepted}, nil
}

// A worker on an in-process miniredis with a provider that accepts
// everything: the message's record and task go in as the producer writes
// them, the server sends it, and a graceful shutdown lets the send finish
// before Run returns. In production rdb is the Redis the fleet shares and
// the providers are adapters (providers/tujenge, ...).
func ExampleNewServer() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	const prefix = "example:"

	st := store.New(rdb, store.Config{Prefix: prefix})
	sent := make(chan string, 1)
	cfg := worker.Config{Prefix: prefix, Concurrency: 2, ShutdownTimeout: 10 * time.Second}
	sender := worker.NewSender(cfg, st, map[string]providers.Provider{"tujenge-main": acceptAll{sent}}, nil)
	srv := worker.NewServer(rdb, cfg, sender)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()

	// What the producer writes for each recipient: a record, then a task.
	to := "+255712345678"
	m := &message.Message{ID: message.CampaignMessageID("welcome", to), CampaignID: "welcome", Account: "tujenge-main", To: to,
		Content:   message.Content{Template: &message.Template{Name: "welcome", Language: "en"}},
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
		log.Fatal(err)
	}
	task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(message.QueueName(prefix, message.LaneNormal)),
		asynq.MaxRetry(message.TaskMaxRetry))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(task); err != nil {
		log.Fatal(err)
	}

	fmt.Println("sent to", <-sent)
	stop() // graceful: the send under way records its outcome first
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	r, err := st.Get(ctx, m.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, r.ProviderMessageID, "after", r.Attempts, "attempt")
	// Output:
	// sent to +255712345678
	// accepted wamid.example-1 after 1 attempt
}
