package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// BenchmarkTransition measures one message's send path in the store: its
// claim (queued → sending) and its outcome, one round trip each, on the
// Redis of WABULK_TEST_REDIS. "accepted" is the common case; "failed"
// also counts an error code and its example (stats.go).
func BenchmarkTransition(b *testing.B) {
	if !storetest.Real() {
		b.Skip("needs a real Redis: set " + storetest.EnvVar)
	}
	for _, to := range []message.Status{message.Accepted, message.Failed} {
		b.Run(string(to), func(b *testing.B) {
			ctx := context.Background()
			r := storetest.New(b)
			st := store.New(r.Client, store.Config{Prefix: r.Prefix})
			id := "bench"
			if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: id, Account: "a", Spec: []byte("{}"), ExpectedRecipients: int64(b.N)}); err != nil {
				b.Fatal(err)
			}
			refs := make([]store.Ref, b.N)
			for start := 0; start < b.N; start += 1000 {
				var recs []store.NewRecord
				for i := start; i < min(start+1000, b.N); i++ {
					phone := fmt.Sprintf("+2557%08d", i)
					refs[i] = store.Ref{ID: message.CampaignMessageID(id, phone), CampaignID: id, Account: "a"}
					recs = append(recs, store.NewRecord{ID: refs[i].ID, CampaignID: id, Account: "a", To: phone})
				}
				if _, err := st.Create(ctx, recs); err != nil {
					b.Fatal(err)
				}
			}
			u := store.Update{}
			if to == message.Failed {
				u = store.Update{ErrorCode: "131026", Error: "message undeliverable", Retryable: false}
			}
			// Redis's own time per script call, apart from the round
			// trip (when the server lets its stats be reset).
			reset := r.Client.ConfigResetStat(ctx).Err() == nil
			b.ResetTimer()
			for i := range b.N {
				if _, err := st.Transition(ctx, refs[i], message.Sending, store.Update{From: message.Queued, IncAttempts: true}); err != nil {
					b.Fatal(err)
				}
				if _, err := st.Transition(ctx, refs[i], to, u); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if info, err := r.Client.Info(ctx, "commandstats").Result(); reset && err == nil {
				for _, line := range strings.Split(info, "\r\n") {
					if v, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
						for _, kv := range strings.Split(v, ",") {
							if x, ok := strings.CutPrefix(kv, "usec_per_call="); ok {
								if f, err := strconv.ParseFloat(x, 64); err == nil {
									b.ReportMetric(f, "redis-µs/call")
								}
							}
						}
					}
				}
			}
			if _, err := st.PurgeCampaign(ctx, id, true); err != nil {
				b.Fatal(err)
			}
		})
	}
}
