package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"

	"github.com/wabulk/wabulk/message"
)

// optOutAbout explains contacts and keywords, for each optout command.
const optOutAbout = `
CONTACT is a phone number, normalized to E.164 with the config's
default_region. Contacts also opt out by writing an opt-out keyword (STOP,
UNSUBSCRIBE, ACHA, СТОП, ...; worker.opt_out_keywords) and back in with an
opt-in keyword (START, ...; worker.opt_in_keywords).`

// registryAbout explains the provider's own list, for add and remove.
const registryAbout = `

For a provider that keeps its own opt-in list (Taqnyat), this also calls its
API after wabulk's list is changed; --local-only skips that. The call is safe
to repeat: if it fails, run the command again.`

func optOutCmd() *cobra.Command {
	return group("optout", "a provider account's suppression list: add, remove, list", `
Contacts that get no messages from an account: workers end a message to a
listed contact opted_out without sending it, and imports skip the contact
(counted as opted_out, no record, no reject).`+optOutAbout,
		optOutChangeCmd(true), optOutChangeCmd(false), optOutListCmd())
}

// optOutTarget is an account of the config and contacts normalized with
// its default_region.
func optOutTarget(cfg *config.Config, account string, numbers []string) (*config.ProviderConfig, []string, error) {
	pc, err := cfg.Provider(account)
	if err != nil {
		return nil, nil, err
	}
	contacts := make([]string, 0, len(numbers))
	for _, n := range numbers {
		c, err := message.NormalizePhone(n, cfg.DefaultRegion)
		if err != nil {
			return nil, nil, usagef("contact %v", err)
		}
		contacts = append(contacts, c)
	}
	return pc, contacts, nil
}

// optOutChangeCmd is optout add (add) or optout remove.
func optOutChangeCmd(add bool) *cobra.Command {
	use, short := "remove ACCOUNT CONTACT...", "take contacts off ACCOUNT's list (opt them back in)"
	if add {
		use, short = "add ACCOUNT CONTACT...", "put contacts on ACCOUNT's list"
	}
	c := command(use, short, optOutAbout+registryAbout, func(_ *cobra.Command, args []string) error {
		if len(args) < 2 {
			return usagef("give a provider account name and at least one contact's phone number")
		}
		return nil
	}, nil)
	fs := c.Flags()
	load := configFlag(fs)
	var reason *string
	if add {
		reason = fs.String("reason", "added by an operator", "why (kept with the entry)")
	}
	localOnly := fs.Bool("local-only", false, "change wabulk's list only, not the provider's")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		cfg, err := load()
		if err != nil {
			return err
		}
		account := args[0]
		pc, contacts, err := optOutTarget(cfg, account, args[1:])
		if err != nil {
			return err
		}
		// The provider's registry, when it has one: built before anything
		// changes, so missing credentials stop the command up front.
		var registry providers.OptInRegistry
		if !*localOnly {
			if registry, err = providerRegistry(cfg, pc); err != nil {
				return err
			}
		}
		st, c, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		if add {
			for _, contact := range contacts {
				if err := st.OptOut(ctx, account, contact, *reason); err != nil {
					return err
				}
				fmt.Fprintf(out, "%s opted out of %s: its messages end opted_out, imports skip it\n", contact, account)
			}
			return syncRegistry(ctx, registry, false, pc, contacts, out)
		}
		for _, contact := range contacts {
			was, err := st.OptedOut(ctx, account, contact)
			if err != nil {
				return err
			}
			if !was {
				fmt.Fprintf(out, "%s was not opted out of %s\n", contact, account)
				continue
			}
			if err := st.OptIn(ctx, account, contact); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s opted back in to %s: new messages to it are sent\n", contact, account)
		}
		return syncRegistry(ctx, registry, true, pc, contacts, out)
	}
	return c
}

// marketingAbout explains the marketing stops optout list shows.
const marketingAbout = `

A contact that stopped the account's marketing messages in WhatsApp (the
Cloud API's user_preferences, received on the account's webhook) is listed
as "CONTACT marketing": it gets no marketing template (nor one that declares
no category), but utility and authentication templates still go. The stop
lifts when the contact resumes marketing messages in WhatsApp; it is not on
the list optout add and remove change.`

func optOutListCmd() *cobra.Command {
	c := command("list ACCOUNT", "print ACCOUNT's opted-out contacts, one a line, and those that stopped its marketing messages", optOutAbout+marketingAbout, exactly(1, "provider account name"), nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		cfg, err := load()
		if err != nil {
			return err
		}
		account := args[0]
		if _, err := cfg.Provider(account); err != nil {
			return err
		}
		st, c, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		list, err := st.OptOuts(ctx, account)
		if err != nil {
			return err
		}
		for _, contact := range list {
			fmt.Fprintln(out, contact)
		}
		stops, err := st.MarketingStops(ctx, account)
		if err != nil {
			return err
		}
		marketing := 0
		for _, contact := range stops {
			if slices.Contains(list, contact) {
				continue // opted out of everything already
			}
			fmt.Fprintln(out, contact, "marketing")
			marketing++
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%d contact(s) opted out of %s", len(list), account)
		if marketing > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "; %d more stopped its marketing messages only", marketing)
		}
		fmt.Fprintln(cmd.ErrOrStderr())
		return nil
	}
	return c
}

// providerRegistry returns account pc's opt-in registry, or nil when its
// provider keeps none.
func providerRegistry(cfg *config.Config, pc *config.ProviderConfig) (providers.OptInRegistry, error) {
	if k, err := pc.KindOf(); err != nil || !k.OptInList {
		return nil, err
	}
	one := *cfg
	one.Providers = []config.ProviderConfig{*pc}
	if err := one.RequireCredentials(); err != nil {
		return nil, fmt.Errorf("%w\n(%s keeps its own opt-in list, which this command updates; --local-only changes wabulk's list only)", err, pc.Name)
	}
	prov, err := app.BuildProvider(pc)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
	}
	reg, ok := prov.(providers.OptInRegistry)
	if !ok {
		return nil, nil
	}
	return reg, nil
}

// syncRegistry calls the provider's opt-in or opt-out API for contacts
// when the account has a registry.
func syncRegistry(ctx context.Context, reg providers.OptInRegistry, optIn bool, pc *config.ProviderConfig, contacts []string, out io.Writer) error {
	if reg == nil {
		return nil
	}
	call, what := reg.OptOut, "opt-out"
	if optIn {
		call, what = reg.OptIn, "opt-in"
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := call(ctx, contacts...); err != nil {
		return fmt.Errorf("wabulk's list is changed, but %s's %s API failed (run the command again to retry; it is safe to repeat): %w", pc.Name, what, err)
	}
	fmt.Fprintf(out, "%s's %s list updated for %d contact(s)\n", pc.Name, what, len(contacts))
	return nil
}
