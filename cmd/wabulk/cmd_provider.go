package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/internal/term"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"

	"github.com/wabulk/wabulk/store"
)

func providerCmd() *cobra.Command {
	return group("provider", "provider accounts: status, pause, resume, check; the kinds this binary speaks", `
An account-level failure (bad credentials, no credit, a spam block, a wrong
base_url) pauses an account by itself; fix the cause, then resume it.
'provider check' tries an account's base_url and credentials before a
campaign does.`,
		providerStatusCmd(), providerPauseCmd(), providerResumeCmd(), providerCheckCmd(), providerKindsCmd())
}

// providerStore loads the config, checks the account names and opens the
// store.
func providerStore(cmd *cobra.Command, load func() (*config.Config, error), names []string) (*config.Config, *store.Store, func(), error) {
	cfg, err := load()
	if err != nil {
		return nil, nil, nil, err
	}
	for _, n := range names {
		if _, err := cfg.Provider(n); err != nil {
			return nil, nil, nil, err
		}
	}
	st, c, err := openStore(cmd.Context(), cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, st, c.Close, nil
}

func providerStatusCmd() *cobra.Command {
	c := command("status [NAME]", "pause, circuit breaker, rate and in-flight sends of one account, or of all", `
Shows, per account, whether it sends, is paused (why, since when) or has
its circuit breaker open (until when, why); then its configured rate, the
rate the limiter allows now (lower after the provider answered 429), and
how many of its messages are being sent and wait. The API's GET
/v1/accounts and the web console's providers page show the same.`,
		func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("give at most one provider account name")
			}
			return nil
		}, nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		for _, n := range args {
			if _, err := cfg.Provider(n); err != nil {
				return err
			}
		}
		st, conn, err := openStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		f, err := app.NewFleet(cfg, conn, st, producer.New(st, nil, app.ProducerConfig(cfg)))
		if err != nil {
			return err
		}
		accounts, err := f.Accounts(cmd.Context())
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		for _, a := range accounts {
			if len(args) == 1 && a.Name != args[0] {
				continue
			}
			fmt.Fprintf(out, "%s: %s\n", a.Name, describeAccount(a, time.Now()))
			fmt.Fprintf(out, "    %s; %d in flight, %d pending\n", describeRate(a), a.InFlight, a.Pending)
		}
		return nil
	}
	return c
}

// describeRate says an account's configured and current rate.
func describeRate(a fleet.Account) string {
	if a.Rate <= 0 {
		return "no rate limit"
	}
	s := "rate " + strconv.FormatFloat(a.Rate, 'f', -1, 64) + "/s"
	if a.Factor < 1 {
		s += fmt.Sprintf(", learned %.3g/s from the provider's 429s", a.CurrentRate)
	}
	return s
}

func providerPauseCmd() *cobra.Command {
	c := command("pause NAME", "stop sending on NAME: its messages wait (they do not fail)", "", exactly(1, "provider account name"), nil)
	fs := c.Flags()
	load := configFlag(fs)
	reason := fs.String("reason", "paused by an operator", "why (shown by provider status)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		_, st, closeFn, err := providerStore(cmd, load, args)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := st.PauseAccount(cmd.Context(), args[0], *reason); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s paused: its messages wait until 'wabulk provider resume %s'\n", args[0], args[0])
		return nil
	}
	return c
}

func providerResumeCmd() *cobra.Command {
	c := command("resume NAME", "send on NAME again", `
Also clears the shared open-breaker time; a worker whose own breaker opened
waits out its breaker_open_for.`, exactly(1, "provider account name"), nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		_, st, closeFn, err := providerStore(cmd, load, args)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := st.ResumeAccount(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s resumed: waiting messages go out as their deferrals come due (within worker.account_retry_delay)\n", args[0])
		return nil
	}
	return c
}

func providerKindsCmd() *cobra.Command {
	return command("kinds", "the provider kinds this binary speaks, with their account fields", `
For each kind: its fields (* required; secrets may come from ${VAR}s), what
base_url means, how receipts arrive and how its callbacks are authenticated.`, none,
		func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			for _, k := range providers.Kinds() {
				fmt.Fprintf(out, "%s — %s\n", k.Name, k.Title)
				for _, f := range k.Fields {
					mark := " "
					if f.Required {
						mark = "*"
					}
					secret := ""
					if f.Secret {
						secret = " (secret)"
					}
					fmt.Fprintf(out, "  %s %-16s %s%s\n", mark, f.Name, f.Help, secret)
				}
				fmt.Fprintf(out, "    base_url: %s\n", k.BaseURL.Means)
				if rule := k.BaseURL.Rule(); rule != "" {
					fmt.Fprintf(out, "      checked at start: %s\n", rule)
				}
				auth := make([]string, len(k.Webhook))
				for i, w := range k.Webhook {
					auth[i] = k.WebhookConfig(w)
				}
				check := "reaches base_url only (the provider documents no call that checks credentials without sending)"
				if canCheck(k) {
					check = "base_url and credentials, with a call that sends nothing"
				}
				fmt.Fprintf(out, "    provider check: %s\n", check)
				fmt.Fprintf(out, "    receipts: %s", k.Receipts)
				if len(auth) > 0 {
					fmt.Fprintf(out, "; callbacks authenticated by %s", strings.Join(auth, ", or "))
				}
				fmt.Fprintln(out)
			}
			return nil
		})
}

func describeAccount(a fleet.Account, now time.Time) string {
	var parts []string
	if a.Paused {
		parts = append(parts, fmt.Sprintf("PAUSED since %s: %s", a.PausedAt.Local().Format(time.DateTime), term.Clean(a.PauseReason)))
	}
	if now.Before(a.BreakerOpenUntil) {
		parts = append(parts, fmt.Sprintf("circuit breaker OPEN for %s more: %s", a.BreakerOpenUntil.Sub(now).Round(time.Second), term.Clean(a.BreakerReason)))
	}
	if len(parts) == 0 {
		return "sending"
	}
	return strings.Join(parts, "; ")
}

func providerCheckCmd() *cobra.Command {
	c := command("check [NAME]", "try each account's base_url and credentials: works, wrong credentials, wrong URL, unreachable", `
Makes one cheap authenticated call per account (one account with NAME)
that sends nothing and changes nothing, where the provider has one:
decisiontelecom's receive-whatsapp status query, tujenge's GET
/v1/stickerpacks, socnet's authentication request, meta's read of the
phone number. It prints, per account, one of:

  works              the provider accepted the credentials at base_url
  reachable          base_url answers; the provider (taqnyat, modica)
                     documents no call that checks credentials without
                     sending a message, so DNS, connection and TLS are all
                     that was checked
  wrong credentials  the provider refused them
  wrong URL          the provider's API does not answer at base_url (404)
  no credit, blocked the credentials work, the account cannot send
  unreachable        no answer: DNS, connection refused, TLS, timeout
  failed             any other answer (a 5xx, an unexpected body)

It needs the credentials (the environment variables of the config) but
not Redis. Exits 1 when any account is neither works nor reachable.`,
		func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("give at most one provider account name")
			}
			return nil
		}, nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		names := args
		if len(names) == 0 {
			names = cfg.ProviderNames()
		}
		var failed []string
		for _, n := range names {
			p, err := cfg.Provider(n)
			if err != nil {
				return err
			}
			verdict, detail := app.CheckAccount(cmd.Context(), cfg, p)
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%s): %s\n", n, p.Kind, verdict)
			fmt.Fprintf(cmd.OutOrStdout(), "    %s\n", detail)
			if !verdict.OK() {
				failed = append(failed, n)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%d of %d account(s) failed the check: %s", len(failed), len(names), strings.Join(failed, ", "))
		}
		return nil
	}
	return c
}

// canCheck reports whether kind k's adapter makes a credential check
// (providers.Checker), as an account pointed anywhere shows.
func canCheck(k *providers.Kind) bool {
	a, _ := k.Simulated("http://127.0.0.1")
	p, err := k.New(a)
	if err != nil {
		return false
	}
	_, ok := p.(providers.Checker)
	return ok
}
