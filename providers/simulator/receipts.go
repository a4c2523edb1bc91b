package simulator

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"time"
)

// maxStatuses is how many statuses a timeline can hold: every known one.
const maxStatuses = 4

// plan is one accepted message's receipts: when it reaches each status of
// Config.Statuses (offsets from the accept, ascending, in that order), in
// which order the callbacks go out, and which are sent twice. It is drawn
// from the message's own random stream (the seed and its sequence number),
// so it is the same every time it is computed and needs no storing.
type plan struct {
	n      int
	offset [maxStatuses]time.Duration // offset[i]: when Statuses[i] is reached
	order  [maxStatuses]uint8         // the k-th callback carries Statuses[order[k]]
	dup    [maxStatuses]bool          // the k-th callback is sent twice
}

// planFor draws the plan of the message with sequence number seq. Gaps
// between statuses are exponential with mean Config.ReceiptDelay.
func (s *Simulator) planFor(seq uint64) plan {
	r := rand.New(rand.NewPCG(uint64(s.seed)^0x5bd1e9955bd1e995, seq))
	p := plan{n: len(s.cfg.Statuses)}
	var at time.Duration
	for i := range p.n {
		at += time.Duration(r.ExpFloat64() * float64(s.cfg.ReceiptDelay))
		p.offset[i] = at
		p.order[i] = uint8(i)
	}
	if p.n >= 2 && r.Float64() < s.cfg.OutOfOrder {
		r.Shuffle(p.n, func(i, j int) { p.order[i], p.order[j] = p.order[j], p.order[i] })
		if inOrder(p.order[:p.n]) { // a shuffle may leave them be: out of order means out of order
			for i, j := 0, p.n-1; i < j; i, j = i+1, j-1 {
				p.order[i], p.order[j] = p.order[j], p.order[i]
			}
		}
	}
	for k := range p.n {
		p.dup[k] = s.cfg.Duplicate > 0 && r.Float64() < s.cfg.Duplicate
	}
	return p
}

func inOrder(o []uint8) bool {
	for i := range o {
		if o[i] != uint8(i) {
			return false
		}
	}
	return true
}

// receipts starts the timeline of a message accepted at now: MessageStatus
// follows it from now on, and with Config.CallbackURL its callbacks are
// scheduled.
func (s *Simulator) receipts(id, to string, seq uint64, now time.Time) {
	s.messages.add(id, tracked{at: now, seq: seq})
	if s.cb == nil {
		return
	}
	p := s.planFor(seq)
	start := time.Now() // callbacks run on the real clock, whatever Config.Now says
	for k := range p.n {
		i := p.order[k]
		st := statusEvent{
			MessageID: id,
			Recipient: to,
			Business:  s.cfg.BusinessNumber,
			Status:    s.cfg.Statuses[i],
			Time:      now.Add(p.offset[i]),
		}
		if st.Status == "failed" {
			st.ErrorCode = s.format.windowCode()
		}
		// The k-th callback goes out when the k-th status is reached: out
		// of order, a later status takes an earlier slot.
		due := start.Add(p.offset[k])
		s.cb.schedule(due, job{status: st})
		if p.dup[k] {
			s.cb.schedule(due, job{status: st})
		}
	}
}

// MessageStatus returns the current status of the message with provider id
// `id`: "accepted" until it reaches the first of Config.Statuses, then each
// in turn as its time comes (by Config.Now), whether or not the format
// pushes a callback for it. ok is false for an id this simulator did not
// accept (or forgot in Reset). Formats whose provider is polled for
// statuses answer from it. The simulator remembers every accepted message
// for this (some 100 bytes each) until Reset.
func (s *Simulator) MessageStatus(id string) (status string, ok bool) {
	m, ok := s.messages.get(id)
	if !ok {
		return "", false
	}
	p := s.planFor(m.seq)
	elapsed := s.now().Sub(m.at)
	status = "accepted"
	for i := range p.n {
		if p.offset[i] > elapsed {
			break
		}
		status = s.cfg.Statuses[i]
	}
	return status, true
}

// Inbound simulates a message from customer `from` (E.164 or wa_id) to the
// business number: it opens from's 24 h window at the simulator's clock
// (Config.Now) and, with Config.CallbackURL, posts the format's inbound
// callback. It fails on a `from` that is not a phone number, after Close,
// and when the callback queue is full (the window is opened anyway).
func (s *Simulator) Inbound(from, text string) error {
	_, err := s.inboundMessage(from, text)
	return err
}

// inboundMessage is Inbound; it returns the inbound message's id.
func (s *Simulator) inboundMessage(from, text string) (string, error) {
	waID := recipientKey(from)
	if !isWaID(waID) {
		return "", fmt.Errorf("simulator: inbound from %q: not a phone number (7 to 15 digits with the country code)", from)
	}
	if s.closed() {
		return "", errors.New("simulator: inbound: closed")
	}
	now := s.now()
	s.inbound.setLater(waID, now)
	id := s.format.messageID(s.nonce, s.seq.Add(1))
	if s.cb == nil {
		return id, nil
	}
	in := inboundEvent{ID: id, From: waID, Name: "Customer " + waID[len(waID)-4:], To: s.cfg.BusinessNumber, Text: text, Time: now}
	if !s.cb.enqueue(job{inbound: &in}) {
		return id, errors.New("simulator: inbound: callback queue full; callback dropped")
	}
	return id, nil
}

// tracked is what the simulator remembers of an accepted message: when it
// was accepted (by Config.Now) and its sequence number, from which its
// plan is drawn again on demand.
type tracked struct {
	at  time.Time
	seq uint64
}

// messageStore maps provider message ids to their timelines, sharded.
type messageStore struct {
	seed   maphash.Seed
	shards [shardCount]messageShard
}

type messageShard struct {
	mu sync.Mutex
	m  map[string]tracked
	_  [40]byte // keep shards on separate cache lines
}

func newMessageStore() *messageStore {
	ms := &messageStore{seed: maphash.MakeSeed()}
	for i := range ms.shards {
		ms.shards[i].m = make(map[string]tracked)
	}
	return ms
}

func (ms *messageStore) shard(id string) *messageShard {
	return &ms.shards[maphash.String(ms.seed, id)%shardCount]
}

func (ms *messageStore) add(id string, t tracked) {
	sh := ms.shard(id)
	sh.mu.Lock()
	sh.m[id] = t
	sh.mu.Unlock()
}

func (ms *messageStore) get(id string) (tracked, bool) {
	sh := ms.shard(id)
	sh.mu.Lock()
	t, ok := sh.m[id]
	sh.mu.Unlock()
	return t, ok
}

func (ms *messageStore) reset() {
	for i := range ms.shards {
		sh := &ms.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]tracked)
		sh.mu.Unlock()
	}
}
