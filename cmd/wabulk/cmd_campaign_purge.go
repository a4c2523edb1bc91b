package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/store"
)

func campaignPurgeCmd() *cobra.Command {
	c := command("purge ID", "delete a campaign and its messages' records now", `
Deletes a campaign before its retention ends: every message's record and
provider-id entry, its member list, counters and summary. Receipts that
arrive later find nothing to update. Keep what you need first:
'wabulk campaign report ID > outcomes.csv' writes every recipient's outcome.

Without --force a campaign with messages still queued or sending is left
alone (cancel it and let it drain first); with --force their tasks find no
record and are archived by the workers.

Without purge, finished records expire on their own after redis.retention
(default 30d) and campaign summaries after redis.campaign_retention
(default 400d).`, exactly(1, "campaign ID"), nil)
	load := configFlag(c.Flags())
	force := c.Flags().Bool("force", false, "purge even with messages queued or sending")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		o, err := openCampaign(cmd.Context(), load, args[0])
		if err != nil {
			return err
		}
		defer o.conn.Close()
		n, err := o.st.PurgeCampaign(cmd.Context(), o.id, *force)
		if errors.Is(err, store.ErrCampaignPending) {
			return fmt.Errorf("%w: cancel it ('wabulk campaign cancel %s') and let it drain, or purge with --force", err, o.id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "campaign %s purged: %d message records deleted\n", o.id, n)
		return nil
	}
	return c
}

func migrateCmd() *cobra.Command {
	c := command("migrate", "move Redis data written by an earlier wabulk to this version's key layout", `
This version keeps its keys in a layout that Redis Cluster can spread over
its masters (hash tags by campaign and account), with a campaign's records
packed into bucket hashes and the provider-id index into per-day buckets.
Every wabulk process refuses a Redis that holds data in an earlier layout,
and says so. Stop every worker, serve, scheduler and import, then run this
once; it moves the keys in place (safe to run again if interrupted) and
marks the keyspace with the layout version. On a Cluster it visits every
master.`, none, nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		st, conn, err := openStore(app.WithoutLayoutCheck(cmd.Context()), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		out := cmd.OutOrStdout()
		n, err := st.MigrateLayout(cmd.Context(), func(n int) { fmt.Fprintf(cmd.ErrOrStderr(), "migrate: %d keys moved\n", n) })
		if err != nil {
			return fmt.Errorf("after %d keys: %w", n, err)
		}
		fmt.Fprintf(out, "Redis holds key layout %d now (%d keys moved)\n", store.LayoutVersion, n)
		return nil
	}
	return c
}
