package store

import (
	"strconv"
	"strings"
	"sync"
)

// A campaign's records, counters, rate series and member list are split
// into parts, each in a hash slot of its own, so that one big campaign
// spreads over a Cluster's masters instead of filling one. Bucket b of a
// campaign lives in part b mod parts. Every Lua step still touches one
// slot: a record, its bucket and its part's counters, member list and
// campaign copy move together. The campaign hash itself ("campaign:{ID}":
// spec, state, import counts, error budget) stays in the campaign's own
// slot; each part keeps a copy of what a step must read there (the shape,
// the account, the state).
//
// A part's hash tag is "{ID~S}", where S is the smallest number that puts
// part p's slot in the p-th of parts equal ranges of the 16,384 slots.
// Clusters split their slots into contiguous ranges per master, so the
// parts land evenly on the masters whatever the campaign ID; a tag picked
// by hash alone would leave one master with most of them now and then.
//
// A campaign with one part (every campaign of layout 3, and on a single
// node by default) keeps everything under "{ID}" as before.

// DefaultClusterParts is how many parts a campaign is split into on a
// Redis Cluster when Config.CampaignParts is 0.
const DefaultClusterParts = 16

// maxParts bounds Config.CampaignParts.
const maxParts = 256

const clusterSlots = 16384

// partsFor is how many parts a campaign of the given bucket count gets:
// the store's setting, a power of two no larger than the bucket count.
func (s *Store) partsFor(buckets int) int {
	p := 1
	for p*2 <= s.parts && p*2 <= buckets {
		p *= 2
	}
	return p
}

// shape is what a campaign hash's "buckets" field holds: the bucket count,
// and "/parts" when it has more than one part. Scripts compare it whole, so
// a process that cached another shape is told to read it again.
func shape(buckets, parts int) string {
	if parts <= 1 {
		return strconv.Itoa(buckets)
	}
	return strconv.Itoa(buckets) + "/" + strconv.Itoa(parts)
}

// parseShape reads a "buckets" field; ok false when it is not one.
func parseShape(v string) (buckets, parts int, ok bool) {
	b, p, split := strings.Cut(v, "/")
	buckets, err := strconv.Atoi(b)
	if err != nil || buckets <= 0 {
		return 0, 0, false
	}
	parts = 1
	if split {
		if parts, err = strconv.Atoi(p); err != nil || parts <= 0 || buckets%parts != 0 {
			return 0, 0, false
		}
	}
	return buckets, parts, true
}

// partTags caches each campaign's part tags.
var partTags = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

// partScopes returns the scopes of campaign c's parts.
func partScopes(c string, parts int) []scope {
	if parts <= 1 {
		return []scope{campaignScope(c)}
	}
	key := c + "\x00" + strconv.Itoa(parts)
	partTags.Lock()
	tags, ok := partTags.m[key]
	partTags.Unlock()
	if !ok {
		tags = make([]string, parts)
		width := clusterSlots / parts
		for p := range tags {
			for n := 0; ; n++ {
				tag := c + "~" + strconv.Itoa(n)
				if int(crc16(tag)%clusterSlots)/width == p {
					tags[p] = "{" + tag + "}"
					break
				}
			}
		}
		partTags.Lock()
		if len(partTags.m) > 10_000 {
			partTags.m = map[string][]string{}
		}
		partTags.m[key] = tags
		partTags.Unlock()
	}
	out := make([]scope, parts)
	for i, t := range tags {
		out[i] = scope(t)
	}
	return out
}

// partScope is the scope of bucket b of campaign c.
func partScope(c string, b, parts int) scope {
	if parts <= 1 {
		return campaignScope(c)
	}
	return partScopes(c, parts)[b%parts]
}

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM): a key's slot is
// crc16 of its hash tag mod 16384.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
