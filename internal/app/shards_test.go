package app

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
)

// On a Cluster, redis.queue_shards defaults to
// config.DefaultClusterQueueShards and a lane's shards live on more than
// one master; send tasks enqueued into their messages' shards spread over
// those masters and an asynq server taking every shard runs them all.
func TestClusterSpreadsLaneShards(t *testing.T) {
	u := modeURL(t, envCluster)
	cfg := &config.Config{Redis: config.RedisConfig{URL: u}}
	cfg.ApplyDefaults()
	shards := cfg.Redis.QueueShards
	if shards != config.DefaultClusterQueueShards {
		t.Fatalf("queue_shards on a Cluster = %d, want %d", shards, config.DefaultClusterQueueShards)
	}
	conn := openMode(t, cfg.Redis)
	cc, ok := conn.RDB.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("a Cluster URL opened %T, want *redis.ClusterClient", conn.RDB)
	}
	ctx := t.Context()
	// masterOf is the address of the master holding queue q (asynq's keys
	// of q share the slot of "{q}").
	masterOf := func(q string) string {
		t.Helper()
		c, err := cc.MasterForKey(ctx, "asynq:{"+q+"}:pending")
		if err != nil {
			t.Fatalf("master of %s: %v", q, err)
		}
		return c.Options().Addr
	}
	prefix := fmt.Sprintf("wabulk-test-shards-%d:", time.Now().UnixNano())
	queues := message.LaneQueues(prefix, message.LaneNormal, shards)
	t.Cleanup(func() {
		insp := asynq.NewInspectorFromRedisClient(conn.RDB)
		for _, q := range queues {
			if err := insp.DeleteQueue(q, true); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Errorf("delete queue %s: %v", q, err)
			}
		}
	})

	// Enqueue send tasks the way the producer does, into their shards.
	const n = 64
	client := asynq.NewClientFromRedisClient(conn.RDB)
	want := map[string]bool{}
	used := map[string]int{} // tasks per master
	for i := range n {
		m := &message.Message{ID: message.CampaignMessageID("cl", fmt.Sprintf("+2557127%05d", i)), CampaignID: "cl", Account: "tj",
			To: fmt.Sprintf("+2557127%05d", i), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour),
			Content: message.Content{Template: &message.Template{Name: "promo", Language: "en"}}}
		q := message.SendQueue(prefix, message.LaneNormal, m.ID, shards)
		task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(q), asynq.MaxRetry(message.TaskMaxRetry))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueContext(ctx, task); err != nil {
			t.Fatalf("enqueue on %s: %v", q, err)
		}
		want[m.ID] = true
		used[masterOf(q)]++
	}
	if len(used) < 2 {
		t.Errorf("the tasks of %d messages in %d shards sit on masters %v, want more than one", n, shards, used)
	}

	// A server taking every shard runs every task.
	got := make(chan string, n)
	mux := asynq.NewServeMux()
	mux.HandleFunc(message.TypeSend, func(_ context.Context, task *asynq.Task) error {
		m, err := message.DecodeSendTask(task.Payload())
		if err != nil {
			return err
		}
		got <- m.ID
		return nil
	})
	weights := map[string]int{}
	for _, q := range queues {
		weights[q] = 1
	}
	srv := asynq.NewServerFromRedisClient(conn.RDB, asynq.Config{Queues: weights, Concurrency: 8,
		TaskCheckInterval: 50 * time.Millisecond, ShutdownTimeout: time.Second, Logger: quiet{}, LogLevel: asynq.ErrorLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	for len(want) > 0 {
		id := sharedtest.WaitOrTimeout(t, got, 30*time.Second, "the tasks still waiting (%d)", len(want))
		delete(want, id)
	}
}
