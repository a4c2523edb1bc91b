package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ImportRSSOptions configures the import memory measurement.
type ImportRSSOptions struct {
	// Binary is the wabulk executable each import runs as, a child process
	// whose peak RSS is read when it ends (required).
	Binary string
	// RedisURL is the Redis the imports write to (required), under a key
	// prefix of their own, removed at the end.
	RedisURL string
	// Rows is the clean file's data rows. Defaults to 1,000,000.
	Rows int
	// Dir is where the input files are generated. Defaults to a temporary
	// directory, removed at the end.
	Dir string
	// Cases names the inputs to import, in order; empty: every one of
	// ImportRSSCases.
	Cases   []string
	Timeout time.Duration // for each import; defaults to 30m
	JSON    bool
}

// ImportRSSCases are the inputs loadtest import-rss knows: a clean file,
// then hostile ones (a 10 MB line, a row of 1M columns, an unclosed quote
// on line 2 before 200 MB, a 200 MB JSONL line).
var ImportRSSCases = []string{"rows", "long-line", "columns", "unclosed-quote", "jsonl-long-line"}

// importRSSResult is one import's measurement.
type importRSSResult struct {
	Case      string `json:"case"`
	FileBytes int64  `json:"file_bytes"`
	// MaxRSSKiB is the importer's peak resident set (getrusage's ru_maxrss
	// of the child: VmHWM).
	MaxRSSKiB int64   `json:"max_rss_kib"`
	Seconds   float64 `json:"seconds"`
	// Exit is the importer's exit code: 0, or 1 when the input stops the
	// import (the unclosed quote); Said is its last line on stderr then.
	Exit int    `json:"exit"`
	Said string `json:"said,omitempty"`
	// Summary is the counts the importer printed.
	Summary string `json:"summary"`
}

// ImportRSS generates each input and imports it with `wabulk import` in a
// child process, reporting the child's peak RSS: an import's memory must
// not grow with its input, however hostile.
func ImportRSS(ctx context.Context, o ImportRSSOptions, out io.Writer, progress io.Writer) error {
	if o.Binary == "" || o.RedisURL == "" {
		return errors.New("import-rss: the wabulk binary and a Redis URL are required")
	}
	if o.Rows <= 0 {
		o.Rows = 1_000_000
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if len(o.Cases) == 0 {
		o.Cases = ImportRSSCases
	}
	for _, c := range o.Cases {
		if !containsString(ImportRSSCases, c) {
			return fmt.Errorf("import-rss: unknown case %q (have: %s)", c, strings.Join(ImportRSSCases, ", "))
		}
	}
	rdb, _, closeRedis, err := loadRedis(ctx, o.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := "rss" + randHex(3) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "wabulk-import-rss-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	cfgPath := filepath.Join(dir, "wabulk.yaml")
	cfg := fmt.Sprintf("redis: {url: %q, prefix: %q}\nproviders:\n  - {name: rss, kind: tujenge, api_key: unused}\n", o.RedisURL, prefix)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	var results []importRSSResult
	for i, c := range o.Cases {
		path := filepath.Join(dir, c+".csv")
		if c == "jsonl-long-line" {
			path = filepath.Join(dir, c+".jsonl")
		}
		fmt.Fprintf(progress, "import-rss: %s: generating %s\n", c, path)
		size, err := generateImportCase(c, path, o.Rows)
		if err != nil {
			return fmt.Errorf("generate %s: %w", c, err)
		}
		spec := filepath.Join(dir, c+".spec.yaml")
		if err := os.WriteFile(spec, fmt.Appendf(nil, "id: rss-%d-%s\naccount: rss\nmessage: {text: {body: \"Hi {{name}}, your code is {{code}}\"}}\n", i, c), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(progress, "import-rss: %s: importing %d bytes\n", c, size)
		r, err := runImport(ctx, o, cfgPath, spec, path)
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		r.Case, r.FileBytes = c, size
		_ = os.Remove(path)
		results = append(results, r)
	}
	if o.JSON {
		return writeJSON(out, results)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tfile MB\tpeak RSS MB\tseconds\texit\tresult")
	for _, r := range results {
		said := r.Summary
		if r.Exit != 0 {
			said = r.Said
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%s\n", r.Case, float64(r.FileBytes)/1e6, float64(r.MaxRSSKiB)/1024, r.Seconds, r.Exit, said)
	}
	return tw.Flush()
}

// runImport runs one `wabulk import` and reads its peak RSS.
func runImport(ctx context.Context, o ImportRSSOptions, cfgPath, spec, path string) (importRSSResult, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Binary, "import", "--config", cfgPath, "--spec", spec, "--csv", path, "--quiet",
		"--rejects", path+".rejects.csv")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := importRSSResult{Seconds: time.Since(start).Seconds(), Summary: summaryLine(stdout.String())}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.Exit = exit.ExitCode()
		r.Said = lastLine(stderr.String())
	case err != nil:
		return r, fmt.Errorf("wabulk import: %w: %s", err, lastLine(stderr.String()))
	}
	if cmd.ProcessState == nil {
		return r, errors.New("wabulk import did not run")
	}
	r.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	_ = os.Remove(path + ".rejects.csv")
	return r, nil
}

// summaryLine squeezes the importer's summary onto one line.
func summaryLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	return strings.Join(parts, ", ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// generateImportCase writes the input of case c to path and returns its
// size.
func generateImportCase(c, path string, rows int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	row := func(i int) {
		w.WriteString("+25571")
		w.WriteString(fmt.Sprintf("%07d", i%10_000_000))
		w.WriteString(",Name")
		w.WriteString(strconv.Itoa(i))
		w.WriteString(",C")
		w.WriteString(strconv.Itoa(i))
		w.WriteByte('\n')
	}
	repeat := func(s string, n int) {
		for range n {
			w.WriteString(s)
		}
	}
	switch c {
	case "rows":
		w.WriteString("phone,name,code\n")
		for i := range rows {
			row(i)
		}
	case "long-line": // a 10 MB line between two good rows
		w.WriteString("phone,name,code\n")
		row(1)
		w.WriteString("+255710000002,")
		repeat("x", 10<<20)
		w.WriteString(",C2\n")
		row(3)
	case "columns": // 1M columns in about 10 MB, between two good rows
		w.WriteString("phone,name,code\n")
		row(1)
		repeat("123456789,", 1<<20)
		w.WriteString("\n")
		row(3)
	case "unclosed-quote": // a quote opened on line 2, then 200 MB of rows
		w.WriteString("phone,name,code\n")
		w.WriteString("+255710000001,\"Amina,A1\n")
		for i := 0; ; i++ {
			row(i)
			if i%1000 == 0 {
				if st, err := f.Stat(); err == nil && st.Size() > 200<<20 {
					break
				}
			}
		}
	case "jsonl-long-line": // one 200 MB JSONL line without a line break, then a good one
		w.WriteString(`{"phone":"+255710000001","name":"`)
		repeat(strings.Repeat("x", 1<<10), 200<<10)
		w.WriteString(`","code":"A1"}` + "\n")
		w.WriteString(`{"phone":"+255710000002","name":"Baraka","code":"B2"}` + "\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}
