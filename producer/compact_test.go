package producer_test

import (
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// listpackValue is Redis's default hash-max-listpack-value: a hash with a
// longer field value is a hashtable, about twice the memory.
const listpackValue = 64

// TestCompactTaskFitsListpack reads the "msg" field asynq stores for a
// campaign message's compact task, enqueued as Import enqueues it under
// the default prefix: for a typical id it must stay within
// hash-max-listpack-value. Its own miniredis, as the queue names are the
// production ones.
func TestCompactTaskFitsListpack(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	client := asynq.NewClientFromRedisClient(rdb)
	p := producer.New(store.New(rdb, store.Config{}), client, producer.Config{})
	msgLen := func(lane message.Lane, id string) int {
		t.Helper()
		v, err := rdb.HGet(bg, "asynq:{"+message.QueueName("wabulk:", lane)+"}:t:"+id, "msg").Result()
		if err != nil {
			t.Fatalf("task %s on lane %s: %v", id, lane, err)
		}
		return len(v)
	}

	spec := textSpec("spring-sale")
	res, err := p.Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{})
	must(t, err)
	if res.Accepted != 1 {
		t.Fatalf("result %+v, want 1 accepted", res)
	}
	typical := message.CampaignMessageID("spring-sale", "+255712345678")
	n := msgLen(message.LaneNormal, typical)
	if n > listpackValue {
		t.Errorf("the compact task of %s is %d bytes in asynq's hash, want at most %d", typical, n, listpackValue)
	}

	// The same task on every lane, and the longest ids a spec allows (a
	// 64-character campaign id, a 15-digit number), as Import enqueues them.
	longest := message.CampaignMessageID(strings.Repeat("c", 64), "+"+strings.Repeat("9", 15))
	overhead := n - len(typical)
	for _, lane := range message.Lanes {
		for _, id := range []string{typical, longest} {
			task, err := message.NewCompactSendTask(id, asynq.Queue(message.QueueName("wabulk:", lane)), asynq.MaxRetry(message.TaskMaxRetry))
			must(t, err)
			if lane != message.LaneNormal || id != typical {
				if _, err := client.Enqueue(task); err != nil {
					t.Fatal(err)
				}
			}
			got := msgLen(lane, id)
			// Only the id and the queue name vary: the payload adds nothing.
			if want := overhead + len(id) + len(lane) - len(message.LaneNormal); got != want {
				t.Errorf("lane %s, id of %d bytes: msg is %d bytes, want %d", lane, len(id), got, want)
			}
			if id == typical && got > listpackValue {
				t.Errorf("lane %s: the compact task of %s is %d bytes, want at most %d", lane, id, got, listpackValue)
			}
			t.Logf("lane %-6s id %2d bytes: msg %3d bytes (fits %d: %v)", lane, len(id), got, listpackValue, got <= listpackValue)
		}
	}
	t.Logf("on lane normal under the default prefix, ids of up to %d bytes fit", listpackValue-overhead)
}
