package receipts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
)

// PollerConfig configures a Poller. Zero fields take the defaults named.
type PollerConfig struct {
	// Accounts are the provider accounts whose receipts are polled, by the
	// names the worker sends with, each with its adapter. Required.
	Accounts map[string]providers.StatusPoller
	// Rate is how many polls per second one account makes, across every
	// process polling it; a second's worth may go at once. Defaults to 10;
	// negative is unlimited.
	Rate float64
	// Batch is the most ids one round claims for an account; a full round
	// is followed by another at once. Defaults to 50.
	Batch int
	// Parallel is how many polls of one account run at once in this
	// process. Defaults to 8.
	Parallel int
	// Lease is how long claimed ids stay hidden from other processes: a
	// process that dies mid-round leaves them due again after it. A round
	// that outlasts it (polls timing out: Batch/Parallel × PollTimeout at
	// worst) may see some ids polled twice, which is harmless. Defaults
	// to 1m.
	Lease time.Duration
	// PollTimeout bounds one status request. Defaults to 10s.
	PollTimeout time.Duration
	// Intervals is the polling schedule by age (see the package doc's
	// "Status polling").
	// Defaults to DefaultIntervals.
	Intervals []time.Duration
	// MaxAge stops polling a message this long after it was first
	// scheduled, with a debug line. Defaults to 24h.
	MaxAge time.Duration
	// Tick is how often each account's due ids are looked for. Defaults to 1s.
	Tick time.Duration
	// Prefix is the key prefix of the events queue (Queue): the worker's.
	// Defaults to "wabulk:".
	Prefix string
	// QueueShards is how many events queues there are (Queues): the
	// workers' worker.Config.QueueShards. Defaults to 1.
	QueueShards int
	// Now is the clock for due times, ages and the rate. Defaults to time.Now.
	Now func() time.Time
	// Logger gets a line per failure (debug: per status polled). Lines
	// carry the account, the provider message id and the provider's
	// (redacted) error, never a credential. Defaults to zap.NewNop().
	Logger *zap.Logger
}

// DefaultIntervals is the polling schedule when PollerConfig gives none:
// quickly while receipts usually come, then every 30 minutes.
var DefaultIntervals = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute,
	2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute}

// WithDefaults returns c with every zero field set to its default.
func (c PollerConfig) WithDefaults() PollerConfig {
	if c.Rate == 0 {
		c.Rate = 10
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.Parallel <= 0 {
		c.Parallel = 8
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 10 * time.Second
	}
	if len(c.Intervals) == 0 {
		c.Intervals = DefaultIntervals
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	if c.Prefix == "" {
		c.Prefix = "wabulk:"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Poller polls the receipts of providers without push receipts and hands
// what it learns to the worker as events tasks; see the package doc's
// "Status polling".
type Poller struct {
	cfg      PollerConfig
	store    *store.Store
	client   *asynq.Client
	accounts []string // sorted
	log      *zap.Logger

	mu   sync.Mutex
	down map[string]bool // accounts whose last poll failed at account level
}

// enqueueTimeout bounds the Redis write of one round's events.
const enqueueTimeout = 5 * time.Second

// NewPoller returns the poller of cfg.Accounts on st (the due-sets), handing
// what it learns to the worker through client.
func NewPoller(st *store.Store, client *asynq.Client, cfg PollerConfig) (*Poller, error) {
	cfg = cfg.WithDefaults()
	var errs []error
	if st == nil || client == nil {
		errs = append(errs, errors.New("a store and an asynq client are required"))
	}
	if len(cfg.Accounts) == 0 {
		errs = append(errs, errors.New("no accounts to poll"))
	}
	for name, sp := range cfg.Accounts {
		if name == "" || sp == nil {
			errs = append(errs, fmt.Errorf("account %q: a name and a status poller are required", name))
		}
	}
	for _, d := range cfg.Intervals {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("interval %v: every interval must be positive", d))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("status poller: %w", err)
	}
	p := &Poller{cfg: cfg, store: st, client: client, log: cfg.Logger, down: map[string]bool{}}
	for name := range cfg.Accounts {
		p.accounts = append(p.accounts, name)
	}
	slices.Sort(p.accounts)
	return p, nil
}

// Run polls every account every Tick until ctx is done, then returns nil;
// a round in progress hands on what it has learnt and releases the ids it
// could not poll. Failures are logged, never returned: the next round
// tries again.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, account := range p.accounts {
		wg.Go(func() { p.run(ctx, account) })
	}
	wg.Wait()
	return nil
}

func (p *Poller) run(ctx context.Context, account string) {
	t := time.NewTicker(p.cfg.Tick)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := p.round(ctx, account)
			if err != nil {
				p.log.Warn("status polling round failed; trying again at the next tick", zap.String("account", account), zap.Error(err))
			}
			if err != nil || n < p.cfg.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollDue runs one round for every account at once, at Now: claims what is
// due (at most Batch each, within Rate), polls it, hands the changes on and
// settles every id. It returns how many ids it claimed. Run calls it on
// every tick; tests call it with a fixed clock.
func (p *Poller) PollDue(ctx context.Context) (int, error) {
	var (
		wg    sync.WaitGroup
		total atomic.Int64
		errs  = make([]error, len(p.accounts))
	)
	for i, account := range p.accounts {
		wg.Go(func() {
			n, err := p.round(ctx, account)
			total.Add(int64(n))
			if err != nil {
				errs[i] = fmt.Errorf("poll %s: %w", account, err)
			}
		})
	}
	wg.Wait()
	return int(total.Load()), errors.Join(errs...)
}

// outcome is what becomes of one claimed id.
type outcome struct {
	item  store.PollItem
	event *providers.Event // a status to hand on; nil if none
	done  bool             // DonePoll; else ReschedulePoll at `at`
	at    time.Time
	last  message.Status // recorded with the reschedule; "" keeps
}

// round claims, polls, hands on and settles one account's due ids and
// returns how many it claimed.
func (p *Poller) round(ctx context.Context, account string) (int, error) {
	now := p.cfg.Now()
	items, err := p.store.ClaimPolls(ctx, account, now, p.cfg.Batch, max(p.cfg.Rate, 0), p.cfg.Lease)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	log := p.log.With(zap.String("account", account))
	outs := p.poll(ctx, account, now, items, log)

	// What was learnt is recorded even when ctx ends now: the polls are done.
	wctx := context.WithoutCancel(ctx)
	var events []providers.Event
	for _, o := range outs {
		if o.event != nil {
			events = append(events, *o.event)
		}
	}
	var errs []error
	if len(events) > 0 {
		ectx, cancel := context.WithTimeout(wctx, enqueueTimeout)
		err := EnqueueSharded(ectx, p.client, p.cfg.Prefix, p.cfg.QueueShards, Batch{Account: account, Received: now.UTC(), Events: events})
		cancel()
		if err != nil {
			// Nothing is lost: the changed ids are polled again soon.
			errs = append(errs, fmt.Errorf("hand on %d polled statuses: %w", len(events), err))
			for i := range outs {
				if outs[i].event != nil {
					outs[i] = outcome{item: outs[i].item, at: now.Add(p.cfg.Intervals[0])}
				}
			}
		} else {
			log.Debug("polled statuses handed on", zap.Int("events", len(events)))
		}
	}
	for _, o := range outs {
		id := o.item.ProviderMessageID
		if o.done {
			err = p.store.DonePoll(wctx, account, id)
		} else {
			err = p.store.ReschedulePoll(wctx, account, id, o.at, o.last)
		}
		if err != nil {
			// The lease ends and the id is due again: polled once more, no harm.
			errs = append(errs, err)
		}
	}
	return len(items), errors.Join(errs...)
}

// poll asks the provider about each claimed id, Parallel at a time, and
// decides each one's outcome. After an account-level failure or a throttle
// the ids not yet asked about are not asked: they share the decision.
func (p *Poller) poll(ctx context.Context, account string, now time.Time, items []store.PollItem, log *zap.Logger) []outcome {
	sp := p.cfg.Accounts[account]
	outs := make([]outcome, len(items))
	var (
		mu      sync.Mutex
		stopped time.Time // when ids not asked about are due, once a failure says stop
		next    = make(chan int)
		wg      sync.WaitGroup
		failed  atomic.Int64 // transiently
	)
	for range min(p.cfg.Parallel, len(items)) {
		wg.Go(func() {
			for i := range next {
				it := items[i]
				mu.Lock()
				halted := stopped
				mu.Unlock()
				switch {
				case ctx.Err() != nil: // stopping: released, due at once for whoever polls next
					outs[i] = outcome{item: it, at: now}
					continue
				case !halted.IsZero():
					outs[i] = p.later(it, now, halted, log.With(zap.String("provider_message_id", it.ProviderMessageID)))
					continue
				}
				if age := now.Sub(it.Since); !it.Since.IsZero() && age > p.cfg.MaxAge {
					log.Debug("stopped polling: no final status within the maximum age",
						zap.String("provider_message_id", it.ProviderMessageID), zap.Duration("max_age", p.cfg.MaxAge),
						zap.String("last_status", string(it.Last)))
					outs[i] = outcome{item: it, done: true}
					continue
				}
				pctx, cancel := context.WithTimeout(ctx, p.cfg.PollTimeout)
				ev, err := sp.PollStatus(pctx, it.ProviderMessageID)
				cancel()
				var halt time.Time
				outs[i], halt = p.decide(ctx, account, now, it, ev, err, log)
				if err != nil && ctx.Err() == nil && providers.AsSendError(err).Class == providers.Transient {
					failed.Add(1)
				}
				if !halt.IsZero() {
					mu.Lock()
					if stopped.IsZero() {
						stopped = halt
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		log.Warn("status polls failed transiently; polling them again later", zap.Int64("failed", n), zap.Int("of", len(items)))
	}
	return outs
}

// decide turns one poll's answer into an outcome. A non-zero halt says the
// round's ids not asked about yet are not to be asked, but due at halt.
func (p *Poller) decide(ctx context.Context, account string, now time.Time, it store.PollItem, ev providers.Event, err error, log *zap.Logger) (o outcome, halt time.Time) {
	log = log.With(zap.String("provider_message_id", it.ProviderMessageID))
	if err == nil {
		p.accountUp(account, log)
		return p.polled(now, it, ev, log), time.Time{}
	}
	if ctx.Err() != nil { // stopping: released, due at once for whoever polls next
		return outcome{item: it, at: now}, time.Time{}
	}
	se := providers.AsSendError(err)
	switch se.Class {
	case providers.Permanent:
		log.Warn("stopped polling: the provider refuses to tell this message's status", zap.Error(se))
		return outcome{item: it, done: true}, time.Time{}
	case providers.Account:
		p.accountDown(account, se, log)
		at := now.Add(slices.Max(p.cfg.Intervals))
		return p.later(it, now, at, log), at
	default:
		log.Debug("status poll failed; polling again later", zap.Error(se))
		at := now.Add(max(p.interval(now.Sub(it.Since)), se.RetryAfter))
		if se.Reason == providers.ReasonThrottled {
			halt = at
		}
		return p.later(it, now, at, log), halt
	}
}

// polled is the outcome of a status the provider told.
func (p *Poller) polled(now time.Time, it store.PollItem, ev providers.Event, log *zap.Logger) outcome {
	switch ev.Status {
	case message.Accepted, message.Sent, message.Delivered, message.Read, message.Failed:
	default:
		log.Warn("status poll answered a status a receipt cannot set; polling again later",
			zap.String("status", string(ev.Status)), zap.String("provider_status", ev.ProviderStatus))
		return p.later(it, now, now.Add(p.interval(now.Sub(it.Since))), log)
	}
	ev.Kind = providers.EventStatus
	ev.ProviderMessageID = it.ProviderMessageID // the id the record knows, whatever the answer's spelling
	log.Debug("status polled", zap.String("status", string(ev.Status)), zap.String("provider_status", ev.ProviderStatus))
	var o outcome
	if ev.Status == message.Read || ev.Status == message.Failed {
		o = outcome{item: it, done: true}
	} else {
		o = p.later(it, now, now.Add(p.interval(now.Sub(it.Since))), log)
		if !o.done {
			o.last = ev.Status
		}
	}
	// "accepted" is what the record already says; a repeat says nothing new.
	if ev.Status != message.Accepted && ev.Status != it.Last {
		o.event = &ev
	}
	return o
}

// later is the outcome "poll again at at", but never past MaxAge: the last
// poll is at MaxAge, and an id already there is done. log names the id.
func (p *Poller) later(it store.PollItem, now, at time.Time, log *zap.Logger) outcome {
	if it.Since.IsZero() {
		return outcome{item: it, at: at}
	}
	limit := it.Since.Add(p.cfg.MaxAge)
	switch {
	case !now.Before(limit):
		log.Debug("stopped polling: no final status within the maximum age", zap.Duration("max_age", p.cfg.MaxAge))
		return outcome{item: it, done: true}
	case at.After(limit):
		at = limit
	}
	return outcome{item: it, at: at}
}

// interval is the wait after a poll at age: Intervals[i] for the first i
// whose running sum exceeds age, the last one beyond.
func (p *Poller) interval(age time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range p.cfg.Intervals {
		sum += d
		if age < sum {
			return d
		}
	}
	return p.cfg.Intervals[len(p.cfg.Intervals)-1]
}

// accountDown warns once that an account's polls are refused as a whole.
func (p *Poller) accountDown(account string, se *providers.SendError, log *zap.Logger) {
	p.mu.Lock()
	was := p.down[account]
	p.down[account] = true
	p.mu.Unlock()
	if !was {
		log.Warn("status polling refused for the whole account (credentials, balance?); its messages are polled again every longest interval",
			zap.Duration("every", slices.Max(p.cfg.Intervals)), zap.Error(se))
	}
}

func (p *Poller) accountUp(account string, log *zap.Logger) {
	p.mu.Lock()
	was := p.down[account]
	delete(p.down, account)
	p.mu.Unlock()
	if was {
		log.Info("status polling works again for the account")
	}
}
