package producer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
)

// CampaignFilter narrows ListCampaigns; zero fields match every campaign.
type CampaignFilter struct {
	// State keeps the campaigns in this state (active, paused, cancelled),
	// or "done" for the ones with nothing pending, "running" for the
	// active ones with something pending.
	State string
	// Account keeps the campaigns of this provider account.
	Account string
}

// Match reports whether pr passes f.
func (f CampaignFilter) Match(pr CampaignProgress) bool {
	if f.Account != "" && pr.Account != f.Account {
		return false
	}
	switch f.State {
	case "":
		return true
	case "done":
		return pr.Done()
	case "running":
		return !pr.Done() && pr.State == store.CampaignActive
	}
	return string(pr.State) == f.State
}

// ListCampaigns returns every campaign that passes f, newest first, each
// read from its counters (no record is read).
func (p *Producer) ListCampaigns(ctx context.Context, f CampaignFilter) ([]CampaignProgress, error) {
	ids, err := p.st.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	out := []CampaignProgress{}
	for _, id := range ids {
		pr, err := p.CampaignProgress(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // purged meanwhile
		}
		if err != nil {
			return nil, err
		}
		if f.Match(pr) {
			out = append(out, pr)
		}
	}
	slices.SortStableFunc(out, func(a, b CampaignProgress) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Funnel is how far a campaign's messages got, each step counting the
// messages that reached it or a later one: Accepted ≥ Sent ≥ Delivered ≥
// Read.
type Funnel struct {
	Total     int64 `json:"total"`
	Accepted  int64 `json:"accepted"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
}

// FunnelOf reads the funnel from a campaign's counts.
func FunnelOf(c store.Counts) Funnel {
	f := Funnel{Total: c.Total(), Read: c[message.Read]}
	f.Delivered = f.Read + c[message.Delivered]
	f.Sent = f.Delivered + c[message.Sent]
	f.Accepted = f.Sent + c[message.Accepted]
	return f
}

// CodeInfo is one error code of a campaign with what it means.
type CodeInfo struct {
	store.CodeCount
	// Meaning says what the code means (providers.CodeMeaning), or is
	// empty when it is not known here (Example then has the provider's
	// words).
	Meaning string `json:"meaning,omitempty"`
	// Resend: `retry-failed` would send these messages again (expired, or
	// failed after transient errors only and never ambiguously).
	Resend bool `json:"resend"`
}

// Resendable reports whether RetryFailed sends again a message that ended
// in c's state with c's code (the rule of classify, by counters).
func Resendable(c store.CodeCount) bool {
	switch c.Status {
	case message.Expired:
		return true
	case message.Failed:
		return c.Retryable && c.Code != store.AmbiguousCode
	}
	return false
}

// Waiting says why a campaign's queued messages are not going out, when
// something holds them.
type Waiting struct {
	// Holds are what holds them: a paused campaign or account with the
	// reason, an open breaker until when, quiet hours, a send_at ahead.
	// Messages held so are deferred: they burn no attempt and never fail
	// for it.
	Holds []Hold `json:"holds"`
	// AtRateLimit: nothing holds it, and it drains at (80 % or more of)
	// its account's configured rate: the provider's rate sets the pace.
	AtRateLimit bool `json:"at_rate_limit"`
	// Limit is the account's configured rate (0: unknown or none).
	Limit float64 `json:"limit"`
}

// The kinds of Hold.
const (
	HoldCampaignPaused = "campaign_paused" // resume the campaign
	HoldAccountPaused  = "account_paused"  // resume the account once the cause is fixed
	HoldBreakerOpen    = "breaker_open"    // closes by itself at Until
	HoldQuietHours     = "quiet_hours"     // the recipients' quiet hours
	HoldSendAt         = "send_at"         // nothing goes out before Until
)

// Hold is one thing that holds a campaign's queued messages.
type Hold struct {
	// Kind is one of the Hold* constants.
	Kind string `json:"kind"`
	// Text says it for people (it may hold an operator's or a provider's
	// words: escape it where it is shown).
	Text string `json:"text"`
	// Until is when it ends by itself (breaker_open, send_at).
	Until time.Time `json:"until,omitzero"`
}

// CampaignDetail is everything the console shows of one campaign: its
// progress, its funnel, its error codes, and why it waits. Every part is
// read from counters, so it costs the same for a million recipients as
// for a hundred.
type CampaignDetail struct {
	CampaignProgress
	Spec    Spec       `json:"spec"`
	Funnel  Funnel     `json:"funnel"`
	Codes   []CodeInfo `json:"codes"`
	Waiting Waiting    `json:"waiting"`
	// Resendable is how many messages `retry-failed` would send again.
	Resendable int64 `json:"resendable"`
}

// MarshalJSON writes the progress's fields (eta_seconds and done
// included) and the detail's beside them, one object. Without it the
// embedded CampaignProgress's MarshalJSON, promoted, would write the
// progress alone.
func (d CampaignDetail) MarshalJSON() ([]byte, error) {
	pr, err := json.Marshal(d.CampaignProgress)
	if err != nil {
		return nil, err
	}
	rest, err := json.Marshal(struct {
		Spec       Spec       `json:"spec"`
		Funnel     Funnel     `json:"funnel"`
		Codes      []CodeInfo `json:"codes"`
		Waiting    Waiting    `json:"waiting"`
		Resendable int64      `json:"resendable"`
	}{d.Spec, d.Funnel, d.Codes, d.Waiting, d.Resendable})
	if err != nil {
		return nil, err
	}
	// {progress...} + {rest...} = {progress..., rest...}
	return append(append(pr[:len(pr)-1:len(pr)-1], ','), rest[1:]...), nil
}

// CampaignDetail returns campaign id's detail; limit is its account's
// configured rate (0: unknown). store.ErrNotFound (wrapped) when there is
// no such campaign.
func (p *Producer) CampaignDetail(ctx context.Context, id string, limit float64) (CampaignDetail, error) {
	pr, err := p.CampaignProgress(ctx, id)
	if err != nil {
		return CampaignDetail{}, err
	}
	d := CampaignDetail{CampaignProgress: pr, Funnel: FunnelOf(pr.Counts), Codes: []CodeInfo{}}
	c, err := p.st.Campaign(ctx, id)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(c.Spec, &d.Spec); err != nil {
		return d, fmt.Errorf("campaign %s: stored spec: %w", id, err)
	}
	codes, err := p.st.CampaignCodes(ctx, id)
	if err != nil {
		return d, err
	}
	for _, cc := range codes {
		ci := CodeInfo{CodeCount: cc, Meaning: providers.CodeMeaning(cc.Code), Resend: Resendable(cc)}
		if ci.Resend {
			d.Resendable += cc.Count
		}
		d.Codes = append(d.Codes, ci)
	}
	if d.Waiting, err = p.waiting(ctx, &d.Spec, pr, limit); err != nil {
		return d, err
	}
	return d, nil
}

// CampaignWaiting says why campaign id's queued messages wait, if they do;
// limit is its account's configured rate (0: unknown).
func (p *Producer) CampaignWaiting(ctx context.Context, id string, limit float64) (Waiting, error) {
	pr, err := p.CampaignProgress(ctx, id)
	if err != nil {
		return Waiting{}, err
	}
	c, err := p.st.Campaign(ctx, id)
	if err != nil {
		return Waiting{}, err
	}
	var spec Spec
	if err := json.Unmarshal(c.Spec, &spec); err != nil {
		return Waiting{}, fmt.Errorf("campaign %s: stored spec: %w", id, err)
	}
	return p.waiting(ctx, &spec, pr, limit)
}

func (p *Producer) waiting(ctx context.Context, spec *Spec, pr CampaignProgress, limit float64) (Waiting, error) {
	w := Waiting{Holds: []Hold{}, Limit: limit}
	if pr.Counts[message.Queued] <= 0 {
		return w, nil
	}
	if pr.State == store.CampaignPaused {
		t := "the campaign is paused"
		if pr.StateReason != "" {
			t += " (" + pr.StateReason + ")"
		}
		w.Holds = append(w.Holds, Hold{Kind: HoldCampaignPaused, Text: t})
	}
	acct, err := p.st.Account(ctx, pr.Account)
	if err != nil {
		return w, err
	}
	if acct.Paused {
		t := "account " + pr.Account + " is paused"
		if acct.PauseReason != "" {
			t += " (" + acct.PauseReason + ")"
		}
		w.Holds = append(w.Holds, Hold{Kind: HoldAccountPaused, Text: t})
	}
	if until := acct.OpenUntil; until.After(p.cfg.Now()) {
		w.Holds = append(w.Holds, Hold{Kind: HoldBreakerOpen, Until: until,
			Text: fmt.Sprintf("account %s's circuit breaker is open until %s UTC (%s)", pr.Account, until.UTC().Format(time.TimeOnly), acct.OpenReason)})
	}
	if spec.QuietHours != nil {
		w.Holds = append(w.Holds, Hold{Kind: HoldQuietHours,
			Text: fmt.Sprintf("quiet hours %s–%s at the recipients hold those inside them", spec.QuietHours.Start, spec.QuietHours.End)})
	}
	if !spec.SendAt.IsZero() && spec.SendAt.After(p.cfg.Now()) {
		w.Holds = append(w.Holds, Hold{Kind: HoldSendAt, Until: spec.SendAt,
			Text: "send_at is " + spec.SendAt.UTC().Format(time.RFC3339) + ": nothing goes out before"})
	}
	if len(w.Holds) == 0 && limit > 0 && pr.Rate >= 0.8*limit {
		w.AtRateLimit = true
	}
	return w, nil
}

// CampaignSeries returns campaign id's outcomes per 10-second bucket since
// since (zero: its whole life).
func (p *Producer) CampaignSeries(ctx context.Context, id string, since time.Time) ([]store.SeriesPoint, error) {
	if _, err := p.st.Campaign(ctx, id); err != nil {
		return nil, err
	}
	pts, err := p.st.CampaignSeries(ctx, id, since)
	if pts == nil {
		pts = []store.SeriesPoint{}
	}
	return pts, err
}

// CampaignRejects returns up to limit of the rows campaign id's imports
// rejected (store.MaxKeptRejects are kept; ImportStats counts them all).
func (p *Producer) CampaignRejects(ctx context.Context, id string, limit int) ([]store.Reject, error) {
	if _, err := p.st.Campaign(ctx, id); err != nil {
		return nil, err
	}
	rs, err := p.st.CampaignRejects(ctx, id, limit)
	if rs == nil {
		rs = []store.Reject{}
	}
	return rs, err
}
