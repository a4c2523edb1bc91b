package store

import (
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Store.
type Config struct {
	// Prefix starts every key. Defaults to "wabulk:".
	Prefix string
	// ProviderIDTTL is how long the provider-message-id index keeps an
	// entry (receipts arrive within days). Defaults to 30 days.
	ProviderIDTTL time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Store reads and writes wabulk's records in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	pidTTL time.Duration
	now    func() time.Time
}

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, cfg Config) *Store {
	if cfg.Prefix == "" {
		cfg.Prefix = "wabulk:"
	}
	if cfg.ProviderIDTTL <= 0 {
		cfg.ProviderIDTTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{rdb: rdb, prefix: cfg.Prefix, pidTTL: cfg.ProviderIDTTL, now: cfg.Now}
}

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Redis returns the client the store uses.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// directCounts is the counters hash of messages outside any campaign.
const directCounts = "_direct"

func (s *Store) msgKey(id string) string { return s.prefix + "msg:" + id }
func (s *Store) countsKey(campaign string) string {
	if campaign == "" {
		campaign = directCounts
	}
	return s.prefix + "campaign:" + campaign + ":counts"
}
func (s *Store) campaignKey(id string) string { return s.prefix + "campaign:" + id }
func (s *Store) membersKey(id string) string  { return s.prefix + "campaign:" + id + ":members" }
func (s *Store) campaignsKey() string         { return s.prefix + "campaigns" }
func (s *Store) pidKey(account, pmid string) string {
	return s.prefix + "pmid:" + account + ":" + pmid
}
func (s *Store) inboundKey(account, sender string) string {
	if sender == "" {
		sender = "-"
	}
	return s.prefix + "inbound:" + account + ":" + sender
}

func (s *Store) optOutKey(account string) string { return s.prefix + "optout:" + account }

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
