package store

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// DefaultBuckets is the bucket count of a campaign created without an
// expected size: ~48 records a bucket at 200,000 recipients.
const DefaultBuckets = 4096

// maxBuckets bounds a campaign's bucket count (~50 million recipients at
// 48 a bucket; more only fills the buckets fuller).
const maxBuckets = 1 << 20

// BucketsFor is the bucket count for a campaign of about n recipients (0:
// unknown): a power of two giving ~48 records a bucket, so a bucket stays
// under Redis's hash-max-listpack-entries (128) and keeps the compact
// encoding.
func BucketsFor(n int64) int {
	if n <= 0 {
		return DefaultBuckets
	}
	want := (n + 47) / 48
	b := 1 << bits.Len64(uint64(want-1))
	return min(max(b, 16), maxBuckets)
}

// campaignMeta is what locating a campaign's records needs, read from its
// hash: fixed once its first record exists.
type campaignMeta struct {
	buckets int
	parts   int
	account string
	at      time.Time
}

// metaTTL is how long a campaign's bucket count is trusted from the cache.
// The scripts check it on every write (a purged campaign re-created under
// the same ID with another count answers "rebucket"); a read with a stale
// count finds nothing and asks again.
const metaTTL = 10 * time.Minute

type metaCache struct {
	mu sync.Mutex
	m  map[string]campaignMeta
}

// meta returns campaign c's bucket count and account.
func (s *Store) meta(ctx context.Context, c string) (campaignMeta, error) {
	s.metas.mu.Lock()
	m, ok := s.metas.m[c]
	s.metas.mu.Unlock()
	if ok && time.Since(m.at) < metaTTL {
		return m, nil
	}
	return s.readMeta(ctx, c)
}

// readMeta reads campaign c's meta from Redis and caches it.
func (s *Store) readMeta(ctx context.Context, c string) (campaignMeta, error) {
	v, err := s.rdb.HMGet(ctx, s.campaignKey(c), "buckets", "account").Result()
	if err != nil {
		return campaignMeta{}, fmt.Errorf("read campaign %s: %w", c, err)
	}
	m := campaignMeta{buckets: DefaultBuckets, parts: 1, at: time.Now()}
	shaped := false
	if v, _ := v[0].(string); v != "" {
		if b, p, ok := parseShape(v); ok {
			m.buckets, m.parts, shaped = b, p, true
		}
	}
	m.account, _ = v[1].(string)
	if shaped {
		// A campaign not created yet reads as the default shape, but is
		// not cached as such: its creation may give it another.
		s.setMeta(c, m)
	}
	return m, nil
}

func (s *Store) setMeta(c string, m campaignMeta) {
	m.at = time.Now()
	s.metas.mu.Lock()
	defer s.metas.mu.Unlock()
	if s.metas.m == nil || len(s.metas.m) > 10_000 {
		s.metas.m = map[string]campaignMeta{}
	}
	s.metas.m[c] = m
}

func (s *Store) forgetMeta(c string) {
	s.metas.mu.Lock()
	delete(s.metas.m, c)
	s.metas.mu.Unlock()
}

// RecordKey returns where message id's record lives in Redis: the key,
// and its field in that key when the key is a campaign's bucket hash (""
// when the key is a string of its own). For operators and tests; the
// record's value is packed (see pack.go).
func (s *Store) RecordKey(ctx context.Context, id string) (key, field string, err error) {
	loc, _, err := s.locate(ctx, id)
	return loc.key, loc.field, err
}
