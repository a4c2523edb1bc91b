package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// packV2Script moves one layout-2 record hash (KEYS[1]) into its layout-3
// place KEYS[2]: ARGV[1] its field in a campaign bucket ("": a string key
// of its own, which may be KEYS[1] itself), ARGV[2] the packed record,
// ARGV[3] "1" if it is pending, ARGV[4] its remaining TTL in ms (-1: none).
// A record already moved (KEYS[1] is no longer a hash) is left alone.
var packV2Script = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
redis.call('DEL', KEYS[1])
local ttl = tonumber(ARGV[4])
if ARGV[1] == '' then
  redis.call('SET', KEYS[2], ARGV[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return 1
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[2], '#', 1)
  redis.call('PERSIST', KEYS[2])
elseif tonumber(redis.call('HGET', KEYS[2], '#') or '0') <= 0 then
  local cur = redis.call('PTTL', KEYS[2])
  if ttl < 0 then
    redis.call('PERSIST', KEYS[2])
  elseif cur ~= -1 and cur < ttl then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
return 1
`)

// migrate2to3 packs layout 2's record hashes and provider-id strings into
// layout 3, on every master of a Cluster.
func (s *Store) migrate2to3(ctx context.Context, progress func(int)) (int, error) {
	moved := 0
	scan := func(ctx context.Context, c redis.Cmdable, pattern string, fn func(key string) error) error {
		it := c.Scan(ctx, 0, s.prefix+pattern, 1000).Iterator()
		for it.Next(ctx) {
			if err := fn(it.Val()); err != nil {
				return err
			}
		}
		return it.Err()
	}
	each := func(ctx context.Context, c redis.Cmdable) error {
		err := scan(ctx, c, "msg:{*", func(key string) error {
			ok, err := s.packV2Record(ctx, key)
			if ok {
				moved++
				if moved%10000 == 0 && progress != nil {
					progress(moved)
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("pack the records of layout 2: %w", err)
		}
		err = scan(ctx, c, "pmid:*", func(key string) error {
			ok, err := s.moveV2ProviderID(ctx, key)
			if ok {
				moved++
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("move the provider-id index of layout 2: %w", err)
		}
		return nil
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		// One master at a time: the counter is not shared.
		var mu sync.Mutex
		var masters []*redis.Client
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			mu.Lock()
			masters = append(masters, m)
			mu.Unlock()
			return nil
		})
		for _, m := range masters {
			if err == nil {
				err = each(ctx, m)
			}
		}
	} else {
		err = each(ctx, s.rdb)
	}
	return moved, err
}

// packV2Record moves the layout-2 record hash key, if it is one, into
// layout 3.
func (s *Store) packV2Record(ctx context.Context, key string) (bool, error) {
	rest := strings.TrimPrefix(key, s.prefix+"msg:")
	end := strings.IndexByte(rest, '}')
	if end < 0 || end+2 > len(rest) {
		return false, nil
	}
	tag, name := rest[1:end], rest[end+2:]
	direct := strings.HasPrefix(tag, "~")
	if !direct && !strings.HasPrefix(name, "+") {
		return false, nil // a layout-3 bucket
	}
	typ, err := s.rdb.Type(ctx, key).Result()
	if err != nil || typ != "hash" {
		return false, err
	}
	h, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return false, err
	}
	ttl, err := s.rdb.PTTL(ctx, key).Result()
	if err != nil {
		return false, err
	}
	t := make([]string, nFields)
	st := message.Status(h["status"])
	t[fStatus] = statusCodes[st]
	if t[fStatus] == "" {
		return false, fmt.Errorf("record %s has an unknown status %q", key, h["status"])
	}
	if a := h["attempts"]; a != "0" {
		t[fAttempts] = a
	}
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	updated, _ := strconv.ParseInt(h["updated"], 10, 64)
	t[fCreated] = b36(created)
	if updated > created {
		t[fUpdated] = b36(updated - created)
	}
	t[fRun] = runTag(h["run"])
	t[fCode] = clean(h["code"])
	if h["fallback"] == "1" {
		t[fFlags] += "f"
	}
	if h["retryable"] == "1" {
		t[fFlags] += "r"
	}
	if r := h["retries"]; r != "0" {
		t[fRetries] = r
	}
	t[fPMID] = clean(h["pmid"])
	if v, ok := h["vals"]; ok {
		var vals []string
		if json.Unmarshal([]byte(v), &vals) == nil {
			t[fVals] = v
		}
	}
	t[fError] = clean(h["error"])
	t[fReq] = clean(h["req"])
	to, field := key, ""
	if direct {
		t[fAccount], t[fTo] = h["account"], clean(h["to"])
	} else {
		c := h["campaign"]
		if c == "" || campaignTag(c) != "{"+tag+"}" {
			return false, fmt.Errorf("record %s names campaign %q", key, c)
		}
		m, err := s.meta(ctx, c)
		if err != nil {
			return false, err
		}
		if m.account == "" {
			// A campaign hash without an account (records made without a
			// campaign): the first record names it.
			if err := s.rdb.HSetNX(ctx, s.campaignKey(c), "account", h["account"]).Err(); err != nil {
				return false, err
			}
			m, err = s.readMeta(ctx, c)
			if err != nil {
				return false, err
			}
		}
		if err := s.rdb.HSetNX(ctx, s.campaignKey(c), "buckets", shape(m.buckets, m.parts)).Err(); err != nil {
			return false, err
		}
		if h["account"] != m.account {
			t[fAccount] = h["account"]
		}
		to, field = s.bucketKey(c, m, bucketOf(name, m.buckets)), name
	}
	pending := "0"
	if st == message.Queued || st == message.Sending {
		pending = "1"
	}
	n, err := packV2Script.Run(ctx, s.rdb, []string{key, to}, field, packFields(t), pending, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("pack record %s: %w", key, err)
	}
	return n == 1, nil
}

// moveV2ProviderID moves the layout-2 provider-id string key, if it is
// one, into the day bucket it would have been written to.
func (s *Store) moveV2ProviderID(ctx context.Context, key string) (bool, error) {
	rest := strings.TrimPrefix(key, s.prefix+"pmid:")
	account, pmid, ok := strings.Cut(rest, ":")
	if !ok || account == "" || pmid == "" {
		return false, nil
	}
	id, err := s.rdb.Get(ctx, key).Result()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ttl, err := s.rdb.PTTL(ctx, key).Result()
	if err != nil {
		return false, err
	}
	written := s.now()
	if ttl > 0 && s.retention > 0 {
		written = written.Add(ttl - s.retention)
	}
	if err := s.indexProviderID(ctx, account, pmid, id, written); err != nil {
		return false, err
	}
	return true, s.rdb.Del(ctx, key).Err()
}
