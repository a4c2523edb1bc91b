package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// Keys that differ only in ids, numbers and dates fall in one family.
func TestFootprintFamilies(t *testing.T) {
	t.Parallel()
	f := &families{prefix: "fp12ab:", campaign: "spring-sale", account: "fp"}
	for key, want := range map[string]string{
		"asynq:{fp12ab:normal}:t:spring-sale:+255710000001": "asynq:{normal}:t:{campaign}:*",
		"asynq:{fp12ab:normal}:pending":                     "asynq:{normal}:pending",
		"asynq:{fp12ab:normal}:processed:2026-12-05":        "asynq:{normal}:processed:*",
		"fp12ab:msg:spring-sale:+255710000001":              "<prefix>msg:{campaign}:*",
		"fp12ab:campaign:spring-sale:members":               "<prefix>campaign:{campaign}:members",
		"fp12ab:pmid:fp:gBEG8A9B27711":                      "<prefix>pmid:{account}:*",
	} {
		if got := f.family(key); got != want {
			t.Errorf("family(%q) = %q, want %q", key, got, want)
		}
	}
}

// On a real Redis, footprint measures both phases, finds the task hashes
// while queued and none once finished, and leaves no key behind.
func TestFootprintMeasuresAndCleansUp(t *testing.T) {
	if !storetest.Real() {
		t.Skip("INFO memory needs a real Redis: set " + storetest.EnvVar)
	}
	if testing.Short() {
		t.Skip("imports and sends a small campaign")
	}
	t.Parallel()
	url := strings.TrimSpace(os.Getenv(storetest.EnvVar))
	if !strings.Contains(url, "://") {
		url = "redis://" + url
	}
	var out bytes.Buffer
	err := Footprint(context.Background(), FootprintOptions{RedisURL: url, N: 300, Concurrency: 10, Timeout: time.Minute, JSON: true}, &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var rep footprintReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	keys := func(fams []familyStat, name string) int64 {
		for _, f := range fams {
			if f.Family == name {
				return f.Keys
			}
		}
		return 0
	}
	const tasks, records = "asynq:{normal}:t:{campaign}:*", "<prefix>msg:{campaign}:*"
	// Records are packed into the campaign's buckets: 16 for 300
	// recipients, every one holding some.
	buckets := int64(store.BucketsFor(300))
	if rep.Recipients != 300 || rep.Outcomes["accepted"] != 300 || keys(rep.QueuedFamilies, tasks) != 300 ||
		keys(rep.QueuedFamilies, records) != buckets || keys(rep.FinishedFamilies, tasks) != 0 || keys(rep.FinishedFamilies, records) != buckets {
		t.Errorf("report %s", out.String())
	}
	// used_memory's delta is not asserted: other packages' tests share
	// this Redis and move it. The run's own keys are measured one by one.
	for _, ph := range []struct {
		name string
		fams []familyStat
	}{{"queued", rep.QueuedFamilies}, {"finished", rep.FinishedFamilies}} {
		var recs float64
		for _, f := range ph.fams {
			if f.Family == records {
				recs = f.PerRecipient
			}
		}
		if recs <= 0 || familyBytes(ph.fams) <= 0 {
			t.Errorf("%s: %.1f B of records per recipient, %d B in all", ph.name, recs, familyBytes(ph.fams))
		}
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	// The run's prefix is fp + 4 hex digits; tests of other packages use
	// other prefixes.
	for _, pattern := range []string{"fp[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*", "asynq:{fp[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*"} {
		left, _, err := rdb.Scan(context.Background(), 0, pattern, 100_000).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%d keys left behind, e.g. %s", len(left), left[0])
		}
	}
}
