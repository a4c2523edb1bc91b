package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// Campaign is a campaign's stored description. Spec is the producer's
// encoding of what was imported; the store keeps it opaque.
type Campaign struct {
	ID        string
	Account   string
	Spec      []byte
	CreatedAt time.Time
	// ErrorBudget, when set, is kept in the campaign record where workers
	// read it cheaply (CampaignBudget).
	ErrorBudget *ErrorBudget
	// ExpectedRecipients, when known (e.g. estimated from the input's
	// size), sizes the campaign's record buckets (BucketsFor); 0 takes
	// DefaultBuckets. An estimate off by a factor of ten costs only a few
	// bytes per recipient.
	ExpectedRecipients int64
}

// ImportStats are the counts one import run adds to its campaign.
type ImportStats struct {
	Accepted       int64 `json:"accepted"`
	Duplicate      int64 `json:"duplicate"`
	Rejected       int64 `json:"rejected"`
	AlreadyPresent int64 `json:"already_present"`
	OptedOut       int64 `json:"opted_out"`
}

// saveCampaignScript creates a campaign record only if absent, in one step:
// a crash can never leave a campaign without its spec. A campaign created
// here keeps stats (stats.go). The record expires
// after the campaign retention (ARGV[7] ms, "0": never) unless messages
// are added (Create keeps it while any is pending).
var saveCampaignScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'spec') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'account', ARGV[2], 'spec', ARGV[3], 'created', ARGV[4], '` + statsField + `', '1')
-- Records created before the campaign (tests do) fixed the count already.
redis.call('HSETNX', KEYS[1], 'buckets', ARGV[8])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'budget_ratio', ARGV[5], 'budget_min', ARGV[6]) end
if ARGV[7] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
return 1
`)

// SaveCampaign stores c if no campaign with its ID exists and reports
// whether it did; an existing campaign is returned as it is. The campaign
// list (Campaigns) gets its ID first: an ID listed without a record is
// skipped and dropped from the list when read.
func (s *Store) SaveCampaign(ctx context.Context, c Campaign) (existing *Campaign, created bool, err error) {
	ratio, minOut := "", ""
	if b := c.ErrorBudget; b != nil {
		ratio, minOut = strconv.FormatFloat(b.MaxFailureRatio, 'g', -1, 64), strconv.FormatInt(b.MinOutcomes, 10)
	}
	now := ms(s.now())
	if err := s.rdb.ZAddNX(ctx, s.campaignsKey(), redis.Z{Score: float64(now), Member: c.ID}).Err(); err != nil {
		return nil, false, fmt.Errorf("list campaign %s: %w", c.ID, err)
	}
	buckets := BucketsFor(c.ExpectedRecipients)
	n, err := saveCampaignScript.Run(ctx, s.rdb, []string{s.campaignKey(c.ID)},
		c.ID, c.Account, c.Spec, now, ratio, minOut, s.campaignKeep.Milliseconds(), shape(buckets, s.partsFor(buckets))).Int()
	if err != nil {
		return nil, false, fmt.Errorf("save campaign %s: %w", c.ID, err)
	}
	// The shape stored wins (records made before their campaign fixed it).
	m, err := s.readMeta(ctx, c.ID)
	if err != nil {
		return nil, false, err
	}
	if err := s.syncParts(ctx, c.ID, m, n == 1); err != nil {
		return nil, false, err
	}
	if n == 0 {
		cur, err := s.Campaign(ctx, c.ID)
		return cur, false, err
	}
	return nil, true, nil
}

// syncParts gives each part of campaign id (when it has several) the copy
// of its campaign's shape, account, state and stats switch that the
// part's scripts read; expire starts the parts' expiry with the campaign's (a campaign
// just created: its first record stops it). Safe to repeat: a crash
// between the campaign's save and this is mended by saving it again.
func (s *Store) syncParts(ctx context.Context, id string, m campaignMeta, expire bool) error {
	if m.parts <= 1 {
		return nil
	}
	v, err := s.rdb.HMGet(ctx, s.campaignKey(id), "state", statsField).Result()
	if err != nil {
		return fmt.Errorf("read campaign %s state: %w", id, err)
	}
	st, _ := v[0].(string)
	stats, _ := v[1].(string)
	pipe := s.rdb.Pipeline()
	for _, sc := range partScopes(id, m.parts) {
		key := s.campaignKeyIn(sc)
		pipe.HSetNX(ctx, key, "buckets", shape(m.buckets, m.parts))
		pipe.HSetNX(ctx, key, "account", m.account)
		if stats != "" {
			pipe.HSetNX(ctx, key, statsField, stats)
		}
		if st != "" {
			pipe.HSet(ctx, key, "state", st)
		}
		if expire && s.campaignKeep > 0 {
			pipe.PExpire(ctx, key, s.campaignKeep)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("write the parts of campaign %s: %w", id, err)
	}
	return nil
}

// copyState copies campaign id's state to its parts (when it has
// several), where claims read it.
func (s *Store) copyState(ctx context.Context, id string) error {
	m, err := s.readMeta(ctx, id)
	if err != nil {
		return err
	}
	return s.syncParts(ctx, id, m, false)
}

// Campaign returns the campaign id, or ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (*Campaign, error) {
	h, err := s.rdb.HGetAll(ctx, s.campaignKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read campaign %s: %w", id, err)
	}
	if _, ok := h["spec"]; !ok {
		// Nothing, or only what records made before their campaign left
		// (its bucket count and account).
		return nil, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	return &Campaign{ID: id, Account: h["account"], Spec: []byte(h["spec"]), CreatedAt: fromMS(created),
		ErrorBudget: parseBudget(h["budget_ratio"], h["budget_min"])}, nil
}

// Campaigns lists campaign ids, oldest first. Campaigns whose record
// expired (CampaignRetention) or was purged are left out, and dropped from
// the list.
func (s *Store) Campaigns(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.campaignsKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	out := ids[:0]
	var gone []any
	for start := 0; start < len(ids); start += 500 {
		page := ids[start:min(start+500, len(ids))]
		pipe := s.rdb.Pipeline()
		ex := make([]*redis.IntCmd, len(page))
		for i, id := range page {
			ex[i] = pipe.Exists(ctx, s.campaignKey(id))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list campaigns: %w", err)
		}
		for i, id := range page {
			if ex[i].Val() == 1 {
				out = append(out, id)
			} else {
				gone = append(gone, id)
			}
		}
	}
	if len(gone) > 0 {
		// A campaign being created lists its ID before its record: only
		// IDs listed a while ago are dropped.
		cutoff := float64(ms(s.now().Add(-time.Hour)))
		for _, id := range gone {
			score, err := s.rdb.ZScore(ctx, s.campaignsKey(), id.(string)).Result()
			if err == nil && score < cutoff {
				s.rdb.ZRem(ctx, s.campaignsKey(), id)
			}
		}
	}
	return out, nil
}

// AddImportStats adds one import run's counts to campaign id.
func (s *Store) AddImportStats(ctx context.Context, id string, st ImportStats) error {
	key := s.campaignKey(id)
	pipe := s.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, "import_accepted", st.Accepted)
	pipe.HIncrBy(ctx, key, "import_duplicate", st.Duplicate)
	pipe.HIncrBy(ctx, key, "import_rejected", st.Rejected)
	pipe.HIncrBy(ctx, key, "import_already_present", st.AlreadyPresent)
	pipe.HIncrBy(ctx, key, "import_opted_out", st.OptedOut)
	pipe.HIncrBy(ctx, key, "import_runs", 1)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record import stats of %s: %w", id, err)
	}
	return nil
}

// CampaignImportStats returns the import counts summed over all runs.
func (s *Store) CampaignImportStats(ctx context.Context, id string) (ImportStats, int64, error) {
	v, err := s.rdb.HMGet(ctx, s.campaignKey(id), "import_accepted", "import_duplicate", "import_rejected", "import_already_present", "import_runs", "import_opted_out").Result()
	if err != nil {
		return ImportStats{}, 0, fmt.Errorf("read import stats of %s: %w", id, err)
	}
	n := func(i int) int64 {
		s, _ := v[i].(string)
		x, _ := strconv.ParseInt(s, 10, 64)
		return x
	}
	return ImportStats{Accepted: n(0), Duplicate: n(1), Rejected: n(2), AlreadyPresent: n(3), OptedOut: n(5)}, n(4), nil
}

// Counts is the number of a campaign's messages in each state.
type Counts map[message.Status]int64

// Total is the number of messages counted.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Outcomes is the number of messages that have an outcome.
func (c Counts) Outcomes() int64 {
	var n int64
	for s, v := range c {
		if s.Outcome() {
			n += v
		}
	}
	return n
}

// CampaignCounts returns the per-state counts of campaign id ("" for
// messages outside campaigns).
func (s *Store) CampaignCounts(ctx context.Context, id string) (Counts, error) {
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(scs))
	for i, sc := range scs {
		cmds[i] = pipe.HGetAll(ctx, s.countsKeyIn(sc))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read counts of %s: %w", nonEmpty(id, "messages outside campaigns"), err)
	}
	out := Counts{}
	for _, c := range cmds {
		for k, v := range c.Val() {
			if k == fallbackField {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			out[message.Status(k)] += n
		}
	}
	for k, n := range out {
		if n == 0 {
			delete(out, k)
		}
	}
	return out, nil
}

// EachMember calls fn with the records of campaign id in import order, in
// pages of batch (default 500), and stops at fn's first error. A campaign
// in several parts keeps a member list per part, each entry numbered in
// import order: the lists are merged on those numbers.
func (s *Store) EachMember(ctx context.Context, id string, batch int, fn func([]*Record) error) error {
	if batch <= 0 {
		batch = 500
	}
	// The shape is read afresh: a walk of every member (a report, a
	// cancel) must not miss the parts.
	if _, err := s.readMeta(ctx, id); err != nil {
		return err
	}
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return err
	}
	type cursor struct {
		key  string
		next int64
		buf  []member
		done bool
	}
	curs := make([]*cursor, len(scs))
	for i, sc := range scs {
		curs[i] = &cursor{key: s.membersKeyIn(sc)}
	}
	refill := func() error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringSliceCmd, len(curs))
		any := false
		for i, c := range curs {
			if len(c.buf) == 0 && !c.done {
				cmds[i] = pipe.LRange(ctx, c.key, c.next, c.next+int64(batch)-1)
				any = true
			}
		}
		if !any {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return fmt.Errorf("list members of %s: %w", id, err)
		}
		for i, cmd := range cmds {
			if cmd == nil {
				continue
			}
			c := curs[i]
			entries := cmd.Val()
			c.next += int64(len(entries))
			c.done = len(entries) < batch
			for _, e := range entries {
				c.buf = append(c.buf, parseMember(e))
			}
		}
		return nil
	}
	for {
		ids := make([]string, 0, batch)
		for len(ids) < batch {
			if err := refill(); err != nil {
				return err
			}
			best := -1
			for i, c := range curs {
				if len(c.buf) > 0 && (best < 0 || c.buf[0].seq < curs[best].buf[0].seq) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			ids = append(ids, message.CampaignMessageID(id, curs[best].buf[0].to))
			curs[best].buf = curs[best].buf[1:]
		}
		if len(ids) == 0 {
			return nil
		}
		recs, err := s.GetMany(ctx, ids)
		if err != nil {
			return err
		}
		kept := recs[:0]
		for _, r := range recs {
			if r != nil {
				kept = append(kept, r)
			}
		}
		if err := fn(kept); err != nil {
			return err
		}
	}
}

// member is one entry of a member list: the recipient, and in a campaign
// of several parts its number in import order (base 36 before the '+').
type member struct {
	seq int64
	to  string
}

func memberEntry(seq int64, to string) string {
	if seq <= 0 {
		return to
	}
	return strconv.FormatInt(seq, 36) + to
}

func parseMember(e string) member {
	i := strings.IndexByte(e, '+')
	if i <= 0 {
		return member{to: e}
	}
	n, _ := strconv.ParseInt(e[:i], 36, 64)
	return member{seq: n, to: e[i:]}
}

// fallbackField is the campaign counts hash field counting messages sent as
// their fallback template; it is not a state, so Counts leaves it out.
const fallbackField = "+fallback"

// CampaignFallbacks is how many of campaign id's messages went out as the
// campaign's fallback template because the contact's window was closed.
func (s *Store) CampaignFallbacks(ctx context.Context, id string) (int64, error) {
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return 0, err
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(scs))
	for i, sc := range scs {
		cmds[i] = pipe.HGet(ctx, s.countsKeyIn(sc), fallbackField)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("read fallback count of %s: %w", id, err)
	}
	var total int64
	for _, c := range cmds {
		n, _ := c.Int64()
		total += n
	}
	return total, nil
}

func (s *Store) rateKey(sc scope, now time.Time) string {
	return s.prefix + "campaign:" + string(sc) + ":rate:" + strconv.FormatInt(now.UnixMilli()/rateBucket.Milliseconds(), 10)
}

// The rate series: every outcome reached from a pending state is counted
// in its campaign's bucket of rateBucket (one small hash per bucket: the
// count and the time of its first outcome, kept rateKeep), so the rate of
// the last minute is one pipelined read.
const (
	rateBucket = 10 * time.Second
	rateKeep   = 3 * time.Minute
)

// CampaignRate is how many of campaign id's messages got an outcome per
// second (sends, failures, expiries; not receipts) over the last window
// (10 s to 2m50s), counted from the first outcome within it, so a campaign
// that started 20 s ago is not averaged over a whole minute. 0 when none.
func (s *Store) CampaignRate(ctx context.Context, id string, window time.Duration) (float64, error) {
	window = min(max(window, rateBucket), rateKeep-rateBucket)
	now := s.now()
	cur := now.UnixMilli() / rateBucket.Milliseconds()
	n := int64(window / rateBucket)
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return 0, err
	}
	pipe := s.rdb.Pipeline()
	cmds := make([][]*redis.SliceCmd, len(scs))
	for j, sc := range scs {
		for b := cur - n; b <= cur; b++ {
			cmds[j] = append(cmds[j], pipe.HMGet(ctx, s.rateKey(sc, time.UnixMilli(b*rateBucket.Milliseconds())), "n", "at"))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("read rate of %s: %w", id, err)
	}
	var sum, first int64
	for _, series := range cmds {
		for i, c := range series {
			v := c.Val()
			str := func(i int) string { s, _ := v[i].(string); return s }
			k, _ := strconv.ParseInt(str(0), 10, 64)
			if k > 0 {
				at, _ := strconv.ParseInt(str(1), 10, 64)
				if at == 0 {
					at = (cur - n + int64(i)) * rateBucket.Milliseconds()
				}
				if first == 0 || at < first {
					first = at
				}
			}
			sum += k
		}
	}
	if sum == 0 {
		return 0, nil
	}
	span := max(now.Sub(time.UnixMilli(first)), time.Second)
	return float64(sum) / span.Seconds(), nil
}

// AccountPending is how many messages of account's campaigns are pending
// (queued or sending), leaving out campaign except (may be ""): the work
// ahead of a new campaign on that account. Two pipelined round trips per
// 500 campaigns.
func (s *Store) AccountPending(ctx context.Context, account, except string) (int64, error) {
	ids, err := s.Campaigns(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for start := 0; start < len(ids); start += 500 {
		page := ids[start:min(start+500, len(ids))]
		pipe := s.rdb.Pipeline()
		heads := make([]*redis.SliceCmd, len(page))
		for i, id := range page {
			heads[i] = pipe.HMGet(ctx, s.campaignKey(id), "account", "buckets")
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return 0, fmt.Errorf("read pending messages of account %s: %w", account, err)
		}
		pipe = s.rdb.Pipeline()
		var counts []*redis.SliceCmd
		for i, id := range page {
			v := heads[i].Val()
			acct, _ := v[0].(string)
			if id == except || acct != account {
				continue
			}
			parts := 1
			if sh, _ := v[1].(string); sh != "" {
				if _, p, ok := parseShape(sh); ok {
					parts = p
				}
			}
			for _, sc := range partScopes(id, parts) {
				counts = append(counts, pipe.HMGet(ctx, s.countsKeyIn(sc), string(message.Queued), string(message.Sending)))
			}
		}
		if len(counts) == 0 {
			continue
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return 0, fmt.Errorf("read pending messages of account %s: %w", account, err)
		}
		for _, c := range counts {
			for _, x := range c.Val() {
				str, _ := x.(string)
				n, _ := strconv.ParseInt(str, 10, 64)
				total += max(n, 0)
			}
		}
	}
	return total, nil
}

// ErrorBudget pauses a campaign when too many of its messages fail: once
// at least MinOutcomes of them have an outcome and more than
// MaxFailureRatio of those ended failed. Workers check it after each
// failed send (package worker); resuming the campaign starts counting
// afresh from the outcomes it had when the budget paused it.
type ErrorBudget struct {
	MaxFailureRatio float64
	MinOutcomes     int64
}

func parseBudget(ratio, minOut string) *ErrorBudget {
	r, err := strconv.ParseFloat(ratio, 64)
	if err != nil || r <= 0 {
		return nil
	}
	n, _ := strconv.ParseInt(minOut, 10, 64)
	return &ErrorBudget{MaxFailureRatio: r, MinOutcomes: n}
}

// BudgetStatus is where a campaign stands against its error budget.
type BudgetStatus struct {
	Budget *ErrorBudget // nil: the campaign has none
	State  CampaignState
	// Failed and Outcomes are the campaign's counts now.
	Failed, Outcomes int64
	// BaseFailed and BaseOutcomes are the counts the budget last paused
	// the campaign at (0 if it never did).
	BaseFailed, BaseOutcomes int64
}

// Since returns the failures and outcomes the budget judges: those since
// it last paused the campaign (all of them if it never did).
func (b BudgetStatus) Since() (failed, outcomes int64) {
	return max(b.Failed-b.BaseFailed, 0), max(b.Outcomes-b.BaseOutcomes, 0)
}

// CampaignBudget reads campaign id's error budget, state and counts in one
// round trip. A campaign without a record has no budget.
func (s *Store) CampaignBudget(ctx context.Context, id string) (BudgetStatus, error) {
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return BudgetStatus{}, err
	}
	pipe := s.rdb.Pipeline()
	h := pipe.HMGet(ctx, s.campaignKey(id), "budget_ratio", "budget_min", "state", "budget_base_failed", "budget_base_outcomes")
	cs := make([]*redis.MapStringStringCmd, len(scs))
	for i, sc := range scs {
		cs[i] = pipe.HGetAll(ctx, s.countsKeyIn(sc))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return BudgetStatus{}, fmt.Errorf("read error budget of %s: %w", id, err)
	}
	v := h.Val()
	str := func(i int) string { s, _ := v[i].(string); return s }
	num := func(i int) int64 { n, _ := strconv.ParseInt(str(i), 10, 64); return n }
	bs := BudgetStatus{Budget: parseBudget(str(0), str(1)), State: CampaignState(str(2)), BaseFailed: num(3), BaseOutcomes: num(4)}
	if bs.State == "" {
		bs.State = CampaignActive
	}
	for _, c := range cs {
		for k, x := range c.Val() {
			n, _ := strconv.ParseInt(x, 10, 64)
			st := message.Status(k)
			if st == message.Failed {
				bs.Failed += n
			}
			if st.Outcome() {
				bs.Outcomes += n
			}
		}
	}
	return bs, nil
}

// pauseForBudgetScript pauses campaign KEYS[1] only if it is active, and
// keeps the counts it was paused at as the budget's new baseline.
var pauseForBudgetScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'state')
if cur and cur ~= '' and cur ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'paused', 'state_reason', ARGV[1], 'state_at', ARGV[2],
  'budget_base_failed', ARGV[3], 'budget_base_outcomes', ARGV[4])
return 1
`)

// PauseForBudget pauses campaign id, saying why, if it is active, and
// reports whether this call paused it (of several workers crossing the
// budget at once, exactly one does). failed and outcomes are the
// campaign's total counts now: after a resume the budget counts from them.
func (s *Store) PauseForBudget(ctx context.Context, id, reason string, failed, outcomes int64) (bool, error) {
	n, err := pauseForBudgetScript.Run(ctx, s.rdb, []string{s.campaignKey(id)}, reason, ms(s.now()), failed, outcomes).Int()
	if err != nil {
		return false, fmt.Errorf("pause campaign %s for its error budget: %w", id, err)
	}
	// The parts' claims read their copy of the state.
	if err := s.copyState(ctx, id); err != nil {
		return false, err
	}
	return n == 1, nil
}

// ErrCampaignPending is returned by PurgeCampaign for a campaign with
// messages still queued or sending.
var ErrCampaignPending = errors.New("the campaign still has messages queued or sending")

// PurgeCampaign deletes campaign id now rather than at the end of its
// retention: its messages' records and provider-id entries, its member
// list, counters, stats, kept rejects and summary. It refuses while
// messages are pending (ErrCampaignPending) unless force is set; the
// tasks of those find no record and are archived by the workers. It
// returns how many message records it deleted.
func (s *Store) PurgeCampaign(ctx context.Context, id string, force bool) (int64, error) {
	if err := checkRef(id+":+0", id); err != nil || id == "" {
		return 0, fmt.Errorf("purge campaign %q: not a campaign ID", id)
	}
	exists, err := s.rdb.Exists(ctx, s.campaignKey(id), s.countsKeyIn(campaignScope(id))).Result()
	if err != nil {
		return 0, fmt.Errorf("purge campaign %s: %w", id, err)
	}
	if exists == 0 {
		return 0, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	counts, err := s.CampaignCounts(ctx, id)
	if err != nil {
		return 0, err
	}
	if n := counts[message.Queued] + counts[message.Sending]; n > 0 && !force {
		return 0, fmt.Errorf("campaign %s: %d messages: %w", id, n, ErrCampaignPending)
	}
	m, err := s.readMeta(ctx, id)
	if err != nil {
		return 0, err
	}
	var deleted int64
	err = s.EachMember(ctx, id, 500, func(recs []*Record) error {
		pipe := s.rdb.Pipeline()
		for _, r := range recs {
			if r.ProviderMessageID == "" || r.Account == "" {
				continue
			}
			// Indexed on a day between its creation and its last change.
			first, last := s.pidDay(r.CreatedAt), s.pidDay(r.UpdatedAt)
			for d := max(first, last-40); d <= last; d++ {
				pipe.HDel(ctx, s.pidKey(r.Account, d, r.ProviderMessageID), r.ProviderMessageID)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("purge provider ids of %s: %w", id, err)
		}
		deleted += int64(len(recs))
		return nil
	})
	if err != nil {
		return deleted, err
	}
	for start := 0; start < m.buckets; start += 1000 {
		pipe := s.rdb.Pipeline()
		for b := start; b < min(start+1000, m.buckets); b++ {
			pipe.Del(ctx, s.bucketKey(id, m, b))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return deleted, fmt.Errorf("purge messages of %s: %w", id, err)
		}
	}
	s.forgetMeta(id)
	pipe := s.rdb.Pipeline()
	now := s.now()
	for _, sc := range partScopes(id, m.parts) {
		pipe.Del(ctx, s.membersKeyIn(sc))
		pipe.Del(ctx, s.countsKeyIn(sc))
		pipe.Del(ctx, s.statsKeyIn(sc))
		for t := now.Add(-rateKeep); !t.After(now); t = t.Add(rateBucket) {
			pipe.Del(ctx, s.rateKey(sc, t))
		}
		if m.parts > 1 {
			pipe.Del(ctx, s.campaignKeyIn(sc))
		}
	}
	pipe.Del(ctx, s.rejectsKey(id))
	pipe.Del(ctx, s.campaignKey(id))
	pipe.ZRem(ctx, s.campaignsKey(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return deleted, fmt.Errorf("purge campaign %s: %w", id, err)
	}
	return deleted, nil
}
