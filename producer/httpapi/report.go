package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// getReport streams a campaign's report (producer.Producer.Report): one
// row per recipient, CSV by default or JSONL with ?format=jsonl. CSV cells
// a spreadsheet would evaluate are neutralised (producer.SafeCell) unless
// ?raw=true.
func (a *API) getReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := producer.FormatCSV
	if q := r.URL.Query().Get("format"); q != "" {
		var err error
		if f, err = ParseFormat(q); err != nil {
			a.fail(w, invalid("format", "format: %v", err))
			return
		}
	}
	var opt producer.ReportOptions
	switch q := r.URL.Query().Get("raw"); q {
	case "", "false":
	case "true":
		opt.RawCSV = true
	default:
		a.fail(w, invalid("raw", "raw %q: want true or false", q))
		return
	}
	a.lift(w)
	StreamReport(w, r, a.p, id, f, opt, a.log, func(err error) {
		if errors.Is(err, store.ErrNotFound) {
			a.noCampaign(w, id)
			return
		}
		a.unavailable(w, r, "report not written", err)
	})
}

// StreamReport streams campaign id's report (producer.Producer.Report) in
// format f as an attachment: the API's report and the web console's, the
// same bytes as `wabulk campaign report`. failed answers an error met
// before any byte went out (no such campaign, the store); one met after
// breaks the connection, so that a client cannot take part of a report
// for the whole.
func StreamReport(w http.ResponseWriter, r *http.Request, p *producer.Producer, id string, f producer.Format, opt producer.ReportOptions, log *zap.Logger, failed func(error)) {
	h := w.Header()
	if f == producer.FormatCSV {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": id + "." + string(f)}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	if err := p.Report(r.Context(), id, f, cw, opt); err != nil {
		if cw.n == 0 && (errors.Is(err, store.ErrNotFound) || r.Context().Err() == nil) {
			// Nothing is out yet: the answer is still an error.
			h.Del("Content-Disposition")
			failed(err)
			return
		}
		log.Error("report stopped", zap.String("campaign", id), zap.Int64("bytes", cw.n), zap.Error(err))
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts the bytes of the report that went out.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
