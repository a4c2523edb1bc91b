package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/scheduler"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// The scheduler command: --list without Redis; --once expands the latest
// occurrence, and again sends nothing twice; run until stopped.
func TestCLIScheduler(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dir := t.TempDir()
	audience := filepath.Join(dir, "patients.csv")
	if err := os.WriteFile(audience, []byte("phone,name,time\n+255712345601,Amina,09:00\n0712 345 602,Baraka,09:30\n123,Nobody,10:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "wabulk.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: x}
schedules:
  - id: dental-reminder
    cron: "0 9 * * MON-FRI"
    timezone: Africa/Dar_es_Salaam
    account: tj
    audience: %q
    message: {template: {name: appointment_reminder, language: en, body: ["{{name}}", "{{time}}"]}}
    ttl: 2000h
`, r.Addr, r.Opt.DB, r.Prefix, audience)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code, out, stderr := runCLI(t, ctx, "scheduler", "--list", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "dental-reminder  0 9 * * MON-FRI  Africa/Dar_es_Salaam  tj") || strings.Count(out, " EAT ") != 3 {
		t.Fatalf("--list: exit %d\n%s%s", code, out, stderr)
	}

	code, out, stderr = runCLI(t, ctx, "scheduler", "--once", "dental-reminder", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "accepted  2") || !strings.Contains(out, "rejected  1") || !strings.Contains(out, "rejected line 4: phone") {
		t.Fatalf("--once: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, ctx, "scheduler", "--once", "dental-reminder", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "accepted  0") || !strings.Contains(out, "already-present  2") {
		t.Errorf("--once again: exit %d\n%s", code, out)
	}
	dar, _ := time.LoadLocation("Africa/Dar_es_Salaam")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--once", "nope"}, `no such job in the config (have: [dental-reminder])`},
		{[]string{"--once", "dental-reminder", "--at", time.Now().In(dar).AddDate(0, 0, -3).Format("2006-01-02") + "T10:00:00+03:00"}, "is not a fire time of job dental-reminder"},
		{[]string{"--once", "dental-reminder", "--at", time.Now().In(dar).AddDate(0, 0, 8).Format("2006-01-02") + "T09:00:00+03:00"}, "in the future"},
		{[]string{"--at", "2026-11-23T09:00:00+03:00"}, "--at goes with --once"},
	} {
		if code, _, stderr := runCLI(t, ctx, append([]string{"scheduler", "-c", cfgPath}, c.args...)...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}

	// Run: the jobs are listed, and a stop once it runs (its occurrence
	// server has announced itself in Redis) ends it cleanly.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	var code2 int
	var out2, err2 string
	go func() { code2, out2, err2 = runCLI(t, sctx, "scheduler", "-c", cfgPath); close(done) }()
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	sharedtest.Eventually(t, func() bool {
		servers, _ := insp.Servers()
		for _, s := range servers {
			if _, ok := s.Queues[scheduler.OccurrenceQueue(r.Prefix)]; ok {
				return true
			}
		}
		return false
	}, 40*time.Second, "the scheduler's occurrence server running")
	stop()
	sharedtest.WaitOrTimeout(t, done, 40*time.Second, "the scheduler to stop")
	if code2 != 0 || !strings.Contains(out2, "dental-reminder") {
		t.Errorf("scheduler run: exit %d\n%s%s", code2, out2, err2)
	}
}

// A campaign's send_at schedules its tasks (asynq ProcessAt), in whole
// seconds rounded up: asynq moves a task as soon as its second begins, so
// 09:00:00.4 would otherwise go out up to 0.4 s early.
func TestSendAtIsScheduledNeverEarly(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	client := asynq.NewClientFromRedisClient(r.Client)
	p := producer.New(st, client, producer.Config{Prefix: r.Prefix})
	sendAt := time.Now().Add(time.Hour).Truncate(time.Second).Add(400 * time.Millisecond)
	spec := &producer.Spec{ID: "later", Account: "tj", SendAt: sendAt, TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"{{name}}"}}}}
	if _, err := p.Import(context.Background(), spec, strings.NewReader("phone,name\n+255712345601,Amina\n"), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(r.Client).ListScheduledTasks(message.QueueName(r.Prefix, message.LaneNormal))
	if err != nil || len(tasks) != 1 {
		t.Fatalf("scheduled tasks %v, %v", tasks, err)
	}
	if want := sendAt.Truncate(time.Second).Add(time.Second); !tasks[0].NextProcessAt.Equal(want) {
		t.Errorf("task due %s, want %s (send_at %s rounded up)", tasks[0].NextProcessAt, want, sendAt)
	}
	// A compact task: its message is rendered from the record and spec, as
	// the worker renders it.
	if !message.IsCompactSendTask(tasks[0].Payload) {
		t.Fatalf("task %s carries a payload, want the compact form", tasks[0].ID)
	}
	rec, err := st.Get(context.Background(), tasks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Campaign(context.Background(), "later")
	if err != nil {
		t.Fatal(err)
	}
	cm, err := producer.NewCampaignMessages(c)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cm.Queued(rec)
	if err != nil || !m.ExpiresAt.Equal(sendAt.Truncate(time.Second).Add(time.Second+time.Hour)) {
		t.Errorf("message %+v (%v), want the TTL counted from the rounded send_at", m, err)
	}
}
