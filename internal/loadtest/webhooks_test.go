package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/store/storetest"
)

// loadtest --webhooks drives serve's receiver with signed Meta receipts:
// every callback answered 2xx is an events task (read back), the floor
// and the bare enqueue ran beside it, and on a shared Redis nothing is left
// behind. Figures are printed, never asserted.
func TestLoadtestWebhooksStoresEveryAcknowledgedCallback(t *testing.T) {
	t.Parallel()
	o := WebhookOptions{Kind: "meta", N: 300, Concurrency: 8, Bare: true, JSON: true, Timeout: time.Minute}
	var r *storetest.Redis
	if storetest.Mode() != "" {
		t.Skip("runs on one node or miniredis")
	}
	if storetest.Real() {
		r = storetest.New(t)
		o.RedisURL = fmt.Sprintf("redis://%s/%d", r.Addr, r.Opt.DB)
	}
	var out bytes.Buffer
	if err := Webhooks(context.Background(), o, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var rep webhookReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out.String())
	}
	total := int64(rep.Callbacks + rep.WarmUp)
	switch {
	case rep.Callbacks != 300 || rep.WarmUp <= 0:
		t.Errorf("callbacks %d (want 300), warm-up %d", rep.Callbacks, rep.WarmUp)
	case !strings.Contains(rep.Auth, "X-Hub-Signature-256"):
		t.Errorf("auth %q: Meta's callbacks are signed", rep.Auth)
	case rep.Webhooks.OK != 300 || rep.Webhooks.Errors != 0 || rep.Floor.OK != 300 || rep.Floor.Errors != 0:
		t.Errorf("webhooks %+v, floor %+v: want 300 answered 2xx each, no errors", rep.Webhooks, rep.Floor)
	case rep.Bare == nil || rep.Bare.OK != 300:
		t.Errorf("bare enqueue %+v, want 300 enqueued", rep.Bare)
	// Callbacks arriving together share an events task: 1 to total tasks,
	// each callback in exactly one (no loss, no duplicate).
	case rep.Acknowledged != total || rep.EventsTasks < 1 || rep.EventsTasks > total || rep.Lost != 0 || rep.Duplicates != 0 || rep.Unanswered != 0:
		t.Errorf("durability: %d acknowledged, %d tasks, %d lost, %d duplicates, %d unanswered; want %d, 1 to %d, 0, 0, 0",
			rep.Acknowledged, rep.EventsTasks, rep.Lost, rep.Duplicates, rep.Unanswered, total, total)
	case rep.Webhooks.PerSec <= 0 || rep.Floor.PerSec <= 0 || rep.Webhooks.P99MS <= 0 || rep.Ratio <= 0:
		t.Errorf("figures missing: %+v", rep)
	}
	if r != nil { // the run's queues are gone from the shared Redis
		queues, err := asynq.NewInspectorFromRedisClient(r.Client).Queues()
		if err != nil {
			t.Fatal(err)
		}
		prefix := strings.TrimSuffix(rep.EventsQueue, "events")
		if slices.ContainsFunc(queues, func(q string) bool { return strings.HasPrefix(q, prefix) }) {
			t.Errorf("queues left behind: %v", queues)
		}
	}
}

// Every kind with callbacks, in its own format and authentication, as the
// table; socnet has none.
func TestLoadtestWebhooksEveryKind(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"tujenge", "taqnyat", "modica", "decisiontelecom"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var out, prog bytes.Buffer
			if err := Webhooks(context.Background(), WebhookOptions{Kind: kind, N: 100, Concurrency: 4, Timeout: time.Minute}, &out, &prog); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{"webhooks (serve's handler)", "HTTP floor", "webhooks / floor", "0 lost, 0 duplicates, 0 stored but not answered 2xx"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if !strings.Contains(prog.String(), "measuring") {
				t.Errorf("no progress: %q", prog.String())
			}
		})
	}
}
