package simulator

import (
	"bytes"
	"container/heap"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Callback delivery bounds. Receipts wait in a heap until due, then in a
// queue for one of the workers; when either is full the callback is
// dropped and counted (Stats.CallbacksDropped), so a slow receiver never
// slows the send path.
const (
	callbackWorkers    = 8
	callbackQueue      = 4096
	callbackMaxPending = 1 << 18
	callbackTimeout    = 5 * time.Second
	callbackMaxReply   = 64 << 10 // read (and discard) at most this much of a receiver's answer
)

// job is one callback to render and POST: a status receipt, or an inbound
// message when inbound is set.
type job struct {
	status  statusEvent
	inbound *inboundEvent
}

// callbacks posts receipts and inbound messages to Config.CallbackURL, and
// nowhere else: the URL is fixed at New, redirects are not followed and no
// proxy is used.
type callbacks struct {
	url     string
	headers map[string]string
	secret  string
	format  format
	stats   *counters
	client  *http.Client

	mu      sync.Mutex // guards pending
	pending pendingHeap
	order   uint64 // tie-break: equal due times go out in scheduling order
	wake    chan struct{}
	queue   chan job

	ctx    context.Context // cancelled by close: aborts POSTs in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newCallbacks(cfg Config, f format, stats *counters) *callbacks {
	tr := &http.Transport{
		Proxy:                 nil, // the configured URL and nothing else
		DialContext:           (&net.Dialer{Timeout: callbackTimeout}).DialContext,
		MaxIdleConnsPerHost:   callbackWorkers,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   callbackTimeout,
		ResponseHeaderTimeout: callbackTimeout,
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &callbacks{
		url:     cfg.CallbackURL,
		headers: cfg.CallbackHeaders,
		secret:  cfg.CallbackSecret,
		format:  f,
		stats:   stats,
		client: &http.Client{
			Transport: tr,
			Timeout:   callbackTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a redirect is an answer, not a new address
			},
		},
		wake:   make(chan struct{}, 1),
		queue:  make(chan job, callbackQueue),
		ctx:    ctx,
		cancel: cancel,
	}
	c.wg.Add(1 + callbackWorkers)
	go c.scheduler()
	for range callbackWorkers {
		go c.worker()
	}
	return c
}

// schedule queues j to go out at due (real time). It never blocks.
func (c *callbacks) schedule(due time.Time, j job) {
	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	if len(c.pending) >= callbackMaxPending {
		c.mu.Unlock()
		c.stats.callbacksDropped.Add(1)
		return
	}
	c.order++
	heap.Push(&c.pending, pendingJob{due: due, order: c.order, job: j})
	first := c.pending[0].order == c.order
	c.mu.Unlock()
	if first { // the scheduler may be waiting for a later one
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// enqueue hands j to the workers at once; false when the queue is full
// (j is dropped and counted) or callbacks are stopped.
func (c *callbacks) enqueue(j job) bool {
	if c.ctx.Err() != nil {
		return false
	}
	select {
	case c.queue <- j:
		return true
	default:
		c.stats.callbacksDropped.Add(1)
		return false
	}
}

// scheduler moves due jobs from the heap to the queue.
func (c *callbacks) scheduler() {
	defer c.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		c.mu.Lock()
		now := time.Now()
		for len(c.pending) > 0 && !c.pending[0].due.After(now) {
			c.enqueue(heap.Pop(&c.pending).(pendingJob).job)
		}
		next := time.Duration(-1)
		if len(c.pending) > 0 {
			next = c.pending[0].due.Sub(now)
		}
		c.mu.Unlock()
		if next >= 0 {
			t.Reset(next)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (c *callbacks) worker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case j := <-c.queue:
			c.post(j)
		}
	}
}

// post renders j and POSTs it; a format that renders nothing has no
// callback for it. Any 2xx answer counts as delivered; anything else,
// including a redirect, as an error. There is no retry.
func (c *callbacks) post(j job) {
	var body []byte
	var h http.Header
	if j.inbound != nil {
		body, h = c.format.renderInbound(*j.inbound)
	} else {
		body, h = c.format.renderStatus(j.status)
	}
	if body == nil {
		return
	}
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil { // the URL was checked at New
		c.stats.callbackErrors.Add(1)
		return
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	if signer, ok := c.format.(callbackSigner); ok && c.secret != "" {
		signer.signCallback(c.secret, body, req.Header)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if c.ctx.Err() == nil { // not an abort by Close
			c.stats.callbackErrors.Add(1)
		}
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, callbackMaxReply))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		c.stats.callbacks.Add(1)
	} else {
		c.stats.callbackErrors.Add(1)
	}
}

// clear forgets the callbacks not yet due (Reset). Callbacks already in
// the queue or in flight still go out.
func (c *callbacks) clear() {
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
}

// close stops the scheduler and the workers, aborts POSTs in flight and
// waits for them: once it returns, no callback goes out.
func (c *callbacks) close() {
	c.mu.Lock()
	c.cancel()
	c.pending = nil
	c.mu.Unlock()
	c.wg.Wait()
	c.client.CloseIdleConnections()
}

// pendingJob is a job waiting for its time.
type pendingJob struct {
	due   time.Time
	order uint64
	job   job
}

// pendingHeap is a min-heap of pendingJob by due time, then order.
type pendingHeap []pendingJob

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].order < h[j].order
	}
	return h[i].due.Before(h[j].due)
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(pendingJob)) }
func (h *pendingHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = pendingJob{}
	*h = old[:n-1]
	return x
}
