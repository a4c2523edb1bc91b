package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/store"
)

// version is set at build time with -ldflags "-X main.version=...";
// otherwise it comes from the build's module and VCS information.
var version = ""

// The version /metrics shows (wabulk_build_info).
func init() { app.Version = versionString() }

func newRoot(out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "wabulk",
		Short: "durable bulk WhatsApp sending on Redis (asynq)",
		Long: `wabulk — durable bulk WhatsApp sending on Redis (asynq)

Start with 'wabulk demo'. Each command takes --help.
Configuration: a YAML file (--config, default ./wabulk.yaml or $WABULK_CONFIG); see examples/wabulk.yaml.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetVersionTemplate("wabulk {{.Version}}\n")
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.AddCommand(
		demoCmd(), workerCmd(), serveCmd(), importCmd(), campaignCmd(), providerCmd(), optOutCmd(),
		schedulerCmd(), simulateCmd(), loadtestCmd(), migrateCmd(), versionCmd(),
	)
	return root
}

// command is a leaf command: use is its usage line ("status ID"), long
// its --help text, and run gets the positional arguments args allowed.
func command(use, short, long string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Long: strings.TrimSpace(short + ".\n" + long), Args: args, RunE: run}
}

// group is a command made of subcommands; run alone it shows its help and
// fails as called wrongly.
func group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Long: strings.TrimSpace(short + ".\n" + long),
		// Its subcommands own every flag: "optout frob x -c f" is an
		// unknown subcommand, not an unknown -c.
		DisableFlagParsing: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 && !isHelp(args[0]) {
				return usagef("unknown subcommand %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			_ = cmd.Help()
			if len(args) > 0 && isHelp(args[0]) {
				return nil
			}
			return usagef("which subcommand?")
		}}
	c.AddCommand(subs...)
	return c
}

// exactly accepts n positional arguments, named in the error.
func exactly(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("give exactly %d %s (got %d)", n, what, len(args))
		}
		return nil
	}
}

// none accepts no positional argument.
func none(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// configFlag adds --config/-c and returns a loader for it.
func configFlag(fs *pflag.FlagSet) func() (*config.Config, error) {
	def := os.Getenv("WABULK_CONFIG")
	if def == "" {
		def = "wabulk.yaml"
	}
	path := fs.StringP("config", "c", def, "config file (YAML; see examples/wabulk.yaml); $WABULK_CONFIG sets the default")
	return func() (*config.Config, error) {
		if _, err := os.Stat(*path); err != nil {
			return nil, fmt.Errorf("config file %s: %w (pass --config FILE; examples/wabulk.yaml is a documented start)", *path, err)
		}
		return config.Load(*path)
	}
}

func versionCmd() *cobra.Command {
	return command("version", "print the version", `
Prints the version stamped at build time (-ldflags "-X main.version=..."),
else the module version and the VCS revision the binary was built from.`, none,
		func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "wabulk", versionString())
			return nil
		})
}

// versionString is the ldflags version, else what the build recorded:
// the module version (a tag, or "(devel)") and the VCS revision, time and
// whether the tree was modified.
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += fmt.Sprintf(" (%s %s%s)", rev, at, dirty)
	}
	return v + " " + bi.GoVersion
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "help" }

// openStore connects to the config's Redis (never hosting the embedded
// one) and opens the store on it; close closes the connection.
func openStore(ctx context.Context, cfg *config.Config) (st *store.Store, c *app.Conn, err error) {
	c, err = app.OpenRedis(ctx, cfg.Redis, false)
	if err != nil {
		return nil, nil, err
	}
	return store.New(c.RDB, app.StoreConfig(cfg.Redis)), c, nil
}
