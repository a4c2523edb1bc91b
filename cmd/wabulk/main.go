// Command wabulk is a durable, queue-based bulk WhatsApp sender.
//
// Run `wabulk help` for the commands, `wabulk COMMAND --help` for one.
// This package is the command line: each command's flags and what it
// prints. The parts it runs are assembled by internal/app from the config
// file (internal/config); the demo and the load tests are internal/loadtest.
package main

import (
	"strings"

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a graceful stop; a second one ends the
	// process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code: 0, 1 when the
// command failed, 2 when it was called wrongly.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	root := newRoot(out, errOut)
	if len(args) > 1 && args[0] == "help" {
		if c, _, err := root.Find(args[1:]); err != nil || c == root {
			fmt.Fprintf(errOut, "wabulk help: no command %q\nRun 'wabulk help' for the commands.\n", strings.Join(args[1:], " "))
			return 2
		}
	}
	root.SetArgs(goStyleFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := "wabulk"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if isUsage(err) {
		fmt.Fprintf(errOut, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return 2
	}
	var logged *loggedError
	if errors.As(err, &logged) {
		return 1 // its JSON log says it
	}
	fmt.Fprintf(errOut, "%s: %v\n", name, err)
	return 1
}

// loggedError is a long-running command's failure that its JSON log
// already holds as its last line: printed again as plain text, it would
// be the one line of the log that is not JSON.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// logFailure writes a long-running command's failure to its log when the
// log is JSON, as its last line.
func logFailure(err *error, format string, log *zap.Logger) {
	if *err == nil || format != "json" || isUsage(*err) {
		return
	}
	log.Error("stopped", zap.Error(*err))
	*err = &loggedError{*err}
}

// usageError is a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

// goStyleFlags rewrites "-name" and "-name=value" to "--name..." where name
// is a long flag of the command args run, so that scripts written for Go's
// flag package (-config, -reason) keep working. Shorthands (-c, -n, -o)
// and anything after "--" are left as they are.
func goStyleFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && (cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil) {
			out[i] = "-" + a
		}
	}
	return out
}
