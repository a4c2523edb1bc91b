package producer_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

func sendReq(key string) producer.SendRequest {
	return producer.SendRequest{
		Account:        "tujenge-main",
		To:             "+255712345678",
		Content:        message.Content{Template: &message.Template{Name: "reminder", Language: "en", Body: []string{"Amina"}}},
		IdempotencyKey: key,
	}
}

// Requests racing with one key make one message and one task: the record's
// create-if-absent decides, and every other caller gets the same message
// as a replay.
func TestSendConcurrentRepeatsMakeOneMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		fresh   int
		ids     = map[string]bool{}
		errs    []error
		results []producer.SendResult
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Send(bg, sendReq("race-1"))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			results = append(results, res)
			ids[res.ID] = true
			if !res.IdempotentReplay {
				fresh++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if fresh != 1 || len(ids) != 1 || !ids["api:race-1"] {
		t.Errorf("%d first answers, ids %v; want one first answer and one id", fresh, ids)
	}
	if tasks := h.Pending(t, message.LaneHigh); len(tasks) != 1 {
		t.Errorf("%d tasks, want 1", len(tasks))
	}
	counts, err := h.St.CampaignCounts(bg, "")
	must(t, err)
	if diff := cmp.Diff(store.Counts{message.Queued: 1}, counts); diff != "" {
		t.Errorf("direct counts (-want +got):\n%s", diff)
	}
}

// A replay of a message whose task went missing (the first call died
// between the record and the task) enqueues the task again, keeping the
// message's creation time, so its TTL is not extended; a replay of a
// message with an outcome enqueues nothing.
func TestSendReplayRequeuesALostTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	first, err := p.Send(bg, sendReq("lost-1"))
	must(t, err)
	must(t, h.Insp.DeleteTask(h.Queue(message.LaneHigh), first.ID))

	later := h.Producer(producer.Config{Now: at(t0.Add(5 * time.Minute))})
	again, err := later.Send(bg, sendReq("lost-1"))
	must(t, err)
	if !again.IdempotentReplay || again.ID != first.ID || !again.ExpiresAt.Equal(first.ExpiresAt) {
		t.Errorf("replay %+v, first %+v", again, first)
	}
	tasks := h.Pending(t, message.LaneHigh)
	if len(tasks) != 1 || !tasks[0].CreatedAt.Equal(t0) || !tasks[0].ExpiresAt.Equal(t0.Add(producer.DefaultSendTTL)) {
		t.Fatalf("tasks %+v, want the message again with its first creation time", tasks)
	}

	must(t, h.Insp.DeleteTask(h.Queue(message.LaneHigh), first.ID))
	_, err = h.St.Transition(bg, store.Ref{ID: first.ID, Account: "tujenge-main"}, message.Expired, store.Update{From: message.Queued, ErrorCode: "ttl"})
	must(t, err)
	res, err := p.Send(bg, sendReq("lost-1"))
	must(t, err)
	if res.Status != message.Expired || res.ErrorCode != "ttl" || len(h.Pending(t, message.LaneHigh)) != 0 {
		t.Errorf("replay of an expired message: %+v, %d tasks", res, len(h.Pending(t, message.LaneHigh)))
	}
}

func TestSendRefusesWhatCannotBeSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{}) // no default region
	for _, c := range []struct {
		name  string
		edit  func(*producer.SendRequest)
		field string
	}{
		{"national number without a region", func(r *producer.SendRequest) { r.To = "0712345678" }, "to"},
		{"no account", func(r *producer.SendRequest) { r.Account = " " }, "account"},
		{"negative ttl", func(r *producer.SendRequest) { r.TTL = -1 }, "ttl"},
		{"no content", func(r *producer.SendRequest) { r.Content = message.Content{} }, "content"},
		{"key with a slash", func(r *producer.SendRequest) { r.IdempotencyKey = "a/b" }, "idempotency_key"},
	} {
		r := sendReq("")
		c.edit(&r)
		_, err := p.Send(bg, r)
		var fe *producer.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want a FieldError for %s", c.name, err, c.field)
		}
	}
	if n := len(h.Pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks from refused requests", n)
	}
	if _, err := p.Message(bg, "api:none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Message of an unknown id: %v, want ErrNotFound", err)
	}
}
