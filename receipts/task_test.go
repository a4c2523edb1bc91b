package receipts_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// wirePayload is an events task's payload as wabulk has always written it:
// tasks already queued must still decode, and new ones read the same.
const wirePayload = `{"account":"tj","received":"2026-11-21T09:00:00Z","events":[` +
	`{"kind":"status","provider_message_id":"wamid.1","status":"failed","provider_status":"failed","error_code":"131047","error":"window","recipient":"+255712345678","time":"2026-11-21T08:59:59Z"},` +
	`{"kind":"inbound","inbound_id":"in-1","from":"+255712345678","to":"+15550783881","text":"STOP","media_kind":"image","media_ref":"m1"}]}`

func wireBatch() receipts.Batch {
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	return receipts.Batch{Account: "tj", Received: at, Events: []providers.Event{
		{Kind: providers.EventStatus, ProviderMessageID: "wamid.1", Status: message.Failed, ProviderStatus: "failed",
			ErrorCode: "131047", Error: "window", Recipient: "+255712345678", Time: at.Add(-time.Second)},
		{Kind: providers.EventInbound, InboundID: "in-1", From: "+255712345678", To: "+15550783881", Text: "STOP",
			MediaKind: message.KindImage, MediaRef: "m1"},
	}}
}

func TestEventsTaskWireFormat(t *testing.T) {
	t.Parallel()
	task, err := receipts.NewTask(wireBatch())
	must(t, err)
	if task.Type() != "wabulk:events" {
		t.Errorf("task type %q, want wabulk:events", task.Type())
	}
	if got := string(task.Payload()); got != wirePayload {
		t.Errorf("payload\n got %s\nwant %s", got, wirePayload)
	}
	b, err := receipts.DecodeTask([]byte(wirePayload))
	must(t, err)
	if diff := cmp.Diff(wireBatch(), *b); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if q := receipts.Queue("wabulk:"); q != "wabulk:events" {
		t.Errorf("queue %q, want wabulk:events", q)
	}
}

// A payload that can never be applied is an error (the worker archives
// the task with it); NewTask refuses to write one.
func TestEventsTaskRefusesUnusablePayloads(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ payload, want string }{
		{"{", "not JSON"},
		{`{"received":"2026-11-21T09:00:00Z","events":[]}`, "no account"},
		{`{"account":"tj","events":[]}`, "no received time"},
	} {
		if _, err := receipts.DecodeTask([]byte(c.payload)); err == nil || !strings.Contains(err.Error(), "bad events payload: "+c.want) {
			t.Errorf("DecodeTask(%s) = %v, want %q", c.payload, err, c.want)
		}
	}
	for _, b := range []receipts.Batch{{Received: time.Now()}, {Account: "tj"}} {
		if _, err := receipts.NewTask(b); err == nil {
			t.Errorf("NewTask(%+v): no error", b)
		}
	}
	// Nothing listens on the client's address: only a refusal before
	// Redis names the missing account.
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	if err := receipts.Enqueue(t.Context(), client, "wabulk:", receipts.Batch{}); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("Enqueue of an unusable batch: %v, want it refused before Redis", err)
	}
}

// Events queues split like the lanes: shard 0 keeps the old name, and
// batches spread over every shard.
func TestEventsQueueShards(t *testing.T) {
	if diff := cmp.Diff([]string{"wabulk:events", "wabulk:events#1", "wabulk:events#2"}, receipts.Queues("wabulk:", 3)); diff != "" {
		t.Errorf("Queues (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"wabulk:events"}, receipts.Queues("wabulk:", 0)); diff != "" {
		t.Errorf("Queues of 0 shards (-want +got):\n%s", diff)
	}
	r := storetest.New(t)
	client := asynq.NewClientFromRedisClient(r.Client)
	const shards, n = 4, 40
	for i := range n {
		b := receipts.Batch{Account: "tj", Received: time.Now(), Events: []providers.Event{{Kind: providers.EventStatus,
			ProviderMessageID: "wamid." + strconv.Itoa(i), Status: message.Delivered}}}
		if err := receipts.EnqueueSharded(t.Context(), client, r.Prefix, shards, b); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	used, total := 0, 0
	for _, q := range receipts.Queues(r.Prefix, shards) {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			continue // a shard that got nothing does not exist
		}
		used++
		total += info.Pending
	}
	if total != n || used < 2 {
		t.Errorf("%d batches pending over %d of %d shards, want all %d over several", total, used, shards, n)
	}
}
