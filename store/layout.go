package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// LayoutVersion is the version of the key layout this store writes (see
// store.go). Version 1 (wabulk before Redis Cluster support) kept records
// under "msg:ID", campaigns under "campaign:ID…" and opt-outs under
// "optout:ACCOUNT", none with hash tags. Version 2 added the hash tags and
// kept one hash per record ("msg:{CAMPAIGN}:+E164", "msg:{~S}:ID") and one
// string per provider message id ("pmid:ACCOUNT:PMID"). Version 3 packed
// records into bucket hashes and provider ids into day buckets, all of a
// campaign in its one slot. Version 4 may split a campaign over several
// slots (parts.go); a campaign of version 3 reads as one of a single part,
// so migrating from 3 only marks the keyspace, but a binary of version 3
// would not find the records of a campaign in parts.
const LayoutVersion = 4

// ErrOldLayout is returned by CheckLayout when Redis holds data in an
// earlier key layout: run MigrateLayout (`wabulk migrate`) first.
var ErrOldLayout = errors.New("Redis holds wabulk data in the key layout of an earlier version; stop every wabulk process and run `wabulk migrate`")

func (s *Store) layoutKey() string { return s.prefix + "layout" }

// CheckLayout makes sure Redis holds this store's key layout: it marks an
// empty keyspace with LayoutVersion and returns ErrOldLayout when it finds
// data of an earlier layout and no mark.
func (s *Store) CheckLayout(ctx context.Context) error {
	v, err := s.rdb.Get(ctx, s.layoutKey()).Result()
	switch {
	case err == nil:
		n, _ := strconv.Atoi(v)
		if n > LayoutVersion {
			return fmt.Errorf("Redis holds wabulk data in key layout %d, newer than this binary's %d: upgrade it", n, LayoutVersion)
		}
		if n < LayoutVersion {
			return ErrOldLayout
		}
		return nil
	case !errors.Is(err, redis.Nil):
		return fmt.Errorf("read the key layout version: %w", err)
	}
	old, err := s.legacyKeys(ctx, 1, nil)
	if err != nil {
		return err
	}
	if old > 0 {
		return ErrOldLayout
	}
	if err := s.rdb.SetNX(ctx, s.layoutKey(), LayoutVersion, 0).Err(); err != nil {
		return fmt.Errorf("mark the key layout version: %w", err)
	}
	return nil
}

// MigrateLayout moves every key of an earlier layout to its place in this
// layout and marks the keyspace with LayoutVersion: layout 1's keys are
// renamed to layout 2's, then layout 2's records are packed into their
// campaign's buckets (or strings of their own) and its provider-id strings
// into the day buckets of the index. It is safe to run again after an
// interruption. Only a single node or a Sentinel-watched master can hold
// layout 1 (it never worked on a Cluster). progress, if not nil, is called
// with the number of keys moved so far.
func (s *Store) MigrateLayout(ctx context.Context, progress func(int)) (int, error) {
	n, err := s.migrate1to2(ctx, progress)
	if err != nil {
		return n, err
	}
	m, err := s.migrate2to3(ctx, func(k int) {
		if progress != nil {
			progress(n + k)
		}
	})
	n += m
	if err != nil {
		return n, err
	}
	if err := s.rdb.Set(ctx, s.layoutKey(), LayoutVersion, 0).Err(); err != nil {
		return n, fmt.Errorf("mark the key layout version: %w", err)
	}
	return n, nil
}

// migrate1to2 renames every key of layout 1 to its place in layout 2.
func (s *Store) migrate1to2(ctx context.Context, progress func(int)) (int, error) {
	return s.legacyKeys(ctx, -1, func(key string) error {
		to, ok := s.newName(key)
		if !ok {
			return nil
		}
		if to == "" {
			return s.rdb.Del(ctx, key).Err()
		}
		if err := s.rdb.Rename(ctx, key, to).Err(); err != nil {
			return fmt.Errorf("rename %s to %s: %w", key, to, err)
		}
		return nil
	}, progress)
}

// legacyKeys scans for keys of layout 1, up to limit (-1: all), calling fn
// (if not nil) on each, and returns how many it found.
func (s *Store) legacyKeys(ctx context.Context, limit int, fn func(string) error, progress ...func(int)) (int, error) {
	found := 0
	scan := func(ctx context.Context, c redis.Cmdable) error {
		for _, pattern := range []string{"msg:*", "campaign:*", "optout:*", "optout-changed:*"} {
			it := c.Scan(ctx, 0, s.prefix+pattern, 1000).Iterator()
			for it.Next(ctx) {
				key := it.Val()
				if _, ok := s.newName(key); !ok {
					continue
				}
				found++
				if fn != nil {
					if err := fn(key); err != nil {
						return err
					}
				}
				if len(progress) > 0 && progress[0] != nil && found%10000 == 0 {
					progress[0](found)
				}
				if limit > 0 && found >= limit {
					return nil
				}
			}
			if err := it.Err(); err != nil {
				return fmt.Errorf("scan for keys of an earlier layout: %w", err)
			}
		}
		return nil
	}
	if _, ok := s.rdb.(*redis.ClusterClient); ok {
		// Layout 1 never ran on a Cluster; scanning every master would
		// only cost time.
		return 0, nil
	}
	err := scan(ctx, s.rdb)
	return found, err
}

// newName returns where key of layout 1 belongs in this layout ("" for a
// key that is dropped), or ok false for a key that is not of layout 1.
func (s *Store) newName(key string) (to string, ok bool) {
	rest, found := strings.CutPrefix(key, s.prefix)
	if !found || strings.ContainsAny(rest, "{}") {
		return "", false
	}
	switch {
	case strings.HasPrefix(rest, "msg:"):
		return s.v2RecordKey(strings.TrimPrefix(rest, "msg:")), true
	case strings.HasPrefix(rest, "optout-changed:"):
		return s.optChangedKey(strings.TrimPrefix(rest, "optout-changed:")), true
	case strings.HasPrefix(rest, "optout:"):
		return s.optOutKey(strings.TrimPrefix(rest, "optout:")), true
	case strings.HasPrefix(rest, "campaign:"):
		id, suffix, _ := strings.Cut(strings.TrimPrefix(rest, "campaign:"), ":")
		sc := campaignScope(id)
		if id == directCounts {
			sc = directScopes()[0]
		}
		switch {
		case suffix == "":
			return s.campaignKeyIn(sc), true
		case suffix == "counts":
			return s.countsKeyIn(sc), true
		case suffix == "members":
			return s.membersKeyIn(sc), true
		case strings.HasPrefix(suffix, "rate:"):
			return "", true // a few minutes of rate series: dropped
		}
	}
	return "", false
}

// v2RecordKey is the key of message id's record in layout 2.
func (s *Store) v2RecordKey(id string) string {
	if c, rest, ok := splitID(id); ok {
		return s.prefix + "msg:" + campaignTag(c) + ":" + rest
	}
	return s.directKey(id)
}
