package worker_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// capture is a provider that accepts every message and keeps what it got.
type capture struct {
	mu  sync.Mutex
	got map[string]*message.Message // by recipient
}

func (c *capture) Send(_ context.Context, m *message.Message) (providers.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got == nil {
		c.got = map[string]*message.Message{}
	}
	cp := *m
	c.got[m.To] = &cp
	return providers.Receipt{ProviderMessageID: "p" + m.To}, nil
}

func (c *capture) sent(to string) *message.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[to]
}

// An imported campaign's tasks are compact, and the worker sends each
// message as the import rendered it: the row's values in the spec's
// message (or its fallback outside the window), the spec's sender, the
// TTL counted from the record's creation.
func TestCompactTasksAreRenderedFromRecordAndSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	cp := &capture{}
	e.provs = map[string]providers.Provider{account: cp}
	ctx := context.Background()
	spec := &producer.Spec{ID: "c", Account: account, Sender: "+255700000001", TTL: producer.Duration(2 * time.Hour),
		Message:          message.Content{Text: &message.Text{Body: "Hi {{name}}, your code is {{code}}"}},
		FallbackTemplate: &message.Template{Name: "code", Language: "en", Body: []string{"{{name}}", "{{code}}"}}}
	const (
		inWindow  = "+255712000001"
		outWindow = "+255712000002"
	)
	rows := "phone,name,code\n" + inWindow + ",Amina,A1\n" + outWindow + `,"Baraka ""B"" Juma",B2` + "\n"
	p := producer.New(e.st, e.client, producer.Config{Prefix: e.r.Prefix})
	if res, err := p.Import(ctx, spec, strings.NewReader(rows), producer.Options{}); err != nil || res.Accepted != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	pending, err := insp.ListPendingTasks(message.QueueName(e.r.Prefix, message.LaneNormal))
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range pending {
		if !message.IsCompactSendTask(ti.Payload) {
			t.Errorf("task %s carries a %d-byte payload, want the compact form", ti.ID, len(ti.Payload))
		}
	}
	must(t, e.st.SetLastInbound(ctx, account, "+255700000001", inWindow, time.Now()))

	e.run(e.config(), nil)
	e.waitOutcomes(2)
	for _, c := range []struct {
		to       string
		content  message.Content
		fallback *message.Template
	}{
		{inWindow, message.Content{Text: &message.Text{Body: "Hi Amina, your code is A1"}},
			&message.Template{Name: "code", Language: "en", Body: []string{"Amina", "A1"}}},
		{outWindow, message.Content{Template: &message.Template{Name: "code", Language: "en", Body: []string{`Baraka "B" Juma`, "B2"}}}, nil},
	} {
		got := cp.sent(c.to)
		if got == nil {
			t.Errorf("nothing reached the provider for %s", c.to)
			continue
		}
		rec, err := e.st.Get(ctx, message.CampaignMessageID("c", c.to))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != message.Accepted {
			t.Errorf("%s ended %s (%s), want accepted", c.to, rec.Status, rec.Error)
		}
		want := &message.Message{ID: rec.ID, CampaignID: "c", Account: account, From: "+255700000001", To: c.to,
			Content: c.content, Fallback: c.fallback, CreatedAt: rec.CreatedAt, ExpiresAt: rec.CreatedAt.Add(2 * time.Hour)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("message sent to %s (-want +got):\n%s", c.to, diff)
		}
	}
}

// A compact task whose record is missing, or whose campaign is, can never
// be sent: it is archived with the reason at once, and a record without
// its campaign ends invalid.
func TestCompactTasksWithoutRecordOrCampaignAreArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	ctx := context.Background()
	queue := message.QueueName(e.r.Prefix, message.LaneNormal)
	orphan := message.CampaignMessageID("gone", "+255712000010") // a record, no campaign
	ghost := message.CampaignMessageID("c", "+255712000011")     // no record at all
	if _, err := e.st.Create(ctx, []store.NewRecord{{ID: orphan, CampaignID: "gone", Account: account, To: "+255712000010", Values: []string{"x"}}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{orphan, ghost} {
		task, err := message.NewCompactSendTask(id, asynq.Queue(queue), asynq.MaxRetry(message.TaskMaxRetry))
		must(t, err)
		if _, err := e.client.Enqueue(task); err != nil {
			t.Fatal(err)
		}
	}
	e.run(e.config(), nil)
	e.waitCounts("gone", func(c store.Counts) bool { return c.Outcomes() == 1 })
	rec, err := e.st.Get(ctx, orphan)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != message.Invalid || rec.ErrorCode != "payload" || !strings.Contains(rec.Error, "campaign gone") {
		t.Errorf("record = %s/%s %q, want invalid/payload naming campaign gone", rec.Status, rec.ErrorCode, rec.Error)
	}
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	archived := sharedtest.WaitFor(t, func() []*asynq.TaskInfo { a, _ := insp.ListArchivedTasks(queue); return a },
		func(a []*asynq.TaskInfo) bool { return len(a) == 2 }, waitTimeout, "2 archived tasks")
	want := map[string]string{orphan: "campaign gone has no record", ghost: "has no record to render it from"}
	for _, a := range archived {
		if !strings.Contains(a.LastErr, want[a.ID]) || a.Retried != 0 {
			t.Errorf("archived task %s: last error %q, retried %d; want %q at the first try", a.ID, a.LastErr, a.Retried, want[a.ID])
		}
	}
}

// A compact task's record and its recipient's opt-out and marketing stop
// are read together (store.GetForSend): an opt-out or a marketing stop
// recorded after the import still keeps its message from going out.
func TestCompactTasksHonourSuppressionAfterImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	cp := &capture{}
	e.provs = map[string]providers.Provider{account: cp}
	ctx := context.Background()
	spec := &producer.Spec{ID: "c", Account: account, TTL: producer.Duration(2 * time.Hour),
		Message: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"{{name}}"}}}}
	const (
		optedOut = "+255712000021"
		stopped  = "+255712000022"
		kept     = "+255712000023"
	)
	rows := "phone,name\n" + optedOut + ",A\n" + stopped + ",B\n" + kept + ",C\n"
	p := producer.New(e.st, e.client, producer.Config{Prefix: e.r.Prefix})
	if res, err := p.Import(ctx, spec, strings.NewReader(rows), producer.Options{}); err != nil || res.Accepted != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	must(t, e.st.OptOut(ctx, account, optedOut, "STOP"))
	if _, err := e.st.StopMarketingAt(ctx, account, stopped, "STOP PROMO", time.Now()); err != nil {
		t.Fatal(err)
	}

	e.run(e.config(), nil)
	e.waitOutcomes(3)
	type outcome struct {
		Status message.Status
		Code   string
		Sent   bool
	}
	want := map[string]outcome{
		optedOut: {message.OptedOut, "opted_out", false},
		stopped:  {message.OptedOut, "marketing_stopped", false},
		kept:     {message.Accepted, "", true},
	}
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
