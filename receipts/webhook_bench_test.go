package receipts_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// BenchmarkWebhookIngest measures the receiver from a status receipt
// arriving to its 200, with the events task stored: on a real Redis when
// WABULK_TEST_REDIS is set (as `wabulk loadtest --webhooks` does), else on
// miniredis. Sub-benchmarks: Meta's signed receipts and Tujenge's
// secret-header ones, each straight into ServeHTTP (the handler's own
// cost) and over loopback HTTP with keep-alive connections (what a
// provider sees). Besides ns/op it reports callbacks/s and the p99 of the
// acknowledgement latency (p99-ms).
//
//	WABULK_TEST_REDIS=redis://127.0.0.1:6379/0 go test -run '^$' -bench WebhookIngest -benchmem ./receipts
func BenchmarkWebhookIngest(b *testing.B) {
	for _, kind := range []string{"meta", "tujenge"} {
		for _, via := range []string{"handler", "http"} {
			b.Run(kind+"/"+via, func(b *testing.B) { benchmarkWebhookIngest(b, kind, via == "http") })
		}
	}
}

func benchmarkWebhookIngest(b *testing.B, kind string, overHTTP bool) {
	r := storetest.New(b)
	client := asynq.NewClientFromRedisClient(r.Client)
	b.Cleanup(func() { _ = client.Close() })
	queue := receipts.Queue(r.Prefix)
	b.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(r.Client).DeleteQueue(queue, true) })

	var account receipts.Account
	var secret string
	auth := http.Header{}
	switch kind {
	case "meta":
		mt, err := meta.New(meta.Config{Token: "send-token", PhoneNumberID: "123456789012345", AppSecret: appSecret})
		if err != nil {
			b.Fatal(err)
		}
		account, secret = receipts.Account{Parser: mt}, appSecret
	default:
		tj, err := tujenge.New(tujenge.Config{APIKey: "send-key"})
		if err != nil {
			b.Fatal(err)
		}
		account = receipts.Account{Parser: tj, SecretHeader: hookHeader, SecretValue: hookSecret}
		auth.Set(hookHeader, hookSecret)
	}
	w, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: r.Prefix,
		Accounts: map[string]receipts.Account{"acc": account}})
	if err != nil {
		b.Fatal(err)
	}

	// Distinct receipts, rendered and signed beforehand; the pool is
	// reused when b.N is larger (the receiver does not dedupe).
	calls := make([]simulator.Callback, 4096)
	statuses := []string{"sent", "delivered", "read"}
	for i := range calls {
		cb, ok, err := simulator.RenderReceipt(kind, simulator.Receipt{Nonce: "0BE4C400", Seq: uint64(i + 1),
			Recipient: fmt.Sprintf("2557%08d", i), Status: statuses[i%3]}, secret)
		if err != nil || !ok {
			b.Fatalf("render a %s receipt: %v, %v", kind, ok, err)
		}
		for k, v := range auth {
			cb.Header[k] = v
		}
		calls[i] = cb
	}

	post := func(cb simulator.Callback) int { // the handler, in process
		req, err := http.NewRequest(http.MethodPost, "http://wabulk.test/webhooks/acc", bytes.NewReader(cb.Body))
		if err != nil {
			return 0
		}
		req.Header, req.RemoteAddr = cb.Header, "192.0.2.1:443" // the handler only reads the header
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		return rec.Code
	}
	if overHTTP {
		srv := httptest.NewServer(w)
		b.Cleanup(srv.Close)
		tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{}).DialContext, MaxIdleConnsPerHost: 1024}
		b.Cleanup(tr.CloseIdleConnections)
		hc := &http.Client{Transport: tr}
		post = func(cb simulator.Callback) int {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/acc", bytes.NewReader(cb.Body))
			if err != nil {
				return 0
			}
			req.Header = cb.Header
			resp, err := hc.Do(req)
			if err != nil {
				return 0
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return resp.StatusCode
		}
	}

	var (
		next   atomic.Uint64
		failed atomic.Int64
		mu     sync.Mutex
		lat    = make([]time.Duration, 0, b.N)
	)
	b.ReportAllocs()
	b.SetParallelism(8) // 8 callbacks in flight per CPU, as from a provider's many senders
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		for pb.Next() {
			cb := calls[next.Add(1)%uint64(len(calls))]
			t := time.Now()
			code := post(cb)
			mine = append(mine, time.Since(t))
			if code != http.StatusOK {
				failed.Add(1)
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d callbacks not answered 200", n, b.N)
	}
	// Every 200 is stored: the events of the tasks (callbacks arriving
	// together share one) add up to the callbacks.
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	events, tasks := 0, 0
	for page := 1; ; page++ {
		infos, err := insp.ListPendingTasks(queue, asynq.PageSize(1000), asynq.Page(page))
		if err != nil {
			b.Fatal(err)
		}
		for _, ti := range infos {
			batch, err := receipts.DecodeTask(ti.Payload)
			if err != nil {
				b.Fatal(err)
			}
			events += len(batch.Events)
			tasks++
		}
		if len(infos) < 1000 {
			break
		}
	}
	if events != b.N {
		b.Fatalf("%d callbacks answered 200, %d events in %d tasks", b.N, events, tasks)
	}
	b.ReportMetric(float64(b.N)/float64(tasks), "callbacks/task")
	slices.Sort(lat)
	p99 := lat[min(len(lat)-1, max(0, (len(lat)*99+99)/100-1))]
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "callbacks/s")
}
