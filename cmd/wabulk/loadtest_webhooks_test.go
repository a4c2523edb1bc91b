package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/store/storetest"
)

// loadtest --webhooks drives serve's receiver with signed Meta receipts:
// every callback answered 2xx is an events task (read back), the floor
// and the bare enqueue ran beside it, and on a shared Redis nothing is left
// behind. Figures are printed, never asserted.
func TestLoadtestWebhooksStoresEveryAcknowledgedCallback(t *testing.T) {
	t.Parallel()
	args := []string{"loadtest", "--webhooks", "-n", "300", "--concurrency", "8", "--provider", "meta", "--bare", "--json", "--quiet"}
	var r *storetest.Redis
	if storetest.Real() {
		r = storetest.New(t)
		args = append(args, "--redis", fmt.Sprintf("redis://%s/%d", r.Addr, r.Opt.DB))
	}
	code, out, stderr := runCLI(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	var rep webhookReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out)
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
	case rep.Acknowledged != total || rep.EventsTasks != total || rep.Lost != 0 || rep.Duplicates != 0 || rep.Unanswered != 0:
		t.Errorf("durability: %d acknowledged, %d tasks, %d lost, %d duplicates, %d unanswered; want %d, %d, 0, 0, 0",
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
			code, out, stderr := runCLI(t, context.Background(), "loadtest", "--webhooks", "-n", "100", "--concurrency", "4", "--provider", kind)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			for _, want := range []string{"webhooks (serve's handler)", "HTTP floor", "webhooks / floor", "0 lost, 0 duplicates, 0 stored but not answered 2xx"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(stderr, "measuring") {
				t.Errorf("no progress on stderr: %q", stderr)
			}
		})
	}
}

func TestLoadtestWebhooksRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--webhooks", "--provider", "socnet"}, "socnet sends no callbacks"},
		{[]string{"--webhooks", "--rate", "5"}, "--rate does not apply to --webhooks"},
		{[]string{"--webhooks", "--workers", "3"}, "--workers does not apply to --webhooks"},
		{[]string{"--webhooks", "-n", "0"}, "must be positive"},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"loadtest"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("loadtest %v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
