package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
)

// CampaignUpload is what POST /v1/campaigns did: the import's counts (every
// row read ends in exactly one of accepted, duplicate, rejected,
// already_present and opted_out) and the first rejected rows.
type CampaignUpload struct {
	ID string `json:"id"`
	// Created: this upload created the campaign; false for a re-upload,
	// which resumes it (nothing is sent twice).
	Created        bool  `json:"created"`
	Lines          int64 `json:"lines"`
	Accepted       int64 `json:"accepted"`
	Duplicate      int64 `json:"duplicate"`
	Rejected       int64 `json:"rejected"`
	AlreadyPresent int64 `json:"already_present"`
	OptedOut       int64 `json:"opted_out"`
	Requeued       int64 `json:"requeued"`
	// Rejects are the first Config.MaxRejects rejected rows;
	// RejectsTruncated says there were more (Rejected counts them all).
	Rejects          []Reject `json:"rejects"`
	RejectsTruncated bool     `json:"rejects_truncated"`
	// Admission is admission control's estimate, after the import, for
	// the campaign's messages still to send at its account's rate behind
	// the account's other queued work (producer.Producer.PendingAdmission);
	// left out when the account's rate is unknown or unlimited. Warning
	// says, when it does not fit, by how much it runs past the TTL.
	Admission *producer.Estimate `json:"admission,omitempty"`
	Warning   string             `json:"warning,omitempty"`
}

// Reject is one rejected row of an upload.
type Reject struct {
	Line   int64  `json:"line"` // 1-based line of the file where the row starts
	Reason string `json:"reason"`
}

// maxSpecPart bounds the spec part of an upload.
const maxSpecPart = 1 << 20

// uploadRetryAfter is the Retry-After, in seconds, of an upload refused
// because as many are under way as the server takes.
const uploadRetryAfter = 30

// postCampaign imports a multipart upload: a spec part (YAML or JSON),
// then a recipients part, read as it arrives. An optional format part or
// ?format= says csv or jsonl; otherwise the recipients' filename or
// content type does, and CSV is the default.
func (a *API) postCampaign(w http.ResponseWriter, r *http.Request) {
	release, ok := a.uploadSlot(w)
	if !ok {
		return
	}
	defer release()
	a.lift(w)
	var adm admission
	q := r.URL.Query()
	var err error
	if v := q.Get("strict"); v != "" {
		if adm.strict, err = strconv.ParseBool(v); err != nil {
			a.fail(w, invalid("strict", "strict: %q: want true or false", v))
			return
		}
	}
	if v := q.Get("rows"); v != "" {
		if adm.rows, err = strconv.ParseInt(v, 10, 64); err != nil || adm.rows < 0 {
			a.fail(w, invalid("rows", "rows: %q: want the number of data rows of the recipients", v))
			return
		}
		adm.rowsGiven = true
	}
	a.readUpload(w, r, func(spec *producer.Spec, format producer.Format, recipients io.Reader) {
		a.importUpload(w, r, spec, format, adm, recipients)
	})
}

// readUpload reads a campaign upload (POST /v1/campaigns and its preview):
// multipart/form-data with a spec part (YAML or JSON), an optional format
// part (or ?format=), then a recipients part that use is given as it
// arrives, never read whole. Whatever is wrong before the recipients is
// answered here, and use is not called.
func (a *API) readUpload(w http.ResponseWriter, r *http.Request, use func(spec *producer.Spec, format producer.Format, recipients io.Reader)) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		a.fail(w, &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			msg: "send multipart/form-data with a spec part (YAML or JSON) and then a recipients part (CSV or JSONL)"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		a.fail(w, &httpError{status: http.StatusBadRequest, code: "invalid_request", msg: "unreadable multipart body: " + err.Error()})
		return
	}
	var (
		spec   *producer.Spec
		format producer.Format
	)
	if v := r.URL.Query().Get("format"); v != "" {
		if format, err = ParseFormat(v); err != nil {
			a.fail(w, invalid("format", "format: %v", err))
			return
		}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			a.fail(w, invalid("recipients", "no recipients part: send the spec part, then the recipients part (CSV or JSONL)"))
			return
		}
		if err != nil {
			a.fail(w, a.bodyError(err))
			return
		}
		switch name := part.FormName(); name {
		case "spec":
			b, err := io.ReadAll(io.LimitReader(part, maxSpecPart+1))
			if err != nil {
				a.fail(w, a.bodyError(err))
				return
			}
			if len(b) > maxSpecPart {
				a.fail(w, &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", field: "spec", msg: fmt.Sprintf("spec: over %d bytes", maxSpecPart)})
				return
			}
			if spec, err = producer.ParseSpec(b); err != nil {
				a.fail(w, invalid("spec", "spec: %v", err))
				return
			}
			if e := a.checkAccount("spec.account", strings.TrimSpace(spec.Account)); e != nil {
				a.fail(w, e)
				return
			}
		case "format":
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				a.fail(w, a.bodyError(err))
				return
			}
			if format, err = ParseFormat(string(b)); err != nil {
				a.fail(w, invalid("format", "format: %v", err))
				return
			}
		case "recipients":
			if spec == nil {
				a.fail(w, invalid("spec", "the spec part must come before the recipients part (the recipients are imported as they arrive)"))
				return
			}
			if format == "" {
				format = GuessFormat(part.FileName(), part.Header.Get("Content-Type"))
			}
			use(spec, format, part)
			return
		default:
			a.fail(w, invalid(name, "unknown part %q: send spec, then recipients (and optionally format)", name))
			return
		}
	}
}

// ParseFormat reads a format name, csv or jsonl (the web console reads
// its forms with it too).
func ParseFormat(s string) (producer.Format, error) {
	switch f := producer.Format(strings.ToLower(strings.TrimSpace(s))); f {
	case producer.FormatCSV, producer.FormatJSONL:
		return f, nil
	}
	return "", fmt.Errorf("%q: want csv or jsonl", s)
}

// GuessFormat reads the recipients' format from the part's filename, then
// its content type; CSV when neither says. The web console's uploads read
// it the same way.
func GuessFormat(filename, contentType string) producer.Format {
	switch strings.ToLower(path.Ext(filename)) {
	case ".jsonl", ".ndjson", ".json":
		return producer.FormatJSONL
	case ".csv":
		return producer.FormatCSV
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/jsonl", "application/x-jsonl", "application/x-ndjson", "application/ndjson", "application/json", "application/jsonlines", "application/x-jsonlines":
		return producer.FormatJSONL
	}
	return producer.FormatCSV
}

// bodyError answers a request body that could not be read.
func (a *API) bodyError(err error) *httpError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large",
			msg: fmt.Sprintf("upload is over the limit of %d bytes", a.cfg.MaxUploadBytes)}
	}
	return &httpError{status: http.StatusBadRequest, code: "invalid_request", msg: "unreadable upload: " + err.Error()}
}

// admission is what an upload asks of admission control: ?strict=true
// refuses a campaign of ?rows=N rows that would not drain within its TTL.
type admission struct {
	strict    bool
	rows      int64
	rowsGiven bool
}

// admit refuses a strict upload that admission control
// (producer.Producer.Admission) says cannot drain within its TTL. The
// recipients are streamed, so they cannot be counted before the import: a
// strict upload says how many rows it has.
func (a *API) admit(ctx context.Context, spec *producer.Spec, adm admission) *httpError {
	if !adm.strict {
		return nil
	}
	if !adm.rowsGiven {
		return invalid("rows", "strict: give the number of rows as ?rows=N (the recipients are imported as they arrive, so they cannot be counted first)")
	}
	rate, ok := a.cfg.Rates[strings.TrimSpace(spec.Account)]
	if !ok {
		return nil // no rate known: nothing to estimate
	}
	est, err := a.p.Admission(ctx, spec, adm.rows, rate)
	if err != nil {
		return &httpError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "admission control: the store (Redis) did not answer; try again"}
	}
	if est.Unlimited() || est.Fits() {
		return nil
	}
	return &httpError{status: http.StatusUnprocessableEntity, code: "admission_refused", field: "rows",
		msg: fmt.Sprintf("campaign %s refused (strict): %s; raise the account's rate, lengthen the ttl, split the campaign or upload it later", spec.ID, est)}
}

// estimate is admission control's word on what of campaign spec is still
// to send, for the answer; nil when it has none.
func (a *API) estimate(ctx context.Context, spec *producer.Spec) *producer.Estimate {
	rate, ok := a.cfg.Rates[strings.TrimSpace(spec.Account)]
	if !ok {
		return nil
	}
	est, err := a.p.PendingAdmission(ctx, spec, rate)
	if err != nil {
		a.log.Warn("api: no admission estimate", zap.String("campaign", spec.ID), zap.Error(err))
		return nil
	}
	if est.Unlimited() {
		return nil
	}
	return &est
}

// importUpload imports the recipients part and answers.
func (a *API) importUpload(w http.ResponseWriter, r *http.Request, spec *producer.Spec, format producer.Format, adm admission, recipients io.Reader) {
	ctx := r.Context()
	var conflict *producer.CampaignConflictError
	switch err := a.p.CheckSpec(ctx, spec); {
	case errors.As(err, &conflict):
		a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_conflict", field: "spec",
			msg: conflict.Error() + "; upload the same spec to resume it, or use a new id"})
		return
	case err != nil:
		a.unavailable(w, r, "campaign not imported", err)
		return
	}
	if e := a.admit(ctx, spec, adm); e != nil {
		a.fail(w, e)
		return
	}
	body := &trackedReader{r: recipients}
	rejects := newRejectCollector(a.cfg.MaxRejects)
	var expected int64
	if r.ContentLength > 0 {
		expected = r.ContentLength / producer.BytesPerRowEstimate
	}
	res, err := a.p.Import(ctx, spec, body, producer.Options{Format: format, Rejects: rejects, ExpectedRows: expected})
	rejects.close()
	if err != nil {
		a.importFailed(w, r, spec.ID, res, body.err, err)
		return
	}
	a.log.Debug("api: campaign upload", zap.String("campaign", spec.ID), zap.Int64("lines", res.Lines), zap.Int64("accepted", res.Accepted), zap.Int64("rejected", res.Rejected))
	up := CampaignUpload{
		ID: spec.ID, Created: res.CampaignCreated, Lines: res.Lines, Accepted: res.Accepted, Duplicate: res.Duplicate,
		Rejected: res.Rejected, AlreadyPresent: res.AlreadyPresent, OptedOut: res.OptedOut, Requeued: res.Requeued,
		Rejects: rejects.list, RejectsTruncated: rejects.truncated,
	}
	if up.Rejects == nil {
		up.Rejects = []Reject{}
	}
	if up.Admission = a.estimate(ctx, spec); up.Admission != nil && !up.Admission.Fits() {
		up.Warning = fmt.Sprintf("campaign %s: %s", spec.ID, up.Admission)
	}
	status := http.StatusOK
	if up.Created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/campaigns/"+url.PathEscape(spec.ID))
	}
	writeJSON(w, status, up)
}

// importFailed answers an import that stopped: the upload could not be
// read (400, 413), the store failed (503), or the input itself cannot be
// imported (422: a header without a phone column, an unclosed quote).
// The rows before the stop are imported; uploading again resumes.
func (a *API) importFailed(w http.ResponseWriter, r *http.Request, id string, res producer.Result, bodyErr, err error) {
	switch {
	case bodyErr != nil && errors.Is(err, bodyErr):
		e := a.bodyError(bodyErr)
		e.field = "recipients"
		if res.Lines > 0 {
			e.msg += fmt.Sprintf("; the %d rows read before are imported, and uploading the whole file again resumes (nothing is sent twice)", res.Lines)
		}
		a.fail(w, e)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		a.log.Info("api: campaign upload stopped: the client went away", zap.String("campaign", id), zap.Int64("lines", res.Lines))
	case StoreDown(err):
		a.log.Error("api: campaign upload stopped", zap.String("campaign", id), zap.Int64("lines", res.Lines), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "",
			fmt.Sprintf("campaign %s: the store (Redis) failed after %d rows; upload the same spec and file again to resume (nothing is sent twice)", id, res.Lines))
	default:
		a.fail(w, invalid("recipients", "recipients: %v", err))
	}
}

// trackedReader remembers the error reading the upload failed with, so a
// stopped import can tell the client's fault from the store's.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
	}
	return n, err
}

// rejectCollector reads the rejects file Import streams (CSV: line, reason,
// the row) and keeps the first max rows' line and reason.
type rejectCollector struct {
	pw        *io.PipeWriter
	done      chan struct{}
	max       int
	list      []Reject
	truncated bool
}

func newRejectCollector(max int) *rejectCollector {
	pr, pw := io.Pipe()
	c := &rejectCollector{pw: pw, done: make(chan struct{}), max: max}
	go func() {
		defer close(c.done)
		cr := csv.NewReader(pr)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header := true
		for {
			rec, err := cr.Read()
			if err != nil {
				// The writer is Import's csv.Writer: only its end comes here.
				_, _ = io.Copy(io.Discard, pr)
				return
			}
			if header {
				header = false
				continue
			}
			if len(c.list) >= c.max {
				c.truncated = true
				continue
			}
			line, _ := strconv.ParseInt(rec[0], 10, 64)
			reason := ""
			if len(rec) > 1 {
				reason = rec[1]
			}
			c.list = append(c.list, Reject{Line: line, Reason: reason})
		}
	}()
	return c
}

func (c *rejectCollector) Write(b []byte) (int, error) { return c.pw.Write(b) }

// close ends the stream and waits until every reject is read.
func (c *rejectCollector) close() {
	_ = c.pw.Close()
	<-c.done
}

// uploadSlot takes one of Config.MaxConcurrentUploads for an upload (an
// import or its preview), or answers 429 with Retry-After when all are
// taken.
func (a *API) uploadSlot(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case a.uploads <- struct{}{}:
		return func() { <-a.uploads }, true
	default:
		w.Header().Set("Retry-After", strconv.Itoa(uploadRetryAfter))
		writeError(w, http.StatusTooManyRequests, "too_many_uploads", "",
			fmt.Sprintf("%d campaign uploads are under way, the most this server takes at once; upload again later", a.cfg.MaxConcurrentUploads))
		return nil, false
	}
}
