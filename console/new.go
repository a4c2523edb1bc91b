package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
)

// NewForm is the new-campaign form as the user filled it: a spec (pasted,
// or carried from a spec file) or the fields that make one.
type NewForm struct {
	SpecText string
	ID       string
	Account  string
	Sender   string
	// Kind is text or template.
	Kind             string
	Text             string
	TemplateName     string
	TemplateLanguage string
	// TemplateParams are the template's body parameters, one per line.
	TemplateParams string
	TTL            string
	Priority       string
	// Format is auto, csv or jsonl.
	Format string
}

type newData struct {
	Form     NewForm
	Accounts []string
	Error    string
	Preview  *producer.Preview
	// Estimate is the preview's admission estimate in words.
	Estimate string
	Fits     bool
	ReadOnly bool
}

// Limits of the form's small parts.
const (
	maxSpecBytes  = 1 << 20
	maxFieldBytes = 64 << 10
)

// newPage shows the new-campaign form.
func (c *Console) newPage(w http.ResponseWriter, r *http.Request) {
	f := NewForm{Kind: "text", Priority: "normal", Format: "auto"}
	if len(c.cfg.Accounts) > 0 {
		f.Account = c.cfg.Accounts[0]
	}
	c.render(w, r, http.StatusOK, "new", pageData{Title: "New campaign", Page: "new", Data: newData{Form: f, Accounts: c.cfg.Accounts}})
}

// upload guards the new-campaign upload: a full-role session and a
// same-origin request; the CSRF token is its form's first part (the body
// is streamed, never held whole).
func (c *Console) upload(h http.HandlerFunc) http.Handler {
	return c.withSession(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, _ := sessionFrom(r.Context())
		if !c.sameOrigin(r) {
			c.forbidden(w, r, "This request came from another site, so it was refused.")
			return
		}
		if s.ReadOnly() {
			c.refuseReadOnly(w, r)
			return
		}
		h(w, r)
	}, false)
}

// formError is what stops a preview or an import, with its status.
type formError struct {
	status int
	msg    string
}

// newCampaign previews (?step=preview) or imports (?step=import) a
// campaign from the form: its fields come first, then the recipients
// file, which is streamed into producer.Preview or producer.Import as the
// API's upload streams it.
func (c *Console) newCampaign(w http.ResponseWriter, r *http.Request) {
	step := r.URL.Query().Get("step")
	if step != "preview" && step != "import" {
		c.notFound(w, r, "There is no such step.")
		return
	}
	select {
	case c.uploads <- struct{}{}:
		defer func() { <-c.uploads }()
	default:
		w.Header().Set("Retry-After", "30")
		c.errorPage(w, r, http.StatusTooManyRequests, "Busy", fmt.Sprintf("%d campaign uploads are under way, the most this server takes at once; try again in a moment.", c.cfg.MaxConcurrentUploads))
		return
	}
	lift(w, c.cfg.LongRequestTimeout)
	d := newData{Accounts: c.cfg.Accounts, Form: NewForm{Kind: "text", Format: "auto"}}
	fail := func(e *formError) {
		d.Error = e.msg
		c.render(w, r, e.status, "new", pageData{Title: "New campaign", Page: "new", Data: d})
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		fail(&formError{http.StatusUnsupportedMediaType, "The form must be sent as multipart/form-data."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(&formError{http.StatusBadRequest, "The form could not be read."})
		return
	}
	s, _ := sessionFrom(r.Context())
	csrfOK := validCSRF(s, r.Header.Get("X-CSRF-Token"))
	var specFile []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			fail(&formError{http.StatusUnprocessableEntity, "Choose a recipients file (CSV or JSONL)."})
			return
		}
		if err != nil {
			fail(c.bodyError(err))
			return
		}
		name := part.FormName()
		if name == "recipients" {
			if !csrfOK {
				c.forbidden(w, r, "This form has expired or did not come from this console (its CSRF token is missing or wrong). Reload the page and try again.")
				return
			}
			c.recipients(w, r, step, &d, specFile, part)
			return
		}
		limit := int64(maxFieldBytes)
		if name == "spec" || name == "spec_text" {
			limit = maxSpecBytes
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			fail(c.bodyError(err))
			return
		}
		if int64(len(b)) > limit {
			fail(&formError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The %s field is over %d bytes.", name, limit)})
			return
		}
		v := string(b)
		f := &d.Form
		switch name {
		case "csrf":
			csrfOK = csrfOK || validCSRF(s, v)
		case "spec":
			specFile = b
		case "spec_text":
			f.SpecText = v
		case "id":
			f.ID = strings.TrimSpace(v)
		case "account":
			f.Account = strings.TrimSpace(v)
		case "sender":
			f.Sender = strings.TrimSpace(v)
		case "kind":
			f.Kind = v
		case "text":
			f.Text = v
		case "template_name":
			f.TemplateName = strings.TrimSpace(v)
		case "template_language":
			f.TemplateLanguage = strings.TrimSpace(v)
		case "template_params":
			f.TemplateParams = v
		case "ttl":
			f.TTL = strings.TrimSpace(v)
		case "priority":
			f.Priority = strings.TrimSpace(v)
		case "format":
			f.Format = strings.TrimSpace(v)
		}
	}
}

// recipients runs the preview or the import on the recipients part.
func (c *Console) recipients(w http.ResponseWriter, r *http.Request, step string, d *newData, specFile []byte, part *multipart.Part) {
	fail := func(e *formError) {
		d.Error = e.msg
		c.render(w, r, e.status, "new", pageData{Title: "New campaign", Page: "new", Data: *d})
	}
	if len(specFile) > 0 {
		d.Form.SpecText = string(specFile) // carried to the next step
	}
	if part.FileName() == "" {
		fail(&formError{http.StatusUnprocessableEntity, "Choose a recipients file (CSV or JSONL)."})
		return
	}
	spec, err := d.Form.spec()
	if err != nil {
		fail(&formError{http.StatusUnprocessableEntity, "Spec: " + err.Error()})
		return
	}
	if _, ok := c.cfg.Rates[spec.Account]; c.cfg.Rates != nil && !ok {
		fail(&formError{http.StatusUnprocessableEntity, fmt.Sprintf("There is no provider account %q (have: %s).", spec.Account, strings.Join(c.cfg.Accounts, ", "))})
		return
	}
	format := httpapi.GuessFormat(part.FileName(), part.Header.Get("Content-Type"))
	if d.Form.Format != "" && d.Form.Format != "auto" {
		if format, err = httpapi.ParseFormat(d.Form.Format); err != nil {
			fail(&formError{http.StatusUnprocessableEntity, "Format: want csv or jsonl."})
			return
		}
	}
	ctx := r.Context()
	body := &trackedReader{r: part}
	if step == "preview" {
		pv, err := c.cfg.Producer.Preview(ctx, spec, body, producer.PreviewOptions{Format: format, Rate: c.cfg.Rates[spec.Account], Rows: 10})
		if err != nil {
			fail(c.importError(r, spec.ID, body.err, err, 0))
			return
		}
		d.Preview = &pv
		if pv.Estimate != nil && !pv.Estimate.Unlimited() {
			d.Estimate, d.Fits = pv.Estimate.String(), pv.Estimate.Fits()
		}
		c.render(w, r, http.StatusOK, "new", pageData{Title: "Preview of " + spec.ID, Page: "new", Data: *d})
		return
	}
	var conflict *producer.CampaignConflictError
	switch err := c.cfg.Producer.CheckSpec(ctx, spec); {
	case errors.As(err, &conflict):
		fail(&formError{http.StatusConflict, conflict.Error() + "; import the same spec to resume it, or use a new id."})
		return
	case err != nil:
		c.storeFailed(w, r, "campaign not imported", err)
		return
	}
	var expected int64
	if r.ContentLength > 0 {
		expected = r.ContentLength / producer.BytesPerRowEstimate
	}
	res, err := c.cfg.Producer.Import(ctx, spec, body, producer.Options{Format: format, ExpectedRows: expected})
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			c.log.Info("console: import stopped: the browser went away", zap.String("campaign", spec.ID), zap.Int64("lines", res.Lines))
			return
		}
		fail(c.importError(r, spec.ID, body.err, err, res.Lines))
		return
	}
	c.log.Info("console: campaign imported", zap.String("campaign", spec.ID), zap.Int64("lines", res.Lines), zap.Int64("accepted", res.Accepted), zap.Int64("rejected", res.Rejected))
	msg := fmt.Sprintf("Imported campaign %s: %s rows, %s accepted, %s duplicate, %s rejected, %s already present, %s opted out.", spec.ID,
		num(res.Lines), num(res.Accepted), num(res.Duplicate), num(res.Rejected), num(res.AlreadyPresent), num(res.OptedOut))
	if !res.CampaignCreated {
		msg += " The campaign existed: this import resumed it (nothing is sent twice)."
	}
	if rate, ok := c.cfg.Rates[spec.Account]; ok {
		if est, err := c.cfg.Producer.PendingAdmission(ctx, spec, rate); err == nil && !est.Unlimited() && !est.Fits() {
			msg += " Warning: " + est.String() + "."
		}
	}
	c.setFlash(r, "ok", msg)
	http.Redirect(w, r, Prefix+"campaigns/"+url.PathEscape(spec.ID), http.StatusSeeOther)
}

// importError says why a preview or an import stopped: the upload could
// not be read, the store failed, or the input cannot be used.
func (c *Console) importError(r *http.Request, id string, bodyErr, err error, lines int64) *formError {
	var conflict *producer.CampaignConflictError
	switch {
	case errors.As(err, &conflict):
		return &formError{http.StatusConflict, conflict.Error() + "; import the same spec to resume it, or use a new id."}
	case bodyErr != nil && errors.Is(err, bodyErr):
		e := c.bodyError(bodyErr)
		if lines > 0 {
			e.msg += fmt.Sprintf(" The %d rows read before are imported; importing the whole file again resumes (nothing is sent twice).", lines)
		}
		return e
	case httpapi.StoreDown(err):
		c.log.Error("console: import stopped", zap.String("campaign", id), zap.Int64("lines", lines), zap.Error(err))
		return &formError{http.StatusServiceUnavailable, "The store (Redis) did not answer; try again (an import resumes where it stopped, nothing is sent twice)."}
	}
	return &formError{http.StatusUnprocessableEntity, "Recipients: " + err.Error()}
}

func (c *Console) bodyError(err error) *formError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &formError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is over the limit of %s bytes.", num(c.cfg.MaxUploadBytes))}
	}
	return &formError{http.StatusBadRequest, "The upload could not be read."}
}

// spec is the form's campaign spec: the pasted or uploaded one, else one
// made of the fields, read by producer.ParseSpec as the API reads its
// spec part.
func (f *NewForm) spec() (*producer.Spec, error) {
	if strings.TrimSpace(f.SpecText) != "" {
		s, err := producer.ParseSpec([]byte(f.SpecText))
		if err == nil {
			f.ID, f.Account = s.ID, s.Account
		}
		return s, err
	}
	m := map[string]any{"id": f.ID, "account": f.Account}
	if f.Sender != "" {
		m["sender"] = f.Sender
	}
	if f.TTL != "" {
		m["ttl"] = f.TTL
	}
	if f.Priority != "" {
		m["priority"] = f.Priority
	}
	switch f.Kind {
	case "template":
		t := map[string]any{"name": f.TemplateName, "language": f.TemplateLanguage}
		var params []string
		for _, l := range strings.Split(f.TemplateParams, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				params = append(params, l)
			}
		}
		if len(params) > 0 {
			t["body"] = params
		}
		m["message"] = map[string]any{"template": t}
	default:
		m["message"] = map[string]any{"text": map[string]any{"body": f.Text}}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return producer.ParseSpec(b)
}

// trackedReader remembers the error reading the upload failed with, so a
// stopped import can tell the browser's fault from the store's.
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
