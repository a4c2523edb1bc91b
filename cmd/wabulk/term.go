package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progress draws a bar on a terminal and prints a plain line every few
// seconds otherwise (logs, CI).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	every    time.Duration
	last     time.Time
	drawn    bool
	finished bool
	// percentOnly shows the share done but not the numbers (bytes read are
	// a good measure of progress but not something to show).
	percentOnly bool
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isTerminal(f)
	}
	every := 2 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	return &progress{w: w, tty: tty, every: every}
}

// update shows done of total (total 0: unknown) with a label; force
// draws regardless of the refresh interval.
func (p *progress) update(label string, done, total int64, extra string, force bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	pct := ""
	bar := ""
	if total > 0 {
		f := float64(done) / float64(total)
		if f > 1 {
			f = 1
		}
		pct = fmt.Sprintf("%5.1f%%", 100*f)
		if p.tty {
			const width = 30
			n := int(f * width)
			bar = "[" + strings.Repeat("█", n) + strings.Repeat("░", width-n) + "] "
		}
	}
	line := fmt.Sprintf("%s %s%s", label, bar, pct)
	if !p.percentOnly {
		line += fmt.Sprintf(" %d", done)
		if total > 0 {
			line += fmt.Sprintf("/%d", total)
		}
	}
	if extra != "" {
		line += "  " + extra
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done ends the bar's line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn && !p.finished {
		fmt.Fprintln(p.w)
	}
	p.finished = true
}
