package main

import (
	"context"
	"fmt"
	"io"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

func runOptOut(ctx context.Context, args []string, out, errOut io.Writer) error {
	const about = `
A provider account's suppression list: contacts that get no messages from it.
Workers end a message to a listed contact opted_out without sending it, and
imports skip the contact (counted as opted_out, no record, no reject).

  add ACCOUNT CONTACT [--reason]  put CONTACT on ACCOUNT's list
  remove ACCOUNT CONTACT          take CONTACT off it (opt back in)
  list ACCOUNT                    print the listed contacts, one a line

CONTACT is a phone number, normalized to E.164 with the config's
default_region. Contacts also opt out by writing an opt-out keyword (STOP,
UNSUBSCRIBE, ACHA, СТОП, ...; worker.opt_out_keywords) and back in with an
opt-in keyword (START, ...; worker.opt_in_keywords).`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		flags("optout", "add|remove|list ACCOUNT [CONTACT] [flags]", about, errOut).Usage()
		if len(args) == 0 {
			return usagef("which subcommand? add, remove or list")
		}
		return nil
	}
	sub := args[0]
	fs := flags("optout "+sub, "ACCOUNT [CONTACT] [--config FILE]", about, errOut)
	load := configFlag(fs)
	reason := fs.String("reason", "added by an operator", "why (add only)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	want := 2
	switch sub {
	case "add", "remove":
	case "list":
		want = 1
	default:
		return usagef("unknown subcommand %q (add, remove, list)", sub)
	}
	if len(pos) != want {
		if want == 1 {
			return usagef("give one provider account name")
		}
		return usagef("give a provider account name and a contact's phone number")
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	account := pos[0]
	if _, err := cfg.Provider(account); err != nil {
		return err
	}
	var contact string
	if want == 2 {
		if contact, err = message.NormalizePhone(pos[1], cfg.DefaultRegion); err != nil {
			return usagef("contact %v", err)
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
		if err := st.OptOut(ctx, account, contact, *reason); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s opted out of %s: its messages end opted_out, imports skip it\n", contact, account)
	case "remove":
		was, err := st.OptedOut(ctx, account, contact)
		if err != nil {
			return err
		}
		if !was {
			fmt.Fprintf(out, "%s was not opted out of %s; nothing to do\n", contact, account)
			return nil
		}
		if err := st.OptIn(ctx, account, contact); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s opted back in to %s: new messages to it are sent\n", contact, account)
	case "list":
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
