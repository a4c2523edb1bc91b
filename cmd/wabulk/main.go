// Command wabulk is a durable, queue-based bulk WhatsApp sender.
//
// Run `wabulk help` for the commands, `wabulk COMMAND --help` for one.
// This package is the command line: each command's flags and what it
// prints. The parts it runs are assembled by internal/app from the config
// file (internal/config); the demo and the load tests are internal/loadtest.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
	root.SetArgs(args)
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
	fmt.Fprintf(errOut, "%s: %v\n", name, err)
	return 1
}

// usageError is a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}
