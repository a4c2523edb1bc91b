package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// optInRegistry is a provider that keeps its own opt-in list, which
// `wabulk optout` keeps in step with ours (Taqnyat's /provision/optin/).
type optInRegistry interface {
	OptIn(ctx context.Context, numbers ...string) error
	OptOut(ctx context.Context, numbers ...string) error
}

func runOptOut(ctx context.Context, args []string, out, errOut io.Writer) error {
	const about = `
A provider account's suppression list: contacts that get no messages from it.
Workers end a message to a listed contact opted_out without sending it, and
imports skip the contact (counted as opted_out, no record, no reject).

  add ACCOUNT CONTACT... [--reason]  put the contacts on ACCOUNT's list
  remove ACCOUNT CONTACT...          take them off it (opt back in)
  list ACCOUNT                       print the listed contacts, one a line

CONTACT is a phone number, normalized to E.164 with the config's
default_region. Contacts also opt out by writing an opt-out keyword (STOP,
UNSUBSCRIBE, ACHA, СТОП, ...; worker.opt_out_keywords) and back in with an
opt-in keyword (START, ...; worker.opt_in_keywords).

For a provider that keeps its own opt-in list (Taqnyat), add and remove also
call its API (opt-out, opt-in) after wabulk's list is changed; --local-only
skips that. The call is safe to repeat: if it fails, run the command again.`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		flags("optout", "add|remove|list ACCOUNT [CONTACT...] [flags]", about, errOut).Usage()
		if len(args) == 0 {
			return usagef("which subcommand? add, remove or list")
		}
		return nil
	}
	sub := args[0]
	fs := flags("optout "+sub, "ACCOUNT [CONTACT...] [--config FILE]", about, errOut)
	load := configFlag(fs)
	reason := fs.String("reason", "added by an operator", "why (add only)")
	localOnly := fs.Bool("local-only", false, "change wabulk's list only, not the provider's (add, remove)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "add", "remove":
		if len(pos) < 2 {
			return usagef("give a provider account name and at least one contact's phone number")
		}
	case "list":
		if len(pos) != 1 {
			return usagef("give one provider account name")
		}
	default:
		return usagef("unknown subcommand %q (add, remove, list)", sub)
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	account := pos[0]
	pc, err := cfg.Provider(account)
	if err != nil {
		return err
	}
	contacts := make([]string, 0, len(pos)-1)
	for _, p := range pos[1:] {
		c, err := message.NormalizePhone(p, cfg.DefaultRegion)
		if err != nil {
			return usagef("contact %v", err)
		}
		contacts = append(contacts, c)
	}
	// The provider's registry, when it has one: built before anything
	// changes, so missing credentials stop the command up front.
	var registry optInRegistry
	if sub != "list" && !*localOnly {
		if registry, err = providerRegistry(cfg, pc); err != nil {
			return err
		}
	}
	c, err := openRedis(ctx, cfg.Redis, false)
	if err != nil {
		return err
	}
	defer c.Close()
	st := store.New(c.rdb, store.Config{Prefix: cfg.Redis.Prefix})
	switch sub {
	case "add":
		for _, contact := range contacts {
			if err := st.OptOut(ctx, account, contact, *reason); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s opted out of %s: its messages end opted_out, imports skip it\n", contact, account)
		}
		return syncRegistry(ctx, registry, false, pc, contacts, out)
	case "remove":
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
	default: // list
		list, err := st.OptOuts(ctx, account)
		if err != nil {
			return err
		}
		for _, contact := range list {
			fmt.Fprintln(out, contact)
		}
		fmt.Fprintf(errOut, "%d contact(s) opted out of %s\n", len(list), account)
	}
	return nil
}

// providerRegistry returns account pc's opt-in registry, or nil when its
// provider keeps none.
func providerRegistry(cfg *Config, pc *ProviderConfig) (optInRegistry, error) {
	if pc.Kind != "taqnyat" {
		return nil, nil
	}
	one := *cfg
	one.Providers = []ProviderConfig{*pc}
	if err := one.RequireCredentials(); err != nil {
		return nil, fmt.Errorf("%w\n(%s keeps its own opt-in list, which this command updates; --local-only changes wabulk's list only)", err, pc.Name)
	}
	prov, err := buildProvider(*pc)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
	}
	reg, ok := prov.(optInRegistry)
	if !ok {
		return nil, nil
	}
	return reg, nil
}

// syncRegistry calls the provider's opt-in or opt-out API for contacts
// when the account has a registry.
func syncRegistry(ctx context.Context, reg optInRegistry, optIn bool, pc *ProviderConfig, contacts []string, out io.Writer) error {
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
