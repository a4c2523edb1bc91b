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
	if err := a.p.Report(r.Context(), id, f, cw, opt); err != nil {
		if cw.n == 0 && (errors.Is(err, store.ErrNotFound) || r.Context().Err() == nil) {
			// Nothing is out yet: the answer is still an error.
			h.Del("Content-Disposition")
			if errors.Is(err, store.ErrNotFound) {
				a.noCampaign(w, id)
				return
			}
			a.unavailable(w, r, "report not written", err)
			return
		}
		// Part of the report is out: break the connection, so the client
		// cannot take it for the whole.
		a.log.Error("api: report stopped", zap.String("campaign", id), zap.Int64("bytes", cw.n), zap.Error(err))
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
