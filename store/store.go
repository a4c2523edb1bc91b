package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Store.
type Config struct {
	// Prefix starts every key. Defaults to "wabulk:".
	Prefix string
	// Retention is how long a message's record, its provider-id index
	// entry and a drained campaign's member list are kept after the
	// message's last change once it has an outcome. Queued and sending
	// records never expire. Defaults to 30 days; negative keeps them for
	// ever.
	Retention time.Duration
	// CampaignRetention is how long a campaign's summary (spec, state,
	// counts, import counts) is kept after its last message got an
	// outcome, or after its creation while it has none. Defaults to 400
	// days; negative keeps them for ever. Never shorter than Retention.
	CampaignRetention time.Duration
	// ConfirmReplicas is how many replicas must hold a claim (the move of
	// a record to sending) before it counts: Redis's WAIT, on the
	// connection that wrote it. A claim not confirmed within
	// ConfirmTimeout is undone and reported as ErrUnconfirmed, so a
	// failover can never roll a sent message back to queued. 0 (the
	// default) confirms nothing: right for one node without replicas.
	ConfirmReplicas int
	// ConfirmTimeout bounds the wait for ConfirmReplicas. Defaults to 1 s.
	ConfirmTimeout time.Duration
	// CampaignParts is how many hash slots a new campaign's records and
	// counters are split over (parts.go), rounded down to a power of two,
	// at most 256 and never more than its buckets. 0 takes
	// DefaultClusterParts on a Redis Cluster and 1 elsewhere, where
	// splitting buys nothing.
	CampaignParts int
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Store reads and writes wabulk's records in Redis.
type Store struct {
	rdb            redis.UniversalClient
	prefix         string
	retention      time.Duration // 0: for ever
	campaignKeep   time.Duration // 0: for ever
	confirm        int
	confirmTimeout time.Duration
	now            func() time.Time
	parts          int
	metas          metaCache
}

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, cfg Config) *Store {
	if cfg.Prefix == "" {
		cfg.Prefix = "wabulk:"
	}
	switch {
	case cfg.Retention == 0:
		cfg.Retention = 30 * 24 * time.Hour
	case cfg.Retention < 0:
		cfg.Retention = 0
	}
	switch {
	case cfg.CampaignRetention == 0:
		cfg.CampaignRetention = 400 * 24 * time.Hour
	case cfg.CampaignRetention < 0:
		cfg.CampaignRetention = 0
	}
	if cfg.Retention == 0 {
		cfg.CampaignRetention = 0 // never shorter than the records
	} else if cfg.CampaignRetention > 0 {
		cfg.CampaignRetention = max(cfg.CampaignRetention, cfg.Retention)
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CampaignParts <= 0 {
		cfg.CampaignParts = 1
		if _, cluster := rdb.(*redis.ClusterClient); cluster {
			cfg.CampaignParts = DefaultClusterParts
		}
	}
	return &Store{rdb: rdb, prefix: cfg.Prefix, retention: cfg.Retention, campaignKeep: cfg.CampaignRetention,
		confirm: max(cfg.ConfirmReplicas, 0), confirmTimeout: cfg.ConfirmTimeout, now: cfg.Now,
		parts: min(cfg.CampaignParts, maxParts)}
}

// Retention returns how long records are kept after their outcome (0: for
// ever).
func (s *Store) Retention() time.Duration { return s.retention }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Redis returns the client the store uses.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// The key layout (LayoutVersion 4). Every key one Lua script touches
// shares a Redis Cluster hash slot (the part in braces), while different
// campaigns, parts of a campaign and accounts land in different slots, so
// a Cluster spreads them over its masters. PART is a campaign's part tag
// (parts.go): "CAMPAIGN~S" for each of its parts, or "CAMPAIGN" when it
// has one:
//
//	<prefix>msg:{PART}:N                 hash    bucket N of a campaign's records: field +E164, value the packed record (pack.go); field "#" counts its pending ones
//	<prefix>msg:{~S}:ID                  string  the packed record of a message outside campaigns (S: one of directShards, from ID)
//	<prefix>campaign:{CAMPAIGN}          hash    the campaign: spec, account, shape (buckets/parts), state, import counts, error budget
//	<prefix>campaign:{PART}              hash    a part's copy of the shape, account and state (only when it has several)
//	<prefix>campaign:{PART}:counts       hash    its messages per state
//	<prefix>campaign:{PART}:members      list    its recipients in import order (with a campaign-wide sequence number when it has several parts)
//	<prefix>campaign:{PART}:rate:N       hash    its outcomes in 10-second bucket N
//	<prefix>campaign:{PART}:stats        hash    its messages per (terminal state, error code, retryable), and its outcomes per 10-second bucket over its life (stats.go)
//	<prefix>campaign:{CAMPAIGN}:rejects  list    the first MaxKeptRejects rows its imports rejected, JSON Reject, in import order (rejects.go)
//	<prefix>campaign:{~S}:counts|rate:N          the same for messages outside campaigns, per shard
//	<prefix>campaigns                    zset    campaign IDs by creation time (one write per campaign)
//	<prefix>pmidx:ACCOUNT:DAY.N          hash    provider message id → message ID, for ids indexed on DAY (days since 1970; 0 when kept for ever), in bucket N of pmidBuckets
//	<prefix>optout:{ACCOUNT}             hash    opted-out contacts, and optout-changed:{ACCOUNT} their last change
//	<prefix>ambig:{ACCOUNT}              hash    recipient → its latest message settled ambiguous, for a receipt to reconcile (ambiguous.go)
//	<prefix>mktstop:{ACCOUNT}            hash    contacts that stopped marketing messages, and mktstop-changed:{ACCOUNT} their last change
//	<prefix>inbound:ACCOUNT:SENDER       hash    each contact's last inbound message (the 24-hour window), or, negated, a provider's refusal that closed it
//	<prefix>account:ACCOUNT              hash    pause and breaker state
//	<prefix>poll:{ACCOUNT}:due|since|rate        status polling
//	<prefix>layout                       string  the layout version (LayoutVersion)
//
// A campaign message's ID is "CAMPAIGN:+E164" (message.CampaignMessageID),
// so its record's place follows from the ID and the campaign's bucket count
// (fixed when the campaign is created, from the expected number of
// recipients, so that a bucket holds ~48 records and stays a listpack);
// any other ID ("api:KEY", a generated one) is a message outside campaigns,
// spread over directShards slots by a hash of the ID. Many records per key
// is what keeps Redis's per-key overhead (~100 bytes: the key, its
// dictionary entries, its expiry) off every recipient.
//
// A bucket expires Retention after the last change of any of its records
// once none of them is pending; a record outside campaigns, Retention
// after its own last change; a provider-id bucket, Retention after the end
// of its day.

// directShards is how many slots messages outside campaigns are spread
// over (each with its own counters).
const directShards = 16

// directCounts is the counters hash of messages outside any campaign.
const directCounts = "_direct"

// splitID returns the campaign of message id and the rest of the ID, or
// ok false for a message outside campaigns.
func splitID(id string) (campaign, rest string, ok bool) {
	if strings.HasPrefix(id, "api:") {
		return "", "", false
	}
	i := strings.LastIndexByte(id, ':')
	if i <= 0 || i+1 >= len(id) || id[i+1] != '+' {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// checkRef checks that message id belongs to campaign (a campaign
// message's ID is message.CampaignMessageID), so that its record and its
// campaign's keys share a slot.
func checkRef(id, campaign string) error {
	c, _, ok := splitID(id)
	if !ok {
		c = ""
	}
	if c != campaign {
		if campaign == "" {
			return fmt.Errorf("store: message id %q names campaign %q but the message has none", id, c)
		}
		return fmt.Errorf("store: message id %q is not one of campaign %q's (want %s:+E164)", id, campaign, campaign)
	}
	return nil
}

// directTag is the hash tag of a message outside campaigns.
func directTag(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return "{~" + strconv.Itoa(int(h.Sum32()%directShards)) + "}"
}

// campaignTag is the hash tag of campaign id.
func campaignTag(id string) string { return "{" + id + "}" }

// directKey is the key of the record of message id outside campaigns.
func (s *Store) directKey(id string) string { return s.prefix + "msg:" + directTag(id) + ":" + id }

// bucketKey is the key of bucket b of campaign c's records, given its
// meta.
func (s *Store) bucketKey(c string, m campaignMeta, b int) string {
	return s.prefix + "msg:" + string(partScope(c, b, m.parts)) + ":" + strconv.Itoa(b)
}

// bucketOf is the bucket, of n, of a campaign's recipient to.
func bucketOf(to string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(to))
	return int(h.Sum32() % uint32(n))
}

// recordLoc is where a record lives: a bucket's field, or (field "") a key
// of its own; sc is the slot of the counters it moves, and shape its
// campaign's shape (what the scripts check).
type recordLoc struct {
	key, field string
	shape      string
	sc         scope
}

// locate returns where the record of message id lives.
func (s *Store) locate(ctx context.Context, id string) (recordLoc, campaignMeta, error) {
	c, to, ok := splitID(id)
	if !ok {
		return recordLoc{key: s.directKey(id), sc: scope(directTag(id))}, campaignMeta{}, nil
	}
	m, err := s.meta(ctx, c)
	if err != nil {
		return recordLoc{}, m, err
	}
	b := bucketOf(to, m.buckets)
	return recordLoc{key: s.bucketKey(c, m, b), field: to, shape: shape(m.buckets, m.parts), sc: partScope(c, b, m.parts)}, m, nil
}

// scope is the slot a message's campaign keys live in: its campaign's (or
// its part's), or for a message outside campaigns the shard of its ID.
type scope string

func campaignScope(id string) scope { return scope(campaignTag(id)) }

// directScopes are the scopes of messages outside campaigns.
func directScopes() []scope {
	out := make([]scope, directShards)
	for i := range out {
		out[i] = scope("{~" + strconv.Itoa(i) + "}")
	}
	return out
}

// scopes returns the scopes whose counters make up campaign id ("": every
// direct shard), and its meta.
func (s *Store) scopes(ctx context.Context, id string) ([]scope, campaignMeta, error) {
	if id == "" {
		return directScopes(), campaignMeta{}, nil
	}
	m, err := s.meta(ctx, id)
	if err != nil {
		return nil, m, err
	}
	return partScopes(id, m.parts), m, nil
}

func (s *Store) campaignKeyIn(sc scope) string { return s.prefix + "campaign:" + string(sc) }
func (s *Store) countsKeyIn(sc scope) string   { return s.prefix + "campaign:" + string(sc) + ":counts" }
func (s *Store) membersKeyIn(sc scope) string {
	return s.prefix + "campaign:" + string(sc) + ":members"
}

func (s *Store) campaignKey(id string) string { return s.campaignKeyIn(campaignScope(id)) }
func (s *Store) campaignsKey() string         { return s.prefix + "campaigns" }

// pmidBuckets is how many buckets a day's provider message ids of one
// account are spread over: ~50 each at 100,000 a day.
const pmidBuckets = 2048

const day = 24 * time.Hour

// pidDay is the index day of time t: days since 1970, or 0 when records
// are kept for ever (then one day holds them all).
func (s *Store) pidDay(t time.Time) int64 {
	if s.retention == 0 {
		return 0
	}
	return t.UnixMilli() / day.Milliseconds()
}

// pidKey is the index bucket of provider message id pmid of account,
// indexed on index day d.
func (s *Store) pidKey(account string, d int64, pmid string) string {
	h := fnv.New32a()
	h.Write([]byte(pmid))
	return s.prefix + "pmidx:" + account + ":" + strconv.FormatInt(d, 10) + "." + strconv.Itoa(int(h.Sum32()%pmidBuckets))
}
func (s *Store) inboundKey(account, sender string) string {
	if sender == "" {
		sender = "-"
	}
	return s.prefix + "inbound:" + account + ":" + sender
}

func (s *Store) optOutKey(account string) string { return s.prefix + "optout:{" + account + "}" }
func (s *Store) optChangedKey(account string) string {
	return s.prefix + "optout-changed:{" + account + "}"
}
func (s *Store) marketingStopKey(account string) string {
	return s.prefix + "mktstop:{" + account + "}"
}
func (s *Store) marketingChangedKey(account string) string {
	return s.prefix + "mktstop-changed:{" + account + "}"
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
