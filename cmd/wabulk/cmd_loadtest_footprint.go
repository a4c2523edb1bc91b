package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/loadtest"
)

func footprintCmd() *cobra.Command {
	var o loadtest.FootprintOptions
	var quiet bool
	c := command("footprint", "Redis memory per queued and per finished recipient", `
Imports -n recipients of a text campaign into the real Redis --redis names,
under a key prefix of its own and with no worker running, and reads INFO
memory's used_memory before and after: bytes per queued recipient (asynq
task, message record, indexes). Then an in-process worker drains the
campaign against the simulator and used_memory is read again: bytes per
finished recipient. After each phase the keys are grouped by family
(asynq task hashes, pending list, records, members list, provider id
index, counters...) and MEMORY USAGE of a sample of each gives its share.
The recipients' 24-hour windows are opened before the baseline, so they are
not counted. Every key it made is removed at the end.`, none, nil)
	fs := c.Flags()
	fs.StringVar(&o.Kind, "provider", "tujenge", "provider kind to simulate: "+strings.Join(simulatedKinds(), ", "))
	fs.StringVar(&o.RedisURL, "redis", "", "the Redis URL to measure (required)")
	fs.IntVarP(&o.N, "n", "n", 100_000, "recipients")
	fs.StringVar(&o.CampaignID, "campaign", "spring-sale", "the campaign id (its length is in every key and task)")
	fs.IntVar(&o.Concurrency, "concurrency", 50, "worker concurrency while draining")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up draining after this long")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object instead of the tables")
	fs.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		switch {
		case o.RedisURL == "":
			return usagef("--redis is required: the footprint is measured on a real Redis")
		case o.N <= 0:
			return usagef("-n must be positive")
		}
		if err := checkSimulated(o.Kind); err != nil {
			return err
		}
		return loadtest.Footprint(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	return c
}
