package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/loadtest"
)

func importRSSCmd() *cobra.Command {
	var o loadtest.ImportRSSOptions
	var quiet bool
	c := command("import-rss", "peak memory of `wabulk import` on a large file and on hostile ones", `
Generates recipients files and imports each with "wabulk import" (this
binary) in a child process into the real Redis --redis names, under a key
prefix of its own, and prints each importer's peak RSS (getrusage's
ru_maxrss of the child): a clean file of -n rows, a 10 MB line, a row of 1M
columns, an unclosed quote on line 2 before 200 MB, a 200 MB JSONL line.
An import's memory must not grow with its input. The files go to a
temporary directory (or --dir) and are removed as they are measured; every
key made is removed at the end.`, none, nil)
	fs := c.Flags()
	fs.StringVar(&o.RedisURL, "redis", "", "the Redis URL the imports write to (required)")
	fs.IntVarP(&o.Rows, "n", "n", 1_000_000, "rows of the clean file")
	fs.StringVar(&o.Dir, "dir", "", "where the files are generated (default: a temporary directory)")
	fs.StringSliceVar(&o.Cases, "case", nil, "the inputs to import (default: all): rows, long-line, columns, unclosed-quote, jsonl-long-line")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "give up one import after this long")
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of the table")
	fs.StringVar(&o.Binary, "importer", "", "the wabulk binary that imports (default: this one), e.g. an earlier build to compare")
	fs.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if o.RedisURL == "" {
			return usagef("--redis is required: the importers are child processes")
		}
		if o.Binary == "" {
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			o.Binary = bin
		}
		return loadtest.ImportRSS(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	return c
}
