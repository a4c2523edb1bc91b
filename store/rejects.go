package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Reject is one import row refused, as the import reported it.
type Reject struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Row    string `json:"row,omitempty"` // the row's raw text, truncated to 512 bytes
}

// MaxKeptRejects is how many rejected rows a campaign keeps (the first ones); all are counted in ImportStats.Rejected.
const MaxKeptRejects = 1000

// rejectRowBytes and rejectReasonBytes bound what one kept reject holds.
const (
	rejectRowBytes    = 512
	rejectReasonBytes = 512
)

// rejectsKey is campaign id's list of kept rejects (JSON, in import
// order), in the campaign's own slot.
func (s *Store) rejectsKey(id string) string { return s.campaignKey(id) + ":rejects" }

// addRejectsScript appends ARGV[3..] to list KEYS[1] while it holds fewer
// than ARGV[1] entries, and gives it the expiry of campaign summary
// KEYS[2]: none while that has none, and the campaign retention (ARGV[2]
// ms, "0": for ever) when there is no summary. Replies how many the list
// holds.
var addRejectsScript = redis.NewScript(`
local max, keep = tonumber(ARGV[1]), ARGV[2]
local n = redis.call('LLEN', KEYS[1])
local room = math.min(max - n, #ARGV - 2)
if room > 0 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 3, 2 + room))
  redis.call('LTRIM', KEYS[1], 0, max - 1)
  n = n + room
end
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
elseif ttl == -1 then
  redis.call('PERSIST', KEYS[1])
elseif keep ~= '0' then
  redis.call('PEXPIRE', KEYS[1], keep)
end
return n
`)

// AddCampaignRejects appends rs to campaign id's kept rejects, up to MaxKeptRejects in total (more are dropped, not an error).
//
// The list lives in the campaign's slot and expires with its summary:
// it takes the summary's expiry when written, is kept while the campaign
// has pending messages, and starts expiring when the campaign drains
// (drainedPart). A reject's reason and row are cut to 512 bytes.
func (s *Store) AddCampaignRejects(ctx context.Context, id string, rs []Reject) error {
	if len(rs) == 0 {
		return nil
	}
	if id == "" {
		return errors.New("store: rejects need a campaign")
	}
	rs = rs[:min(len(rs), MaxKeptRejects)]
	args := make([]any, 0, len(rs)+2)
	args = append(args, MaxKeptRejects, s.campaignKeep.Milliseconds())
	for _, r := range rs {
		r.Reason = truncUTF8(r.Reason, rejectReasonBytes)
		r.Row = truncUTF8(r.Row, rejectRowBytes)
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode reject of line %d: %w", r.Line, err)
		}
		args = append(args, string(b))
	}
	if err := addRejectsScript.Run(ctx, s.rdb, []string{s.rejectsKey(id), s.campaignKey(id)}, args...).Err(); err != nil {
		return fmt.Errorf("keep %d rejects of %s: %w", len(rs), id, err)
	}
	return nil
}

// CampaignRejects returns up to limit of campaign id's kept rejects in import order (limit <= 0: all kept).
func (s *Store) CampaignRejects(ctx context.Context, id string, limit int) ([]Reject, error) {
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit) - 1
	}
	v, err := s.rdb.LRange(ctx, s.rejectsKey(id), 0, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("read rejects of %s: %w", id, err)
	}
	out := make([]Reject, 0, len(v))
	for i, e := range v {
		var r Reject
		if err := json.Unmarshal([]byte(e), &r); err != nil {
			return nil, fmt.Errorf("read reject %d of %s: %w", i+1, id, err)
		}
		out = append(out, r)
	}
	return out, nil
}
