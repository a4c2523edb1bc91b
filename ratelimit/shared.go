package ratelimit

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed prelude.lua
	preludeLua string
	//go:embed reserve.lua
	reserveLua string
	//go:embed throttle.lua
	throttleLua string
	//go:embed factor.lua
	factorLua string

	reserveScript  = redis.NewScript(preludeLua + reserveLua)
	throttleScript = redis.NewScript(preludeLua + throttleLua)
	factorScript   = redis.NewScript(preludeLua + factorLua)
)

// Shared is the fleet-wide limiter: every pod shares one Redis, and every
// Reserve is one EVALSHA that reads Redis TIME, so pod clocks do not matter.
//
// Keys, per account, all in one cluster hash slot ({account}):
//
//	<prefix>rl:{<account>}:rate              hash: GCRA state of the account's rate, and its learned rate
//	<prefix>rl:{<account>}:pair:<recipient>  string: the pair's next allowed time
//	<prefix>rl:{<account>}:budget            zset: template recipients of the last 24 h, by first send
//
// Each key expires when its state no longer constrains anything: a pair
// key PairEvery after the pair's last send, the rate hash when its queue
// has drained and its learned rate has climbed back to Rate, the budget when its last
// recipient leaves the window.
type Shared struct {
	rdb    redis.UniversalClient
	prefix string
	limits table
	// now replaces Redis TIME in tests (export_test.go); nil in production.
	now func() time.Time
}

// NewShared returns the limiter for the accounts in limits on rdb, keys
// under prefix (e.g. "wabulk:"). An account not in limits gets the defaults.
func NewShared(rdb redis.UniversalClient, prefix string, limits map[string]Limits) *Shared {
	return &Shared{rdb: rdb, prefix: prefix, limits: newTable(limits)}
}

func (s *Shared) key(account, what string) string {
	return s.prefix + "rl:{" + account + "}:" + what
}

// clock is the script's clock argument: empty means Redis TIME.
func (s *Shared) clock() string {
	if s.now == nil {
		return ""
	}
	return strconv.FormatInt(s.now().UnixMicro(), 10)
}

// Reserve reserves one send for r if every rule lets it go within maxWait:
// one Redis round trip. Not OK means nothing was taken; Wait then says
// when a slot would be free.
func (s *Shared) Reserve(ctx context.Context, r Request, maxWait time.Duration) (Reservation, error) {
	l := s.limits.of(r.Account)
	rate, pair, budget := l.rules(r)
	if !rate && !pair && !budget {
		return Reservation{OK: true}, nil
	}
	args := make([]any, 0, 14)
	args = append(args, s.clock())
	args = append(args, learningArgs(l, rate)...)
	args = append(args, "0", "0", micros(BudgetWindow), r.Recipient, micros(max(maxWait, 0)))
	if pair {
		args[9] = micros(l.PairEvery)
	}
	if budget {
		args[10] = strconv.Itoa(l.DailyBudget)
	}
	keys := []string{s.key(r.Account, "rate"), s.key(r.Account, "pair:"+r.Recipient), s.key(r.Account, "budget")}

	res, err := reserveScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return Reservation{}, fmt.Errorf("reserve a send on %s: %w", r.Account, err)
	}
	if len(res) != 3 {
		return Reservation{}, fmt.Errorf("reserve a send on %s: unexpected answer %v", r.Account, res)
	}
	ok, _ := res[0].(int64)
	w, _ := res[1].(string)
	reason, _ := res[2].(string)
	wait, err := parseMicros(w)
	if err != nil {
		return Reservation{}, fmt.Errorf("reserve a send on %s: %w", r.Account, err)
	}
	if wait <= 0 {
		wait, reason = 0, ""
	}
	return Reservation{OK: ok == 1, Wait: wait, Reason: reason}, nil
}

// learningArgs are the scripts' learning config (prelude.lua's
// learningConfig): rate 0 when the rate rule is off, recovery 0 when
// learning is.
func learningArgs(l Limits, rate bool) []any {
	r, recovery := "0", "0"
	if rate {
		r = formatFloat(l.Rate)
		if l.Recovery > 0 {
			recovery = micros(l.Recovery)
		}
	}
	return []any{r, strconv.Itoa(l.Burst), recovery, formatFloat(l.Backoff), formatFloat(l.MinFactor),
		formatFloat(l.Margin), micros(l.Measure), micros(l.HoldOff)}
}

// Throttled reports a 429, for every pod: the first one (past HoldOff
// after the last decision) opens a measurement, and once it has lasted
// Measure the rate becomes what the provider accepted meanwhile (see the
// package doc). A no-op when Recovery is negative.
func (s *Shared) Throttled(ctx context.Context, account string) error {
	l := s.limits.of(account)
	if l.Recovery <= 0 || l.Rate <= 0 {
		return nil
	}
	args := append([]any{s.clock()}, learningArgs(l, true)...)
	if err := throttleScript.Run(ctx, s.rdb, []string{s.key(account, "rate")}, args...).Err(); err != nil {
		return fmt.Errorf("throttle %s: %w", account, err)
	}
	return nil
}

// Factor is the account's current effective-rate factor: the rate it
// reserves at over Limits.Rate (1: full rate), for status and metrics.
func (s *Shared) Factor(ctx context.Context, account string) (float64, error) {
	l := s.limits.of(account)
	if l.Rate <= 0 || l.Recovery <= 0 {
		return 1, nil
	}
	lr, err := s.Learned(ctx, account)
	if err != nil {
		return 0, err
	}
	return lr.Rate / l.Rate, nil
}

// Learned is what the fleet has learned of the account's real limit.
func (s *Shared) Learned(ctx context.Context, account string) (Learned, error) {
	l := s.limits.of(account)
	if l.Rate <= 0 || l.Recovery <= 0 {
		return Learned{Rate: l.Rate}, nil
	}
	args := append([]any{s.clock()}, learningArgs(l, true)...)
	res, err := factorScript.Run(ctx, s.rdb, []string{s.key(account, "rate")}, args...).Slice()
	if err != nil {
		return Learned{}, fmt.Errorf("read the learned rate of %s: %w", account, err)
	}
	if len(res) != 3 {
		return Learned{}, fmt.Errorf("read the learned rate of %s: unexpected answer %v", account, res)
	}
	fs, _ := res[0].(string)
	ms, _ := res[1].(string)
	measuring, _ := res[2].(int64)
	f, err := strconv.ParseFloat(fs, 64)
	if err != nil {
		return Learned{}, fmt.Errorf("read the learned rate of %s: %w", account, err)
	}
	var m float64
	if ms != "" {
		if m, err = strconv.ParseFloat(ms, 64); err != nil {
			return Learned{}, fmt.Errorf("read the learned rate of %s: %w", account, err)
		}
	}
	return learnedOf(f, m, ms != "", measuring == 1, l), nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// micros formats d in microseconds (the scripts' unit), keeping any
// fraction.
func micros(d time.Duration) string { return formatFloat(float64(d) / 1e3) }

func parseMicros(s string) (time.Duration, error) {
	us, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad wait %q: %w", s, err)
	}
	return time.Duration(math.Round(us * 1e3)), nil
}
