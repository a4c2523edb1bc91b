package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/ratelimit"
)

// A worker reserves before each send: it sleeps a wait within its bound and
// defers the job otherwise.
func ExampleShared() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	mr.SetTime(time.Unix(1_800_000_000, 0)) // Redis TIME, which the limiter reads, stands still here
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	lim := ratelimit.NewShared(rdb, "wabulk:", map[string]ratelimit.Limits{
		"tujenge-main": {Rate: 10, Burst: 2, DailyBudget: 250},
	})
	ctx := context.Background()
	for _, to := range []string{"+255700000001", "+255700000002", "+255700000003", "+255700000001"} {
		r, err := lim.Reserve(ctx, ratelimit.Request{Account: "tujenge-main", Recipient: to, Template: true}, time.Second)
		if err != nil {
			panic(err)
		}
		if !r.OK {
			fmt.Printf("%s: defer %v (%s)\n", to, r.Wait, r.Reason)
			continue
		}
		fmt.Printf("%s: send in %v (%s)\n", to, r.Wait, r.Reason)
	}
	// A 429 from the provider starts measuring, on every pod, what the
	// provider accepts; after Limits.Measure the rate becomes that.
	_ = lim.Throttled(ctx, "tujenge-main")
	lr, _ := lim.Learned(ctx, "tujenge-main")
	fmt.Printf("rate %v/s, measuring %v\n", lr.Rate, lr.Measuring)
	// Output:
	// +255700000001: send in 0s ()
	// +255700000002: send in 0s ()
	// +255700000003: send in 100ms (rate)
	// +255700000001: defer 6s (pair)
	// rate 10/s, measuring true
}

func ExampleLocal() {
	now := time.Unix(1_800_000_000, 0)
	lim := ratelimit.NewLocal(map[string]ratelimit.Limits{"acct": {Rate: 80}}, func() time.Time { return now })
	var waits []time.Duration
	for range 10 {
		r, _ := lim.Reserve(context.Background(), ratelimit.Request{Account: "acct"}, time.Second)
		waits = append(waits, r.Wait)
	}
	fmt.Println(waits)
	// Output:
	// [0s 0s 0s 0s 0s 0s 0s 0s 12.5ms 25ms]
}
