package producer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
)

// Estimate is admission control's answer for one campaign: when its
// messages will have been sent at its provider account's rate, behind the
// work already queued for that account, against the campaign's TTL.
type Estimate struct {
	Campaign string  `json:"campaign"`
	Account  string  `json:"account"`
	Rate     float64 `json:"rate"` // the account's messages per second; 0 or less: no limit, no estimate
	// Ahead is how many messages of the account's other campaigns are
	// queued or sending: all of them count as ahead of this one, whatever
	// their lane or send_at, so the estimate errs on the late side.
	Ahead int64 `json:"ahead"`
	// Rows is how many messages this campaign adds.
	Rows int64 `json:"rows"`
	// Drain is how long from now until its last message is sent; Deadline
	// how long from now until the TTL of its messages passes (TTL after
	// send_at, or after now).
	Drain    time.Duration `json:"-"`
	Deadline time.Duration `json:"-"`
	TTL      time.Duration `json:"-"`
	// Over is how far Drain runs past Deadline; 0 when it fits.
	Over time.Duration `json:"-"`
	// Late is about how many of its messages would still be queued when
	// their TTL passes, and end expired.
	Late int64 `json:"late"`
	// SendAt is the campaign's send_at, when it is still ahead.
	SendAt time.Time `json:"send_at,omitzero"`
}

// Unlimited reports whether the account has no rate limit, so that there
// is nothing to estimate.
func (e Estimate) Unlimited() bool { return e.Rate <= 0 }

// Fits reports whether the campaign drains within its TTL.
func (e Estimate) Fits() bool { return e.Over <= 0 }

// MarshalJSON writes the durations in seconds (drain_seconds,
// deadline_seconds, ttl_seconds, over_seconds) and the verdict (fits,
// message).
func (e Estimate) MarshalJSON() ([]byte, error) {
	type plain Estimate
	return json.Marshal(struct {
		plain
		DrainSeconds    float64 `json:"drain_seconds"`
		DeadlineSeconds float64 `json:"deadline_seconds"`
		TTLSeconds      float64 `json:"ttl_seconds"`
		OverSeconds     float64 `json:"over_seconds"`
		Fits            bool    `json:"fits"`
		Message         string  `json:"message"`
	}{plain(e), math.Round(e.Drain.Seconds()), math.Round(e.Deadline.Seconds()), e.TTL.Seconds(),
		math.Round(e.Over.Seconds()), e.Fits(), e.String()})
}

// String says it for people, e.g. "at 80/s, the 1,200,000 messages
// already queued for account tj plus these 500,000 drain in 5h54m, 1h54m
// past the 4h TTL: about 547,200 of them would still be queued then and
// end expired".
func (e Estimate) String() string {
	if e.Unlimited() {
		return fmt.Sprintf("account %s has no rate limit: no drain estimate", e.Account)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "at %s/s, ", strconv.FormatFloat(e.Rate, 'f', -1, 64))
	if e.Ahead > 0 {
		fmt.Fprintf(&b, "the %s messages already queued for account %s plus these %s", thousands(e.Ahead), e.Account, thousands(e.Rows))
	} else {
		fmt.Fprintf(&b, "these %s messages of account %s", thousands(e.Rows), e.Account)
	}
	fmt.Fprintf(&b, " drain in %s", roughDuration(e.Drain))
	if !e.SendAt.IsZero() {
		fmt.Fprintf(&b, " (sending starts at send_at %s)", e.SendAt.Format(time.RFC3339))
	}
	if e.Fits() {
		fmt.Fprintf(&b, ", within the %s TTL", roughDuration(e.TTL))
		return b.String()
	}
	fmt.Fprintf(&b, ", %s past the %s TTL: about %s of them would still be queued then and end expired",
		roughDuration(e.Over), roughDuration(e.TTL), thousands(e.Late))
	return b.String()
}

// Admission estimates when a campaign of rows messages under spec drains
// at rate messages per second (its account's limit; 0 or less is no
// limit), behind the messages already pending for spec's account in other
// campaigns (store.AccountPending), and whether that is within the TTL of
// its messages. The campaign's own pending messages are not counted as
// ahead of it: a re-import counts its rows once. Import does not call it;
// `wabulk import` and the HTTP API do, before importing.
func (p *Producer) Admission(ctx context.Context, spec *Spec, rows int64, rate float64) (Estimate, error) {
	s := spec.normalized()
	e := Estimate{Campaign: s.ID, Account: s.Account, Rate: rate, Rows: max(rows, 0), TTL: time.Duration(s.TTL)}
	if e.Unlimited() {
		e.Rate = 0
		return e, nil
	}
	ahead, err := p.st.AccountPending(ctx, s.Account, s.ID)
	if err != nil {
		return e, err
	}
	e.Ahead = ahead
	now := p.cfg.Now()
	if s.SendAt.After(now) {
		e.SendAt = s.SendAt
	}
	e.estimate(now)
	return e, nil
}

// PendingAdmission is Admission for what of campaign spec.ID is still to
// send, its messages queued or sending: the estimate after an import, when
// the recipients could not be counted before it.
func (p *Producer) PendingAdmission(ctx context.Context, spec *Spec, rate float64) (Estimate, error) {
	counts, err := p.st.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return Estimate{}, err
	}
	return p.Admission(ctx, spec, counts[message.Queued]+counts[message.Sending], rate)
}

// estimate fills Drain, Deadline, Over and Late from the counts: the
// messages ahead go first, from now; this campaign's start once they are
// through and its send time has come.
func (e *Estimate) estimate(now time.Time) {
	at := func(n int64) time.Duration { return time.Duration(float64(n) / e.Rate * float64(time.Second)) }
	start := time.Duration(0)
	if !e.SendAt.IsZero() {
		start = e.SendAt.Sub(now)
	}
	e.Deadline = start + e.TTL
	e.Drain = max(at(e.Ahead), start) + at(e.Rows)
	e.Over = max(e.Drain-e.Deadline, 0)
	if e.Over > 0 {
		e.Late = min(e.Rows, int64(math.Ceil(e.Over.Seconds()*e.Rate)))
	}
}

// thousands writes n with commas: 1,200,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// roughDuration writes d to the minute from an hour up (5h54m), to the
// second below (3m20s), without trailing zero units.
func roughDuration(d time.Duration) string {
	if d >= time.Hour {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	return Duration(d).String()
}
