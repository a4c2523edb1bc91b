package httpapi

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/producer"
)

// Config configures API.
type Config struct {
	// Tokens are the bearer tokens a client may present (Authorization:
	// Bearer TOKEN), compared in constant time, that may read and act.
	// ReadOnlyTokens may only read: every other method is answered 403.
	// At least one token is required: without one there is no API (New
	// returns ErrNoTokens).
	Tokens         []string
	ReadOnlyTokens []string
	// Fleet serves the accounts, schedules and opt-outs routes. Nil:
	// those routes answer 404.
	Fleet *fleet.Fleet
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
	// MaxConcurrentUploads bounds the campaign uploads imported at once;
	// one more is answered 429 with Retry-After (each upload holds a
	// bounded amount of memory, producer.Config.MaxRecordBytes, for as long
	// as its file takes). Defaults to 4.
	MaxConcurrentUploads int
	// MaxRejects is how many rejected rows an upload's answer lists, with
	// their line and reason; every one is counted. Defaults to 1000.
	MaxRejects int
	// LongRequestTimeout replaces the server's read and write timeouts for
	// an upload and a report, which take as long as the file: an upload
	// still running after it is cut off (the rows before are imported).
	// Defaults to 1h.
	LongRequestTimeout time.Duration
	// CancelWait is how long a cancel waits for sends already under way
	// (producer.Producer.CancelCampaign). Defaults to 10s.
	CancelWait time.Duration
	// Logger receives one line per refused token and per store failure
	// (debug: per message and upload). Lines never carry a token or a body.
	// Defaults to zap.NewNop().
	Logger *zap.Logger
}

// ErrNoTokens is returned by New when no token is configured.
var ErrNoTokens = errors.New("no API token configured: the HTTP API needs at least one bearer token")

// API is the HTTP producer API: transactional messages and campaigns over
// bearer-token authenticated JSON. Every answer that is not a success is
// a JSON ErrorResponse. Its routes (OpenAPI documents each):
//
//	POST /v1/messages                      send one message (producer.SendRequest); 202, or 200 for an idempotent replay
//	GET  /v1/messages/{id}                 a message as it stands (producer.MessageInfo)
//	POST /v1/campaigns                     multipart upload: spec + recipients (CSV or JSONL), streamed (CampaignUpload)
//	GET  /v1/campaigns/{id}                state, counters, import stats, rate and ETA (producer.CampaignProgress)
//	POST /v1/campaigns/{id}/pause          \
//	POST /v1/campaigns/{id}/resume          > CampaignAction
//	POST /v1/campaigns/{id}/cancel         /
//	POST /v1/campaigns/{id}/retry-failed   send again what ended in a retryable failure or expired (producer.RetryResult)
//	GET  /v1/campaigns/{id}/report         one row per recipient, CSV or JSONL, streamed
//	GET  /v1/campaigns                     every campaign's progress, newest first (?state=, ?account=)
//	GET  /v1/campaigns/{id}/detail         progress, funnel, error codes, why it waits (producer.CampaignDetail)
//	GET  /v1/campaigns/{id}/series         outcomes per 10-second bucket (?since=RFC 3339)
//	GET  /v1/campaigns/{id}/rejects        the rows its imports rejected (the first 1,000)
//	POST /v1/campaigns/preview             what an upload would import, writing nothing (producer.Preview)
//	GET  /v1/accounts[/{name}]             rate, current rate, pause, breaker, in-flight (fleet.Account)
//	POST /v1/accounts/{name}/pause|resume  as 'wabulk provider pause|resume'
//	POST /v1/accounts/{name}/check         as 'wabulk provider check'
//	GET  /v1/schedules                     recurring jobs, next fire times, last occurrences
//	GET  /v1/optouts/{account}             the suppression list (?q= digits, ?limit=)
//	POST /v1/optouts/{account}             add a number; DELETE /v1/optouts/{account}/{number} removes one
//	GET  /v1/openapi.yaml                  the OpenAPI document (no token needed)
//
// Status codes: 400 unreadable request, 401 no or wrong token, 403 a
// read-only token asked to act, 404
// unknown message, campaign or endpoint, 405 wrong method, 409 idempotency
// key or campaign id reused with a different request, or a cancelled
// campaign asked to pause, resume or retry, 413 body too large, 415 wrong
// content type, 422 a value that cannot be used (ErrorResponse names the
// field) or a strict upload admission control refuses, 429 as many
// uploads under way as Config.MaxConcurrentUploads (with Retry-After),
// 503 the store (Redis) failed: try again.
type API struct {
	p      *producer.Producer
	cfg    Config
	tokens [][sha256.Size]byte
	// readOnly[i] says whether tokens[i] may only read.
	readOnly []bool
	mux      *http.ServeMux
	routes   []string
	log      *zap.Logger
	// uploads holds one token per campaign upload under way
	// (Config.MaxConcurrentUploads).
	uploads chan struct{}
}

var _ http.Handler = (*API)(nil)

// New returns the API on p.
func New(p *producer.Producer, cfg Config) (*API, error) {
	if p == nil {
		return nil, errors.New("httpapi: no producer")
	}
	a := &API{p: p, mux: http.NewServeMux()}
	for i, ts := range [][]string{cfg.Tokens, cfg.ReadOnlyTokens} {
		for _, t := range ts {
			if t == "" {
				continue
			}
			a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
			a.readOnly = append(a.readOnly, i == 1)
		}
	}
	if len(a.tokens) == 0 {
		return nil, ErrNoTokens
	}
	cfg.Tokens, cfg.ReadOnlyTokens = nil, nil // only the hashes are kept
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 1 << 30
	}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 4
	}
	a.uploads = make(chan struct{}, cfg.MaxConcurrentUploads)
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
	a.handle("GET /v1/campaigns", true, a.listCampaigns)
	a.handle("GET /v1/campaigns/{id}/detail", true, a.getCampaignDetail)
	a.handle("GET /v1/campaigns/{id}/series", true, a.getCampaignSeries)
	a.handle("GET /v1/campaigns/{id}/rejects", true, a.getCampaignRejects)
	a.handle("POST /v1/campaigns/preview", true, a.postPreview)
	a.handle("GET /v1/accounts", true, a.listAccounts)
	a.handle("GET /v1/accounts/{name}", true, a.getAccount)
	a.handle("POST /v1/accounts/{name}/pause", true, a.accountAction("pause"))
	a.handle("POST /v1/accounts/{name}/resume", true, a.accountAction("resume"))
	a.handle("POST /v1/accounts/{name}/check", true, a.checkAccountRoute)
	a.handle("GET /v1/schedules", true, a.listSchedules)
	a.handle("GET /v1/optouts/{account}", true, a.listOptOuts)
	a.handle("POST /v1/optouts/{account}", true, a.addOptOut)
	a.handle("DELETE /v1/optouts/{account}/{number}", true, a.removeOptOut)
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
	h, pattern := a.mux.Handler(r)
	if pattern == "" {
		measure("unmatched", w, r, func(w http.ResponseWriter, r *http.Request) { a.noRoute(w, r, h) })
		return
	}
	measure(pattern, w, r, a.mux.ServeHTTP)
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

// lift replaces the server's read and write timeouts for a request that
// takes as long as its file.
func (a *API) lift(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(a.cfg.LongRequestTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}
