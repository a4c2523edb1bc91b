package producer

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// PreviewOptions configures Preview. Zero fields take the defaults named.
type PreviewOptions struct {
	// Format is the input format. Defaults to FormatCSV.
	Format Format
	// Rows is how many rendered rows the preview shows. Defaults to 5.
	Rows int
	// MaxRejects is how many rejected rows it lists (all are counted).
	// Defaults to 100.
	MaxRejects int
	// Rate is the account's configured rate for the admission estimate
	// (0 or less: none).
	Rate float64
	// DedupeLimit bounds the recipients remembered to count duplicates
	// within the input; past it duplicates are no longer counted
	// (Preview.DedupeCapped). Defaults to 1,000,000 (8 MB).
	DedupeLimit int
}

// PreviewRow is one row as its message would go out.
type PreviewRow struct {
	Line int64  `json:"line"`
	To   string `json:"to"`
	// Kind is the content's kind (text, template, image...).
	Kind string `json:"kind"`
	// Text is the rendered text, or for a template its name, language
	// and filled parameters; for media, its caption and URL.
	Text string `json:"text"`
	// Fallback is the rendered fallback template, if the spec has one.
	Fallback string `json:"fallback,omitempty"`
}

// Preview is what an import of the same spec and input would do, found
// without writing anything: the first rows rendered, the rows it would
// reject with their line numbers, how many recipients opted out, and the
// admission estimate.
type Preview struct {
	Campaign string `json:"campaign"`
	Account  string `json:"account"`
	// Exists: a campaign with this id and the same spec exists; importing
	// resumes it and skips the rows already imported.
	Exists  bool           `json:"exists"`
	Rows    []PreviewRow   `json:"rows"`
	Rejects []store.Reject `json:"rejects"`
	// Lines is how many data rows the input has; Valid how many would
	// become messages (before opt-outs and duplicates); Rejected,
	// Duplicate and OptedOut as in an import.
	Lines     int64 `json:"lines"`
	Valid     int64 `json:"valid"`
	Rejected  int64 `json:"rejected"`
	Duplicate int64 `json:"duplicate"`
	OptedOut  int64 `json:"opted_out"`
	// Messages is how many messages the import would create:
	// Valid - Duplicate - OptedOut.
	Messages int64 `json:"messages"`
	// DedupeCapped: the input had more recipients than
	// PreviewOptions.DedupeLimit, so duplicates past it are not counted.
	DedupeCapped bool `json:"dedupe_capped,omitempty"`
	// Estimate is admission control's answer for Messages at the
	// account's rate (nil without a rate).
	Estimate *Estimate `json:"estimate,omitempty"`
}

// Preview reads spec and the whole of r as Import would and says what an
// import would do, writing nothing (it reads the account's opt-outs, one
// round trip per batch). A spec that Import would refuse, or an input it
// could not read, is the same error here; a *CampaignConflictError when
// the id is taken by another spec.
func (p *Producer) Preview(ctx context.Context, spec *Spec, r io.Reader, opt PreviewOptions) (Preview, error) {
	if opt.Rows <= 0 {
		opt.Rows = 5
	}
	if opt.MaxRejects <= 0 {
		opt.MaxRejects = 100
	}
	if opt.DedupeLimit <= 0 {
		opt.DedupeLimit = 1_000_000
	}
	imp, _, err := p.newImportRun(spec, r, Options{Format: opt.Format})
	if err != nil {
		return Preview{}, err
	}
	pv := Preview{Campaign: imp.spec.ID, Account: imp.spec.Account, Rows: []PreviewRow{}, Rejects: []store.Reject{}}
	switch err := p.CheckSpec(ctx, imp.spec); {
	case err == nil:
		_, gerr := p.st.Campaign(ctx, imp.spec.ID)
		pv.Exists = gerr == nil
	default:
		return pv, err
	}
	imp.onReject = func(line int64, reason, text string) {
		if len(pv.Rejects) < opt.MaxRejects {
			pv.Rejects = append(pv.Rejects, store.Reject{Line: line, Reason: reason, Row: text})
		}
	}
	seed := maphash.MakeSeed()
	seen := make(map[uint64]struct{})
	size := p.cfg.BatchSize
	imp.batch = make([]pending, 0, size)
	flush := func() error {
		if len(imp.batch) == 0 {
			return nil
		}
		tos := make([]string, len(imp.batch))
		for i := range imp.batch {
			tos[i] = imp.batch[i].msg.To
		}
		out, err := p.st.OptedOutMany(ctx, imp.spec.Account, tos)
		if err != nil {
			return err
		}
		for i, pd := range imp.batch {
			pv.Valid++
			if out[i] {
				pv.OptedOut++
				continue
			}
			h := maphash.String(seed, pd.msg.To)
			if _, dup := seen[h]; dup {
				pv.Duplicate++
				continue
			}
			if len(seen) < opt.DedupeLimit {
				seen[h] = struct{}{}
			} else {
				pv.DedupeCapped = true
			}
			if len(pv.Rows) < opt.Rows {
				pv.Rows = append(pv.Rows, previewRow(pd))
			}
		}
		imp.batch = imp.batch[:0]
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return pv, err
		}
		row, err := imp.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return pv, ferr
			}
			return pv, err
		}
		imp.res.Lines++
		if err := imp.add(row); err != nil {
			return pv, err
		}
		if len(imp.batch) >= size {
			if err := flush(); err != nil {
				return pv, err
			}
		}
	}
	if err := flush(); err != nil {
		return pv, err
	}
	pv.Lines, pv.Rejected = imp.res.Lines, imp.res.Rejected
	pv.Messages = pv.Valid - pv.Duplicate - pv.OptedOut
	if opt.Rate > 0 {
		est, err := p.Admission(ctx, imp.spec, pv.Messages, opt.Rate)
		if err != nil {
			return pv, err
		}
		pv.Estimate = &est
	}
	return pv, nil
}

// previewRow says how pd's message would go out.
func previewRow(pd pending) PreviewRow {
	m := &pd.msg
	r := PreviewRow{Line: pd.line, To: m.To, Kind: string(m.Content.Kind()), Text: describeContent(&m.Content)}
	if m.Fallback != nil {
		r.Fallback = describeContent(&message.Content{Template: m.Fallback})
	}
	return r
}

// describeContent is a content's words: its text, its caption and URL, or
// its template's name, language and parameters.
func describeContent(c *message.Content) string {
	switch {
	case c.Text != nil:
		return c.Text.Body
	case c.Template != nil:
		t := c.Template
		s := t.Name + " (" + t.Language + ")"
		if len(t.Body) > 0 {
			s += ": " + strings.Join(t.Body, " · ")
		}
		return s
	}
	if m := c.MediaOf(); m != nil {
		s := m.URL
		if m.Caption != "" {
			s = m.Caption + " — " + s
		}
		return s
	}
	return string(c.Kind())
}
