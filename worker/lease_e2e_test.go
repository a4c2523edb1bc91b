package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// The tasks a killed worker held come back through a running worker's
// lease recovery, not after asynq's minute-scale recoverer: one the dead
// worker had not claimed yet is sent once, one it had claimed (sending)
// is settled as ambiguous and not sent.
func TestDeadWorkersTasksComeBackThroughLeaseRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	cp := &capture{}
	e.provs = map[string]providers.Provider{account: cp}
	ctx := context.Background()
	spec := &producer.Spec{ID: "c", Account: account, TTL: producer.Duration(2 * time.Hour),
		Message: message.Content{Template: &message.Template{Name: "t", Language: "en", Body: []string{"{{name}}"}}}}
	const (
		unclaimed = "+255712000031"
		claimed   = "+255712000032"
	)
	p := producer.New(e.st, e.client, producer.Config{Prefix: e.r.Prefix})
	if res, err := p.Import(ctx, spec, strings.NewReader("phone,name\n"+unclaimed+",A\n"+claimed+",B\n"), producer.Options{}); err != nil || res.Accepted != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	// What a worker killed mid-task leaves: both tasks active under a
	// lease that ran out 10 s ago (past LeaseGrace, not yet past the 30 s
	// asynq's own recoverer waits for, even in its run at server start),
	// one record claimed.
	q := "asynq:{" + message.QueueName(e.r.Prefix, message.LaneNormal) + "}:"
	expired := float64(time.Now().Add(-10 * time.Second).Unix())
	for _, to := range []string{unclaimed, claimed} {
		id := message.CampaignMessageID("c", to)
		if n, err := e.r.Client.LRem(ctx, q+"pending", 0, id).Result(); err != nil || n != 1 {
			t.Fatalf("take task %s off pending: %d, %v", id, n, err)
		}
		must(t, e.r.Client.LPush(ctx, q+"active", id).Err())
		must(t, e.r.Client.HSet(ctx, q+"t:"+id, "state", "active").Err())
		must(t, e.r.Client.ZAdd(ctx, q+"lease", redis.Z{Score: expired, Member: id}).Err())
	}
	ref := store.Ref{ID: message.CampaignMessageID("c", claimed), CampaignID: "c", Account: account}
	if _, err := e.st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true}); err != nil {
		t.Fatal(err)
	}

	cfg := e.config()
	cfg.LeaseCheckInterval = 20 * time.Millisecond
	e.run(cfg, nil)
	e.waitOutcomes(2)
	type outcome struct {
		Status message.Status
		Code   string
		Sent   bool
	}
	want := map[string]outcome{unclaimed: {message.Accepted, "", true}, claimed: {message.Failed, store.AmbiguousCode, false}}
	got := map[string]outcome{}
	for to := range want {
		rec, err := e.st.Get(ctx, message.CampaignMessageID("c", to))
		if err != nil {
			t.Fatal(err)
		}
		got[to] = outcome{rec.Status, rec.ErrorCode, cp.sent(to) != nil}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}
