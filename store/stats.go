package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// A campaign's statistics: one hash per part ("campaign:{PART}:stats",
// next to its counts), written by the same scripts that move its records
// (transitionScript, requeueScript), so reading them never walks the
// records. Its fields:
//
//	c|STATUS|CODE|R   how many of the part's messages are in terminal state STATUS with error code CODE; R is "r" when they carry Record.Retryable, "p" when not
//	e|STATUS|CODE|R   the last error text recorded with them (at most statsExampleBytes), after the time it was (Unix ms) and a space
//	k                 the c| fields, one per line, in order of creation (what CampaignCodes reads)
//	n                 how many c| fields k lists, "other" ones aside: at most statsMaxCodes
//	o|B               outcomes (moves from queued or sending to any other state) in 10-second bucket B (Unix ms / 10,000)
//	f|B               of those, the ones that did not end accepted, sent, delivered or read
//
// A part counts at most statsMaxCodes distinct (status, code, retryable)
// fields; a code first seen beyond that is counted under code
// statsOtherCode, so a provider that puts a request ID in its code cannot
// grow the hash without bound (and a code is cut to statsCodeBytes, its
// line breaks made spaces). The series grows with the campaign's life,
// not its size: a bucket with an outcome is one field, two with a failure,
// ~61 bytes each once the hash outgrows a listpack (Redis 7.0, MEMORY
// USAGE). A part that has outcomes in every bucket of 28 hours keeps
// 10,080 buckets: 0.6 MB, 1.2 MB if each also has a failure; so a campaign
// of 16 parts sending for 28 hours keeps 10-20 MB of series, against
// ~700 MB for the records of a million recipients. 100 codes with
// 80-byte examples take 25 KB.
//
// The stats are written only for a campaign whose hash (or, for a
// campaign of several parts, each part's copy) has the field "stats" = 1,
// which SaveCampaign sets on new campaigns: a campaign created before the
// stats existed (or by layout 3) has none, rather than counts that begin
// halfway through it. The hash expires with its part's counts once the
// part drained, and PurgeCampaign deletes it.
const (
	statsMaxCodes     = 100
	statsOtherCode    = "other"
	statsExampleBytes = 200
	statsCodeBytes    = 64
)

// statsField is the campaign hash field that turns the stats on.
const statsField = "stats"

func (s *Store) statsKeyIn(sc scope) string { return s.prefix + "campaign:" + string(sc) + ":stats" }

// luaStats is the Lua side of the stats hash, prepended to the scripts
// that move records: CODED names the states that carry a code;
// statadd(key, status, code, retryable, example) counts a record entering
// one at time now (ms), statsub(key, status, code, retryable) one leaving
// it.
func luaStats() string {
	coded := make([]string, 0, 5)
	for _, st := range codedStates {
		coded = append(coded, fmt.Sprintf("[%q]=true", string(st)))
	}
	return `
local CODED = {` + strings.Join(coded, ",") + `}
local function statfield(st, code, r)
  code = string.sub((string.gsub(code, '\n', ' ')), 1, ` + strconv.Itoa(statsCodeBytes) + `)
  return 'c|' .. st .. '|' .. code .. '|' .. (r and 'r' or 'p')
end
-- statlist adds field f to the list k unless it is there, and reports
-- whether it was.
local function statlist(key, f)
  local k = redis.call('HGET', key, 'k') or ''
  if string.find('\n' .. k, '\n' .. f .. '\n', 1, true) then return true end
  redis.call('HSET', key, 'k', k .. f .. '\n')
  return false
end
local function statadd(key, st, code, r, ex, now)
  local f = statfield(st, code, r)
  -- One command unless this is the first of its kind (or the first
  -- again after requeues took it back to 0).
  if redis.call('HINCRBY', key, f, 1) == 1 then
    local k = redis.call('HGET', key, 'k') or ''
    if not string.find('\n' .. k, '\n' .. f .. '\n', 1, true) then
      if redis.call('HINCRBY', key, 'n', 1) <= ` + strconv.Itoa(statsMaxCodes) + ` then
        redis.call('HSET', key, 'k', k .. f .. '\n')
      else
        -- Past the bound: counted under other instead.
        redis.call('HINCRBY', key, 'n', -1)
        redis.call('HDEL', key, f)
        f = statfield(st, '` + statsOtherCode + `', r)
        if redis.call('HINCRBY', key, f, 1) == 1 then statlist(key, f) end
      end
    end
  end
  if ex ~= '' then redis.call('HSET', key, 'e' .. string.sub(f, 2), now .. ' ' .. string.sub(ex, 1, ` + strconv.Itoa(statsExampleBytes) + `)) end
end
local function statsub(key, st, code, r)
  local f = statfield(st, code, r)
  if redis.call('HEXISTS', key, f) == 0 then f = statfield(st, '` + statsOtherCode + `', r) end
  if redis.call('HINCRBY', key, f, -1) < 0 then redis.call('HSET', key, f, 0) end
end
`
}

// codedStates are the terminal states whose records carry an error code
// (CampaignCodes). Cancelled is not one: an operator's act, not an error.
var codedStates = []message.Status{message.Failed, message.Expired, message.WindowClosed, message.OptedOut, message.Invalid}

// CodeCount is how many of a campaign's messages ended in Status with provider/wabulk error Code.
type CodeCount struct {
	Status    message.Status `json:"status"`    // failed, expired, window_closed, opted_out, invalid (any terminal state that carries a code)
	Code      string         `json:"code"`      // "" allowed (e.g. expired with no code)
	Retryable bool           `json:"retryable"` // the records carry Record.Retryable (the worker gave up after transient errors only)
	Count     int64          `json:"count"`
	Example   string         `json:"example,omitempty"` // the last error text recorded with this code (provider's words), truncated to 200 bytes, never a secret
}

// CampaignCodes returns campaign id's terminal failures grouped by (status, code, retryable), largest count first, counts > 0 only. Reads one small hash per part (no scan of records).
//
// It reads each part's list of code fields, then those fields and their
// examples: two round trips, whatever the campaign's size and length. A
// campaign without stats (created before them) has none: an empty list.
// Codes past the per-part bound are counted under code "other".
func (s *Store) CampaignCodes(ctx context.Context, id string) ([]CodeCount, error) {
	if id == "" {
		return nil, nil
	}
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	lists := make([]*redis.StringCmd, len(scs))
	for i, sc := range scs {
		lists[i] = pipe.HGet(ctx, s.statsKeyIn(sc), "k")
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("read error codes of %s: %w", id, err)
	}
	pipe = s.rdb.Pipeline()
	type read struct {
		fields []string
		cmd    *redis.SliceCmd
	}
	var reads []read
	for i, sc := range scs {
		var fields []string
		for _, f := range strings.Split(lists[i].Val(), "\n") {
			if f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 {
			continue
		}
		ask := make([]string, 0, 2*len(fields))
		ask = append(ask, fields...)
		for _, f := range fields {
			ask = append(ask, "e"+f[1:])
		}
		reads = append(reads, read{fields: fields, cmd: pipe.HMGet(ctx, s.statsKeyIn(sc), ask...)})
	}
	if len(reads) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("read error codes of %s: %w", id, err)
	}
	type group struct {
		st   message.Status
		code string
		r    bool
	}
	sums := map[group]*CodeCount{}
	exampleAt := map[group]int64{}
	for _, rd := range reads {
		v := rd.cmd.Val()
		for i, f := range rd.fields {
			st, code, r, ok := parseCodeField(f)
			if !ok {
				continue
			}
			str, _ := v[i].(string)
			n, _ := strconv.ParseInt(str, 10, 64)
			g := group{st, code, r}
			cc := sums[g]
			if cc == nil {
				cc = &CodeCount{Status: st, Code: code, Retryable: r}
				sums[g] = cc
			}
			cc.Count += n
			// The latest of the parts' examples.
			ex, _ := v[len(rd.fields)+i].(string)
			at, text, _ := strings.Cut(ex, " ")
			ms, _ := strconv.ParseInt(at, 10, 64)
			if text != "" && n > 0 && ms >= exampleAt[g] {
				cc.Example, exampleAt[g] = truncUTF8(text, statsExampleBytes), ms
			}
		}
	}
	out := make([]CodeCount, 0, len(sums))
	for _, cc := range sums {
		if cc.Count > 0 {
			out = append(out, *cc)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Count != b.Count:
			return a.Count > b.Count
		case a.Status != b.Status:
			return a.Status < b.Status
		case a.Code != b.Code:
			return a.Code < b.Code
		}
		return !a.Retryable && b.Retryable
	})
	return out, nil
}

// parseCodeField reads a "c|STATUS|CODE|R" field (the code may hold "|").
func parseCodeField(f string) (st message.Status, code string, retryable, ok bool) {
	rest, found := strings.CutPrefix(f, "c|")
	if !found {
		return "", "", false, false
	}
	status, rest, found := strings.Cut(rest, "|")
	if !found || len(rest) < 2 || rest[len(rest)-2] != '|' {
		return "", "", false, false
	}
	return message.Status(status), rest[:len(rest)-2], rest[len(rest)-1] == 'r', true
}

// SeriesPoint is the number of outcomes (moves from queued/sending to any other state) in one 10-second bucket starting At; Failures counts those whose state is not accepted/sent/delivered/read.
type SeriesPoint struct {
	At       time.Time `json:"at"`
	Outcomes int64     `json:"outcomes"`
	Failures int64     `json:"failures"`
}

// SeriesStep is the width of a SeriesPoint.
const SeriesStep = 10 * time.Second

// seriesNear is how far back a since may lie for CampaignSeries to ask
// for its buckets by name rather than read the whole hash.
const seriesNear = time.Hour

// CampaignSeries returns campaign id's outcome series, ascending by At, buckets with no outcome omitted, summed over parts; since (zero: all) drops older buckets.
//
// Every outcome counts once when it happens, so a message that
// retry-failed sent again counts each time it got one. A campaign without
// stats (created before them) has an empty series.
func (s *Store) CampaignSeries(ctx context.Context, id string, since time.Time) ([]SeriesPoint, error) {
	if id == "" {
		return nil, nil
	}
	scs, _, err := s.scopes(ctx, id)
	if err != nil {
		return nil, err
	}
	step := SeriesStep.Milliseconds()
	from := int64(-1 << 62)
	if !since.IsZero() {
		from = since.UnixMilli() / step
	}
	points := map[int64]*SeriesPoint{}
	add := func(field, val string) {
		kind, b, ok := strings.Cut(field, "|")
		if !ok || (kind != "o" && kind != "f") {
			return
		}
		bucket, err := strconv.ParseInt(b, 10, 64)
		if err != nil || bucket < from {
			return
		}
		n, _ := strconv.ParseInt(val, 10, 64)
		p := points[bucket]
		if p == nil {
			p = &SeriesPoint{At: time.UnixMilli(bucket * step).UTC()}
			points[bucket] = p
		}
		if kind == "o" {
			p.Outcomes += n
		} else {
			p.Failures += n
		}
	}
	now := s.now()
	pipe := s.rdb.Pipeline()
	if !since.IsZero() && now.Sub(since) <= seriesNear {
		// A recent since (a chart asking for what is new): its buckets by
		// name, up to a minute past this clock (another process's may run
		// ahead), rather than the campaign's whole life.
		to := now.Add(time.Minute).UnixMilli() / step
		var fields []string
		for b := from; b <= to; b++ {
			n := strconv.FormatInt(b, 10)
			fields = append(fields, "o|"+n, "f|"+n)
		}
		if len(fields) == 0 {
			return []SeriesPoint{}, nil // since lies past this clock's next minute
		}
		cmds := make([]*redis.SliceCmd, len(scs))
		for i, sc := range scs {
			cmds[i] = pipe.HMGet(ctx, s.statsKeyIn(sc), fields...)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("read outcome series of %s: %w", id, err)
		}
		for _, c := range cmds {
			for i, v := range c.Val() {
				if str, ok := v.(string); ok {
					add(fields[i], str)
				}
			}
		}
	} else {
		cmds := make([]*redis.MapStringStringCmd, len(scs))
		for i, sc := range scs {
			cmds[i] = pipe.HGetAll(ctx, s.statsKeyIn(sc))
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("read outcome series of %s: %w", id, err)
		}
		for _, c := range cmds {
			for f, v := range c.Val() {
				add(f, v)
			}
		}
	}
	out := make([]SeriesPoint, 0, len(points))
	for _, p := range points {
		if p.Outcomes > 0 || p.Failures > 0 {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// truncUTF8 cuts s to at most n bytes, never inside a character.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for i := 0; i < utf8.UTFMax && len(s) > 0 && !utf8.ValidString(s); i++ {
		s = s[:len(s)-1]
	}
	return s
}
