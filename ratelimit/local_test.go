package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wabulk/wabulk/ratelimit"
)

// The pair map forgets recipients whose interval has passed: a campaign of
// many recipients holds about Rate*PairEvery of them, not all.
func TestLocalPairMapStaysBounded(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.NewLocal(map[string]ratelimit.Limits{acct: {Rate: -1}}, c.Now) // pair every 6 s
	peak := 0
	for i := range 100_000 {
		c.Advance(time.Millisecond) // 1000/s: 6000 recipients inside any 6 s
		if r := reserve(t, l, ratelimit.Request{Account: acct, Recipient: fmt.Sprint(i)}, 0); !r.OK || r.Wait != 0 {
			t.Fatalf("recipient %d: %+v", i, r)
		}
		peak = max(peak, ratelimit.PairEntries(l, acct))
	}
	if peak > 2*6000+1024 {
		t.Errorf("the pair map peaked at %d entries for 6000 live ones", peak)
	}
}
