package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wabulk/wabulk/store"
)

func runProvider(ctx context.Context, args []string, out, errOut io.Writer) error {
	const about = `
Provider accounts' shared state, for operators.

  status [NAME]          pause, open circuit breaker, for one account or all
  pause NAME [--reason]  stop sending on NAME: its messages wait (they do not fail)
  resume NAME            send again (also clears the shared open-breaker time;
                         a worker whose own breaker opened waits out its
                         breaker_open_for)

An account-level failure (bad credentials, no credit, a spam block, a wrong
base_url) pauses an account by itself; fix the cause, then resume it.`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		flags("provider", "status|pause|resume [NAME] [flags]", about, errOut).Usage()
		if len(args) == 0 {
			return usagef("which subcommand? status, pause or resume")
		}
		return nil
	}
	sub := args[0]
	fs := flags("provider "+sub, "NAME [--config FILE]", about, errOut)
	load := configFlag(fs)
	reason := fs.String("reason", "paused by an operator", "why (pause only)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	names := cfg.providerNames()
	switch {
	case len(pos) == 1:
		if _, err := cfg.Provider(pos[0]); err != nil {
			return err
		}
		names = pos
	case len(pos) > 1 || (len(pos) == 0 && sub != "status"):
		return usagef("give one provider account name (have: %s)", strings.Join(names, ", "))
	}
	c, err := openRedis(ctx, cfg.Redis, false)
	if err != nil {
		return err
	}
	defer c.Close()
	st := store.New(c.rdb, store.Config{Prefix: cfg.Redis.Prefix})
	switch sub {
	case "pause":
		if err := st.PauseAccount(ctx, names[0], *reason); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s paused: its messages wait until `wabulk provider resume %s`\n", names[0], names[0])
	case "resume":
		if err := st.ResumeAccount(ctx, names[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s resumed: waiting messages go out as their deferrals come due (within worker.account_retry_delay)\n", names[0])
	case "status":
		for _, n := range names {
			a, err := st.Account(ctx, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %s\n", n, describeAccount(a, time.Now()))
		}
	default:
		return usagef("unknown subcommand %q (status, pause, resume)", sub)
	}
	return nil
}

func describeAccount(a store.AccountState, now time.Time) string {
	var parts []string
	if a.Paused {
		parts = append(parts, fmt.Sprintf("PAUSED since %s: %s", a.PausedAt.Local().Format(time.DateTime), a.PauseReason))
	}
	if now.Before(a.OpenUntil) {
		parts = append(parts, fmt.Sprintf("circuit breaker OPEN for %s more: %s", a.OpenUntil.Sub(now).Round(time.Second), a.OpenReason))
	}
	if len(parts) == 0 {
		return "sending"
	}
	return strings.Join(parts, "; ")
}
