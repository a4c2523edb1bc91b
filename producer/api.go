package producer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/store"
)

// OpenAPI is the OpenAPI 3 document of API, served at GET /v1/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// APIConfig configures API.
type APIConfig struct {
	// Tokens are the bearer tokens a client may present (Authorization:
	// Bearer TOKEN), compared in constant time. At least one is required:
	// without a token there is no API (NewAPI returns ErrAPINoTokens).
	Tokens []string
	// DefaultAccount is the provider account of a message that names
	// none. Empty: a message must name its account.
	DefaultAccount string
	// Rates are the provider accounts the API sends through, each with its
	// send rate in messages/s (-1: unlimited). A message or campaign naming
	// another account is refused. Nil accepts any account name.
	Rates map[string]float64
	// MaxBody bounds a JSON request body, in bytes; larger is answered 413.
	// Defaults to 1 MiB.
	MaxBody int64
	// MaxUploadBytes bounds a campaign upload (spec and recipients), in
	// bytes; larger is answered 413, with the rows before the limit
	// imported. Defaults to 1 GiB.
	MaxUploadBytes int64
	// MaxRejects is how many rejected rows an upload's answer lists, with
	// their line and reason; every one is counted. Defaults to 1000.
	MaxRejects int
	// LongRequestTimeout replaces the server's read and write timeouts for
	// an upload and a report, which take as long as the file. Defaults to
	// 1h.
	LongRequestTimeout time.Duration
	// CancelWait is how long a cancel waits for sends already under way
	// (CancelCampaign). Defaults to 10s.
	CancelWait time.Duration
	// Logger receives one line per refused token and per store failure
	// (debug: per message and upload). Lines never carry a token or a body.
	// Defaults to zap.NewNop().
	Logger *zap.Logger
}

// ErrAPINoTokens is returned by NewAPI when no token is configured.
var ErrAPINoTokens = errors.New("no API token configured: the HTTP API needs at least one bearer token")

// API is the HTTP producer API: transactional messages and campaigns over
// bearer-token authenticated JSON. Every answer that is not a success is
// a JSON ErrorResponse. Its routes (OpenAPI documents each):
//
//	POST /v1/messages                      send one message (SendRequest); 202, or 200 for an idempotent replay
//	GET  /v1/messages/{id}                 a message as it stands (MessageInfo)
//	POST /v1/campaigns                     multipart upload: spec + recipients (CSV or JSONL), streamed
//	GET  /v1/campaigns/{id}                state, counters, import stats, rate and ETA (CampaignProgress)
//	POST /v1/campaigns/{id}/pause          \
//	POST /v1/campaigns/{id}/resume          > CampaignAction
//	POST /v1/campaigns/{id}/cancel         /
//	POST /v1/campaigns/{id}/retry-failed   send again what ended in a retryable failure or expired (RetryResult)
//	GET  /v1/campaigns/{id}/report         one row per recipient, CSV or JSONL, streamed
//	GET  /v1/openapi.yaml                  the OpenAPI document (no token needed)
//
// Status codes: 400 unreadable request, 401 no or wrong token, 404
// unknown message, campaign or endpoint, 405 wrong method, 409 idempotency
// key or campaign id reused with a different request, or a cancelled
// campaign asked to pause, resume or retry, 413 body too large, 415 wrong
// content type, 422 a value that cannot be used (ErrorResponse names the
// field) or a strict upload admission control refuses, 503 the store
// (Redis) failed: try again.
type API struct {
	p      *Producer
	cfg    APIConfig
	tokens [][sha256.Size]byte
	mux    *http.ServeMux
	routes []string
	log    *zap.Logger
}

var _ http.Handler = (*API)(nil)

// NewAPI returns the API on p.
func NewAPI(p *Producer, cfg APIConfig) (*API, error) {
	if p == nil {
		return nil, errors.New("api: no producer")
	}
	a := &API{p: p, mux: http.NewServeMux()}
	for _, t := range cfg.Tokens {
		if t == "" {
			continue
		}
		a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
	}
	if len(a.tokens) == 0 {
		return nil, ErrAPINoTokens
	}
	cfg.Tokens = nil // only the hashes are kept
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 1 << 30
	}
	if cfg.MaxRejects <= 0 {
		cfg.MaxRejects = 1000
	}
	if cfg.LongRequestTimeout <= 0 {
		cfg.LongRequestTimeout = time.Hour
	}
	if cfg.CancelWait <= 0 {
		cfg.CancelWait = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	a.cfg, a.log = cfg, cfg.Logger

	a.handle("GET /v1/openapi.yaml", false, a.openAPI)
	a.handle("POST /v1/messages", true, a.postMessage)
	a.handle("GET /v1/messages/{id}", true, a.getMessage)
	a.handle("POST /v1/campaigns", true, a.postCampaign)
	a.handle("GET /v1/campaigns/{id}", true, a.getCampaign)
	a.handle("POST /v1/campaigns/{id}/pause", true, a.campaignAction("pause"))
	a.handle("POST /v1/campaigns/{id}/resume", true, a.campaignAction("resume"))
	a.handle("POST /v1/campaigns/{id}/cancel", true, a.campaignAction("cancel"))
	a.handle("POST /v1/campaigns/{id}/retry-failed", true, a.retryFailed)
	a.handle("GET /v1/campaigns/{id}/report", true, a.getReport)
	return a, nil
}

// Routes lists the API's routes as registered: "METHOD /path/{param}".
func (a *API) Routes() []string { return append([]string(nil), a.routes...) }

func (a *API) handle(pattern string, auth bool, h http.HandlerFunc) {
	a.routes = append(a.routes, pattern)
	var hh http.Handler = h
	if auth {
		hh = a.authenticate(h)
	}
	a.mux.Handle(pattern, hh)
}

// ServeHTTP answers the API's routes; a path or method it does not serve
// gets a JSON 404 or 405.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := a.mux.Handler(r); pattern == "" {
		a.noRoute(w, r, h)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// noRoute turns the mux's plain-text 404, 405 or redirect into JSON.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &captured{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch {
	case rec.status == http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "", fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	case rec.status >= 300 && rec.status < 400 && rec.header.Get("Location") != "":
		w.Header().Set("Location", rec.header.Get("Location"))
		w.WriteHeader(rec.status)
	default:
		writeError(w, http.StatusNotFound, "no_such_endpoint", "", fmt.Sprintf("no endpoint %s %s (GET /v1/openapi.yaml lists them)", r.Method, r.URL.Path))
	}
}

// captured records what a handler answered, writing nothing.
type captured struct {
	header http.Header
	status int
}

func (c *captured) Header() http.Header { return c.header }
func (c *captured) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}
func (c *captured) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}

// authenticate lets a request through with one of the tokens.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wabulk"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "no bearer token: send the header Authorization: Bearer TOKEN (a token from serve.api_tokens)")
			return
		}
		if !a.validToken(tok) {
			a.log.Warn("api: wrong bearer token", zap.String("remote", r.RemoteAddr), zap.String("method", r.Method), zap.String("path", r.URL.Path))
			w.Header().Set("WWW-Authenticate", `Bearer realm="wabulk", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "the bearer token is not one of serve.api_tokens")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validToken compares tok with every token, in constant time whatever
// their lengths and whichever matches.
func (a *API) validToken(tok string) bool {
	got := sha256.Sum256([]byte(tok))
	ok := 0
	for _, t := range a.tokens {
		ok |= subtle.ConstantTimeCompare(got[:], t[:])
	}
	return ok == 1
}

// ErrorResponse is the body of every answer that is not a success.
type ErrorResponse struct {
	Error APIError `json:"error"`
}

// APIError says what was wrong with a request.
type APIError struct {
	// Code is stable, for programs: invalid_json, invalid_request,
	// unauthorized, not_found, no_such_endpoint, method_not_allowed,
	// idempotency_conflict, campaign_conflict, campaign_cancelled,
	// too_large, unsupported_media_type, unavailable, internal.
	Code string `json:"code"`
	// Message is for people: what was wrong and how to fix it.
	Message string `json:"message"`
	// Field names the request field (JSON field, multipart part or query
	// parameter) that is wrong, when one is.
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, ErrorResponse{Error: APIError{Code: code, Message: msg, Field: field}})
}

// httpError is an answer a handler's step decided on.
type httpError struct {
	status      int
	code, field string
	msg         string
}

func (e *httpError) Error() string { return e.msg }

func (a *API) fail(w http.ResponseWriter, e *httpError) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeError(w, e.status, e.code, e.field, e.msg)
}

// unavailable answers a store failure: logged with its cause, answered
// without it.
func (a *API) unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.Error("api: "+what, zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "unavailable", "", what+": the store (Redis) did not answer; try again")
}

func invalid(field, format string, a ...any) *httpError {
	return &httpError{status: http.StatusUnprocessableEntity, code: "invalid_request", field: field, msg: fmt.Sprintf(format, a...)}
}

// decodeJSON reads r's body into v: JSON (Content-Type application/json
// or none), at most MaxBody bytes, no unknown fields, one value.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				msg: fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return a.jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return a.jsonError(err)
		}
		return &httpError{status: http.StatusBadRequest, code: "invalid_json", msg: "body holds more than one JSON value"}
	}
	return nil
}

func (a *API) jsonError(err error) *httpError {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	bad := func(field, format string, args ...any) *httpError {
		return &httpError{status: http.StatusBadRequest, code: "invalid_json", field: field, msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case errors.As(err, &tooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: fmt.Sprintf("body is over the limit of %d bytes", a.cfg.MaxBody)}
	case errors.Is(err, io.EOF):
		return bad("", "body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("", "body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return bad("", "body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return bad("", "body must be a JSON object, not %s", typ.Value)
		}
		return bad(field, "%s: want %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for it.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return bad(name, "unknown field %q (GET /v1/openapi.yaml lists the fields)", name)
	}
	return bad("", "body is not valid JSON: %v", err)
}

// jsonPath drops the Go names of embedded structs ("SendRequest.to") from
// a decoding error's field path: JSON names are lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 0 && parts[0] != "" && parts[0][0] >= 'A' && parts[0][0] <= 'Z' {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

func (a *API) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(OpenAPI)
}

// checkAccount refuses an account the API does not send through.
func (a *API) checkAccount(field, name string) *httpError {
	if a.cfg.Rates == nil || name == "" {
		return nil
	}
	if _, ok := a.cfg.Rates[name]; ok {
		return nil
	}
	names := make([]string, 0, len(a.cfg.Rates))
	for n := range a.cfg.Rates {
		names = append(names, n)
	}
	sort.Strings(names)
	return invalid(field, "%s: no provider account %q (have: %s)", field, name, strings.Join(names, ", "))
}

// sendBody is POST /v1/messages's body: a SendRequest whose ttl and
// send_at are read here, so that a bad one is named.
type sendBody struct {
	SendRequest
	TTL    *string `json:"ttl"`
	SendAt *string `json:"send_at"`
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request) {
	var body sendBody
	if e := a.decodeJSON(w, r, &body); e != nil {
		a.fail(w, e)
		return
	}
	req := body.SendRequest
	if body.TTL != nil {
		d, err := parseDuration(*body.TTL)
		if err != nil {
			a.fail(w, invalid("ttl", "ttl: %v", err))
			return
		}
		req.TTL = Duration(d)
	}
	if body.SendAt != nil && *body.SendAt != "" {
		t, err := time.Parse(time.RFC3339, *body.SendAt)
		if err != nil {
			a.fail(w, invalid("send_at", "send_at: %q is not an RFC 3339 time (e.g. 2026-11-21T09:00:00+03:00)", *body.SendAt))
			return
		}
		req.SendAt = t
	}
	if hk := strings.TrimSpace(r.Header.Get("Idempotency-Key")); hk != "" {
		if req.IdempotencyKey != "" && req.IdempotencyKey != hk {
			a.fail(w, invalid("idempotency_key", "idempotency_key: the Idempotency-Key header says %q and the body %q; send one, or the same in both", hk, req.IdempotencyKey))
			return
		}
		req.IdempotencyKey = hk
	}
	if strings.TrimSpace(req.Account) == "" {
		req.Account = a.cfg.DefaultAccount
	}
	if e := a.checkAccount("account", strings.TrimSpace(req.Account)); e != nil {
		a.fail(w, e)
		return
	}
	res, err := a.p.Send(r.Context(), req)
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		a.fail(w, invalid(fe.Field, "%v", fe))
		return
	case errors.Is(err, ErrIdempotencyConflict):
		a.fail(w, &httpError{status: http.StatusConflict, code: "idempotency_conflict", field: "idempotency_key", msg: err.Error()})
		return
	case err != nil:
		a.unavailable(w, r, "message not stored", err)
		return
	}
	a.log.Debug("api: message", zap.String("id", res.ID), zap.String("status", string(res.Status)), zap.Bool("replay", res.IdempotentReplay))
	w.Header().Set("Location", "/v1/messages/"+url.PathEscape(res.ID))
	status := http.StatusAccepted
	if res.IdempotentReplay {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

func (a *API) getMessage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m, err := a.p.Message(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "", fmt.Sprintf("no message %q", id))
	case err != nil:
		a.unavailable(w, r, "message not read", err)
	default:
		writeJSON(w, http.StatusOK, m)
	}
}

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
	// Rejects are the first APIConfig.MaxRejects rejected rows;
	// RejectsTruncated says there were more (Rejected counts them all).
	Rejects          []Reject `json:"rejects"`
	RejectsTruncated bool     `json:"rejects_truncated"`
	// Admission is admission control's estimate, after the import, for
	// the campaign's messages still to send at its account's rate behind
	// the account's other queued work (Producer.Admission); left out when
	// the account's rate is unknown or unlimited. Warning says, when it
	// does not fit, by how much it runs past the TTL.
	Admission *Estimate `json:"admission,omitempty"`
	Warning   string    `json:"warning,omitempty"`
}

// Reject is one rejected row of an upload.
type Reject struct {
	Line   int64  `json:"line"` // 1-based line of the file where the row starts
	Reason string `json:"reason"`
}

// maxSpecPart bounds the spec part of an upload.
const maxSpecPart = 1 << 20

// postCampaign imports a multipart upload: a spec part (YAML or JSON),
// then a recipients part, read as it arrives. An optional format part or
// ?format= says csv or jsonl; otherwise the recipients' filename or
// content type does, and CSV is the default.
func (a *API) postCampaign(w http.ResponseWriter, r *http.Request) {
	a.lift(w)
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
		spec   *Spec
		format Format
		adm    admission
	)
	q := r.URL.Query()
	if v := q.Get("format"); v != "" {
		if format, err = parseFormat(v); err != nil {
			a.fail(w, invalid("format", "format: %v", err))
			return
		}
	}
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
			if spec, err = ParseSpec(b); err != nil {
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
			if format, err = parseFormat(string(b)); err != nil {
				a.fail(w, invalid("format", "format: %v", err))
				return
			}
		case "recipients":
			if spec == nil {
				a.fail(w, invalid("spec", "the spec part must come before the recipients part (the recipients are imported as they arrive)"))
				return
			}
			if format == "" {
				format = guessFormat(part.FileName(), part.Header.Get("Content-Type"))
			}
			a.importUpload(w, r, spec, format, adm, part)
			return
		default:
			a.fail(w, invalid(name, "unknown part %q: send spec, then recipients (and optionally format)", name))
			return
		}
	}
}

func parseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatCSV, FormatJSONL:
		return f, nil
	}
	return "", fmt.Errorf("%q: want csv or jsonl", s)
}

// guessFormat reads the recipients' format from the part's filename, then
// its content type; CSV when neither says.
func guessFormat(filename, contentType string) Format {
	switch strings.ToLower(path.Ext(filename)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".csv":
		return FormatCSV
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/jsonl", "application/x-jsonl", "application/x-ndjson", "application/ndjson", "application/json", "application/jsonlines", "application/x-jsonlines":
		return FormatJSONL
	}
	return FormatCSV
}

// lift replaces the server's read and write timeouts for a request that
// takes as long as its file.
func (a *API) lift(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(a.cfg.LongRequestTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
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

// admit refuses a strict upload that admission control says cannot drain
// within its TTL. The recipients are streamed, so they cannot be counted
// before the import: a strict upload says how many rows it has.
func (a *API) admit(ctx context.Context, spec *Spec, adm admission) *httpError {
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
func (a *API) estimate(ctx context.Context, spec *Spec) *Estimate {
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
func (a *API) importUpload(w http.ResponseWriter, r *http.Request, spec *Spec, format Format, adm admission, recipients io.Reader) {
	ctx := r.Context()
	var conflict *CampaignConflictError
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
	res, err := a.p.Import(ctx, spec, body, Options{Format: format, Rejects: rejects})
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
func (a *API) importFailed(w http.ResponseWriter, r *http.Request, id string, res Result, bodyErr, err error) {
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
	case storeDown(err):
		a.log.Error("api: campaign upload stopped", zap.String("campaign", id), zap.Int64("lines", res.Lines), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "",
			fmt.Sprintf("campaign %s: the store (Redis) failed after %d rows; upload the same spec and file again to resume (nothing is sent twice)", id, res.Lines))
	default:
		a.fail(w, invalid("recipients", "recipients: %v", err))
	}
}

// storeDown reports whether err comes from Redis failing rather than from
// the request.
func storeDown(err error) bool {
	var (
		ne net.Error
		re redis.Error
	)
	return errors.As(err, &ne) || errors.As(err, &re) || errors.Is(err, redis.ErrClosed) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
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

func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pr, err := a.p.CampaignProgress(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.noCampaign(w, id)
	case err != nil:
		a.unavailable(w, r, "campaign not read", err)
	default:
		writeJSON(w, http.StatusOK, pr)
	}
}

func (a *API) noCampaign(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "not_found", "", fmt.Sprintf("no campaign %q", id))
}

// CampaignAction is what pause, resume or cancel did.
type CampaignAction struct {
	ID            string              `json:"id"`
	State         store.CampaignState `json:"state"`
	PreviousState store.CampaignState `json:"previous_state"`
	// Changed is false when the campaign was in that state already.
	Changed bool `json:"changed"`
	// Cancel only: how many queued messages it ended cancelled, and how
	// many sends that started before it were still under way when it
	// stopped waiting (their outcome is the provider's answer).
	Cancelled *int64 `json:"cancelled,omitempty"`
	InFlight  *int64 `json:"in_flight,omitempty"`
}

// PauseRequest is the optional body of POST /v1/campaigns/{id}/pause.
type PauseRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (a *API) campaignAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		ctx := r.Context()
		res := CampaignAction{ID: id}
		var err error
		switch action {
		case "pause":
			var body PauseRequest
			if e := a.decodeOptionalJSON(w, r, &body); e != nil {
				a.fail(w, e)
				return
			}
			res.State = store.CampaignPaused
			res.PreviousState, err = a.p.PauseCampaign(ctx, id, strings.TrimSpace(body.Reason))
		case "resume":
			res.State = store.CampaignActive
			res.PreviousState, err = a.p.ResumeCampaign(ctx, id)
		case "cancel":
			a.lift(w) // it settles every queued message of the campaign
			var cr CancelResult
			cr, err = a.p.CancelCampaign(ctx, id, a.cfg.CancelWait)
			res.State, res.PreviousState = store.CampaignCancelled, cr.Previous
			res.Cancelled, res.InFlight = &cr.Cancelled, &cr.InFlight
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.noCampaign(w, id)
			return
		case errors.Is(err, store.ErrCampaignCancelled):
			a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_cancelled",
				msg: fmt.Sprintf("campaign %s is cancelled, which is final: it cannot be %sd", id, action)})
			return
		case err != nil:
			a.unavailable(w, r, "campaign not "+pastTense(action), err)
			return
		}
		res.Changed = res.PreviousState != res.State
		a.log.Info("api: campaign "+pastTense(action), zap.String("campaign", id), zap.String("previous", string(res.PreviousState)))
		writeJSON(w, http.StatusOK, res)
	}
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func (a *API) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		return a.jsonError(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return a.decodeJSON(w, r, v)
}

func (a *API) retryFailed(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a.lift(w) // it reads every message of the campaign
	res, err := a.p.RetryFailed(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.noCampaign(w, id)
	case errors.Is(err, store.ErrCampaignCancelled):
		a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_cancelled",
			msg: fmt.Sprintf("campaign %s is cancelled, which is final: nothing of it is sent again", id)})
	case err != nil && storeDown(err):
		a.unavailable(w, r, "campaign not retried", err)
	case err != nil:
		a.log.Error("api: retry-failed", zap.String("campaign", id), zap.Error(err))
		writeError(w, http.StatusInternalServerError, "internal", "", err.Error())
	default:
		a.log.Info("api: campaign retried", zap.String("campaign", id), zap.Int64("requeued", res.Requeued))
		writeJSON(w, http.StatusOK, res)
	}
}

func pastTense(action string) string {
	if action == "cancel" {
		return "cancelled"
	}
	return strings.TrimSuffix(action, "e") + "ed"
}

func (a *API) getReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := FormatCSV
	if q := r.URL.Query().Get("format"); q != "" {
		var err error
		if f, err = parseFormat(q); err != nil {
			a.fail(w, invalid("format", "format: %v", err))
			return
		}
	}
	a.lift(w)
	h := w.Header()
	if f == FormatCSV {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": id + "." + string(f)}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	if err := a.p.Report(r.Context(), id, f, cw); err != nil {
		if cw.n == 0 && (errors.Is(err, store.ErrNotFound) || r.Context().Err() == nil) {
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

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
