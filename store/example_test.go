package store_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// A message record's life: created queued (once, however often it is
// imported), claimed for sending, accepted by the provider, and moved on by
// its receipts, which never move it backwards. The campaign's counters
// follow every move. Here on an in-process miniredis; in production rdb is
// a go-redis client on the Redis the workers share.
func ExampleNew() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	st := store.New(rdb, store.Config{Prefix: "example:", Now: func() time.Time { return at }})

	to := "+255712345678"
	id := message.CampaignMessageID("spring-sale", to)
	rec := store.NewRecord{ID: id, CampaignID: "spring-sale", Account: "tujenge-main", To: to}
	for range 2 { // the second import of the same row creates nothing
		res, err := st.Create(ctx, []store.NewRecord{rec})
		if err != nil {
			log.Fatal(err)
		}
		if res[0].Created {
			fmt.Println("created")
		} else {
			fmt.Println("already there:", res[0].Status)
		}
	}

	ref := store.Ref{ID: id, CampaignID: "spring-sale", Account: "tujenge-main"}
	// The claim: queued → sending only if still queued, counting an attempt.
	if _, err := st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true}); err != nil {
		log.Fatal(err)
	}
	if _, err := st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: "wamid.HBgM"}); err != nil {
		log.Fatal(err)
	}
	if _, err := st.Transition(ctx, ref, message.Read, store.Update{}); err != nil {
		log.Fatal(err)
	}
	// A late "delivered" receipt after "read" is refused.
	_, err = st.Transition(ctx, ref, message.Delivered, store.Update{})
	fmt.Println("late receipt refused:", store.IsTransitionError(err))

	r, err := st.Get(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, r.Attempts, r.ProviderMessageID, r.UpdatedAt.Format(time.RFC3339))
	counts, err := st.CampaignCounts(ctx, "spring-sale")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(counts[message.Read], counts.Total())
	// Output:
	// created
	// already there: queued
	// late receipt refused: true
	// read 1 wamid.HBgM 2026-11-23T09:00:00Z
	// 1 1
}
