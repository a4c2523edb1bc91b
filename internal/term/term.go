// Package term draws what wabulk's commands show people on a terminal: a
// progress bar that redraws in place on a TTY and prints a plain line every
// few seconds elsewhere (logs, CI).
package term

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Progress draws a bar on a terminal and prints a plain line every few
// seconds otherwise (logs, CI).
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	every    time.Duration
	last     time.Time
	drawn    bool
	finished bool
	// PercentOnly shows the share done but not the numbers (bytes read are
	// a good measure of progress but not something to show).
	PercentOnly bool
}

func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = IsTerminal(f)
	}
	every := 2 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	return &Progress{w: w, tty: tty, every: every}
}

// Update shows done of total (total 0: unknown) with a label; force
// draws regardless of the refresh interval.
func (p *Progress) Update(label string, done, total int64, extra string, force bool) {
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
	if !p.PercentOnly {
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

// Done ends the bar's line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn && !p.finished {
		fmt.Fprintln(p.w)
	}
	p.finished = true
}

// TTY reports whether the bar redraws in place (its writer is a terminal).
func (p *Progress) TTY() bool { return p.tty }
