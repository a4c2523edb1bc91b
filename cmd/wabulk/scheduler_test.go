package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// Each schedule problem is named with its job, all at once.
func TestScheduleConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	audience := filepath.Join(dir, "patients.csv")
	if err := os.WriteFile(audience, []byte("phone,name\n+255712345601,Amina\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf(`
providers:
  - {name: tj, kind: tujenge, api_key: x}
schedules:
  - id: ok
    cron: "0 9 * * MON-FRI"
    timezone: Africa/Dar_es_Salaam
    account: tj
    audience: %[1]q
    message: {template: {name: appointment_reminder, language: en, body: ["{{name}}"]}}
    ttl: 2h
    quiet_hours: {start: "21:00", end: "08:00"}
  - id: bad-cron
    cron: "0 25 * * *"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
  - id: bad-zone
    cron: "0 9 * * *"
    timezone: Africa/Dar
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
  - id: bad-account
    cron: "0 9 * * *"
    account: tujenge-main
    audience: %[1]q
    message: {text: {body: hi}}
  - id: no-file
    cron: "0 9 * * *"
    account: tj
    audience: %[2]q
    message: {text: {body: hi}}
  - id: bad-quiet
    cron: "0 9 * * *"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
    quiet_hours: {start: "21:00", end: "8am"}
  - id: ok
    cron: "@every 1h"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
`, audience, filepath.Join(dir, "missing.csv"))
	cfg, err := ParseConfig([]byte(cfgText), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the schedules are checked by the scheduler, not at load: %v", err)
	}
	_, err = cfg.scheduleJobs()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`schedules[1] (bad-cron): cron "0 25 * * *"`,
		`schedules[2] (bad-zone): timezone "Africa/Dar" is not a known IANA time zone`,
		`schedules[3] (bad-account): account: no provider account "tujenge-main" in the config (have: tj)`,
		`schedules[4] (no-file): audience: open ` + filepath.Join(dir, "missing.csv"),
		`schedules[5] (bad-quiet): quiet_hours.end: "8am"`,
		`schedules[6] (ok): id is used twice`,
		`schedules[6] (ok): cron "@every 1h": @every is not supported`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "schedules[0]") {
		t.Errorf("the good job is blamed:\n%v", err)
	}
	// A misspelt field is an error at load, with its line.
	_, err = ParseConfig([]byte("providers:\n  - {name: tj, kind: tujenge, api_key: x}\nschedules:\n  - id: x\n    crn: \"0 9 * * *\"\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `line 5: unknown field "crn"`) {
		t.Errorf("misspelt field: %v", err)
	}
}

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

	// Run: the jobs are listed, and a stop ends it cleanly.
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	var code2 int
	var out2, err2 string
	go func() { code2, out2, err2 = runCLI(t, sctx, "scheduler", "-c", cfgPath); close(done) }()
	time.Sleep(500 * time.Millisecond)
	stop()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("scheduler did not stop")
	}
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
	m, err := message.DecodeSendTask(tasks[0].Payload)
	if err != nil || !m.ExpiresAt.Equal(sendAt.Truncate(time.Second).Add(time.Second+time.Hour)) {
		t.Errorf("message expires %v (%v), want the TTL counted from the rounded send_at", m.ExpiresAt, err)
	}
}

// The lateness benchmark sends every message once, none before its
// send_at, and reports the floor beside the pipeline.
func TestScheduledLoadtestReports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two short rounds of scheduled sends")
	}
	t.Parallel()
	var out bytes.Buffer
	err := runScheduledLoad(context.Background(), scheduledOptions{n: 30, rounds: 2, at: time.Second, spread: 2 * time.Second,
		delayedCheck: 100 * time.Millisecond, conc: 10, timeout: time.Minute, asJSON: true}, &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var rep scheduledReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Pipeline.N != 30 || rep.Bare.N != 30 || rep.SendTimes != 2 || rep.Lost != 0 || rep.Duplicates != 0 || rep.EarlySends != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.Pipeline.MinMS < 0 || rep.Pipeline.MaxMS < rep.Pipeline.P99MS || rep.Bare.MinMS < 0 {
		t.Errorf("latenesses %+v, %+v", rep.Pipeline, rep.Bare)
	}
}
