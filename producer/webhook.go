package producer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
)

// WebhookAccount is one provider account's callback endpoint,
// /webhooks/{account}.
//
// A callback is authenticated the one way its provider can, so exactly one
// of these is configured:
//
//   - SecretHeader and SecretValue: the request must carry the header with
//     exactly that value. Any provider that lets you set headers on its
//     webhook (Tujenge's webhook config carries custom headers).
//   - BasicUser and BasicPassword: HTTP Basic. For providers whose callback
//     URL may carry credentials (Modica: https://user:pass@host/webhooks/x).
//   - AppSecret: Meta's X-Hub-Signature-256, an HMAC-SHA256 of the raw body
//     with the app secret (meta.VerifySignature).
//
// An account with none of them is refused by NewWebhooks unless Insecure is
// set: anyone who learns the URL could then forge delivery receipts and
// inbound messages (opening 24-hour windows, opting contacts out), so only
// set it behind a network that only the provider can reach.
type WebhookAccount struct {
	// Parser reads the provider's callback bodies: the account's adapter.
	Parser providers.CallbackParser

	// SecretHeader names a header (e.g. "X-Webhook-Secret") whose value
	// must equal SecretValue.
	SecretHeader, SecretValue string
	// BasicUser and BasicPassword are HTTP Basic credentials.
	BasicUser, BasicPassword string
	// AppSecret is Meta's app secret: POSTs must be signed with it.
	AppSecret string
	// Insecure accepts callbacks without authentication. It cannot be
	// combined with one of the ways above.
	Insecure bool

	// VerifyToken answers Meta's GET handshake (hub.mode=subscribe,
	// hub.verify_token, hub.challenge) made when the webhook is configured.
	// Without it every handshake is refused. It authenticates nothing else.
	VerifyToken string
}

// WebhooksConfig configures Webhooks.
type WebhooksConfig struct {
	// Prefix is the key prefix the events queue is named with
	// (message.EventsQueue). Defaults to "wabulk:".
	Prefix string
	// MaxBody is the largest callback body accepted, in bytes; a larger
	// one is answered 413. Defaults to 1 MiB.
	MaxBody int64
	// Accounts are the endpoints, by account name: /webhooks/{name}.
	Accounts map[string]WebhookAccount
	// EnqueueTimeout bounds the Redis write of one callback. Defaults to 5s.
	EnqueueTimeout time.Duration
	// Now is the clock that stamps EventBatch.Received. Defaults to time.Now.
	Now func() time.Time
	// Logger receives one line per refused callback and per Redis failure
	// (debug: per accepted one). Lines carry the account, the remote
	// address and the reason, never a header, a body or a secret.
	// Defaults to zap.NewNop().
	Logger *zap.Logger
}

// Errors from NewWebhooks, wrapped with the account's name.
var (
	ErrWebhookNoAuth       = errors.New("no authentication configured (a shared-secret header, HTTP Basic, or Meta's app secret); set Insecure to accept unauthenticated callbacks")
	ErrWebhookAuthConflict = errors.New("more than one way of authentication configured; a provider authenticates its callbacks one way, keep that one")
)

// Webhooks is the HTTP receiver of provider callbacks. Each callback is
// authenticated, parsed by its account's adapter and stored as ONE asynq
// task (message.TypeEvents on message.EventsQueue, payload a JSON
// providers.EventBatch) before it is answered 200; the worker applies the
// events later. It answers:
//
//	POST /webhooks/{account}  200 stored (or nothing to store), 400 unreadable,
//	                          401 not authenticated, 404 unknown account,
//	                          413 body over MaxBody, 503 Redis failed (the
//	                          provider retries)
//	GET  /webhooks/{account}?hub.mode=subscribe&...
//	                          Meta's handshake: 200 and the challenge, or 403
//	GET  /healthz             200 while the process serves
//	GET  /readyz              200 when Redis answers PING, else 503
//
// A refused callback records nothing.
type Webhooks struct {
	client   *asynq.Client
	cfg      WebhooksConfig
	accounts map[string]*webhookAccount
	mux      *http.ServeMux
	log      *zap.Logger
}

type webhookAccount struct {
	name string
	WebhookAccount
	// method says how POSTs are authenticated: "header", "basic",
	// "signature" or "none".
	method string
}

var _ http.Handler = (*Webhooks)(nil)

// NewWebhooks returns the receiver that stores events through client. It
// checks every account and names each one whose configuration cannot work:
// no parser, half of a secret pair, no authentication (unless Insecure), or
// more than one way of it.
func NewWebhooks(client *asynq.Client, cfg WebhooksConfig) (*Webhooks, error) {
	if client == nil {
		return nil, errors.New("webhooks: no asynq client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "wabulk:"
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	w := &Webhooks{
		client:   client,
		cfg:      cfg,
		accounts: map[string]*webhookAccount{},
		mux:      http.NewServeMux(),
		log:      cfg.Logger,
	}
	names := make([]string, 0, len(cfg.Accounts))
	for name := range cfg.Accounts {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		a, err := checkWebhookAccount(name, cfg.Accounts[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook account %q: %w", name, err))
			continue
		}
		w.accounts[name] = a
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	w.mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { text(rw, http.StatusOK, "ok") })
	w.mux.HandleFunc("GET /readyz", w.ready)
	w.mux.HandleFunc("/webhooks/{account}", w.webhook)
	return w, nil
}

func checkWebhookAccount(name string, a WebhookAccount) (*webhookAccount, error) {
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, errors.New("the name must be a non-empty URL path segment (no '/', '?' or '#')")
	}
	if a.Parser == nil {
		return nil, errors.New("no callback parser")
	}
	var ways []string
	switch {
	case a.SecretHeader != "" && a.SecretValue != "":
		if !validHeaderName(a.SecretHeader) {
			return nil, fmt.Errorf("secret header name %q is not a valid HTTP header name", a.SecretHeader)
		}
		ways = append(ways, "secret header")
	case a.SecretHeader != "":
		return nil, fmt.Errorf("secret header %s is named but has no secret value", a.SecretHeader)
	case a.SecretValue != "":
		return nil, errors.New("a secret value is set but no header to carry it")
	}
	switch {
	case a.BasicUser != "" && a.BasicPassword != "":
		if strings.Contains(a.BasicUser, ":") {
			return nil, errors.New("the HTTP Basic user must not contain ':'")
		}
		ways = append(ways, "HTTP Basic")
	case a.BasicUser != "":
		return nil, errors.New("an HTTP Basic user is set but no password")
	case a.BasicPassword != "":
		return nil, errors.New("an HTTP Basic password is set but no user")
	}
	if a.AppSecret != "" {
		ways = append(ways, "Meta app secret")
	}
	out := &webhookAccount{name: name, WebhookAccount: a}
	switch {
	case len(ways) > 1:
		return nil, fmt.Errorf("%w (%s)", ErrWebhookAuthConflict, strings.Join(ways, ", "))
	case len(ways) == 1 && a.Insecure:
		return nil, fmt.Errorf("both Insecure and %s are set: drop one", ways[0])
	case len(ways) == 0 && !a.Insecure:
		return nil, ErrWebhookNoAuth
	case a.Insecure:
		out.method = "none"
	case a.SecretHeader != "":
		out.method = "header"
	case a.BasicUser != "":
		out.method = "basic"
	default:
		out.method = "signature"
	}
	return out, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ServeHTTP answers webhooks, /healthz and /readyz.
func (w *Webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mux.ServeHTTP(rw, r)
}

func (w *Webhooks) ready(rw http.ResponseWriter, _ *http.Request) {
	if err := w.client.Ping(); err != nil {
		w.log.Warn("not ready: Redis does not answer", zap.Error(err))
		text(rw, http.StatusServiceUnavailable, "redis unavailable")
		return
	}
	text(rw, http.StatusOK, "ok")
}

func (w *Webhooks) webhook(rw http.ResponseWriter, r *http.Request) {
	a, ok := w.accounts[r.PathValue("account")]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	switch {
	case r.Method == http.MethodPost:
		w.receive(rw, r, a)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Query().Has("hub.mode"):
		w.handshake(rw, r, a)
	default:
		rw.Header().Set("Allow", "POST")
		text(rw, http.StatusMethodNotAllowed, "callbacks are POSTed here")
	}
}

// handshake answers Meta's GET verification request.
func (w *Webhooks) handshake(rw http.ResponseWriter, r *http.Request, a *webhookAccount) {
	challenge, err := meta.VerifyChallenge(r.URL.Query(), a.VerifyToken)
	if err != nil {
		w.refuse(rw, r, a, http.StatusForbidden, "handshake refused", err)
		return
	}
	w.log.Info("webhook handshake answered", zap.String("account", a.name), zap.String("remote", r.RemoteAddr))
	// The body is the challenge exactly, nothing added.
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(rw, challenge)
}

// receive authenticates, parses and stores one callback.
func (w *Webhooks) receive(rw http.ResponseWriter, r *http.Request, a *webhookAccount) {
	if r.ContentLength > w.cfg.MaxBody {
		w.refuse(rw, r, a, http.StatusRequestEntityTooLarge, "body too large",
			fmt.Errorf("body of %d bytes (Content-Length) is over the limit of %d", r.ContentLength, w.cfg.MaxBody))
		return
	}
	// Header and Basic credentials are checked before the body is read;
	// a signature needs the body.
	if err := a.checkHeaders(r); err != nil {
		if a.method == "basic" {
			rw.Header().Set("WWW-Authenticate", `Basic realm="wabulk webhooks", charset="UTF-8"`)
		}
		w.refuse(rw, r, a, http.StatusUnauthorized, "not authenticated", err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.cfg.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.refuse(rw, r, a, http.StatusRequestEntityTooLarge, "body too large",
				fmt.Errorf("body is over the limit of %d bytes", w.cfg.MaxBody))
			return
		}
		w.refuse(rw, r, a, http.StatusBadRequest, "body unreadable", err)
		return
	}
	if a.method == "signature" {
		if err := meta.VerifySignature(a.AppSecret, body, r.Header.Get(meta.SignatureHeader)); err != nil {
			w.refuse(rw, r, a, http.StatusUnauthorized, "not authenticated", err)
			return
		}
	}
	events, err := a.Parser.ParseCallback(r.Header, body)
	if err != nil {
		w.refuse(rw, r, a, http.StatusBadRequest, "callback unreadable", err)
		return
	}
	if len(events) == 0 {
		w.log.Debug("webhook: nothing to record", zap.String("account", a.name), zap.Int("bytes", len(body)))
		rw.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.cfg.EnqueueTimeout)
	defer cancel()
	b := providers.EventBatch{Account: a.name, Received: w.cfg.Now().UTC(), Events: events}
	if err := EnqueueEvents(ctx, w.client, w.cfg.Prefix, b); err != nil {
		w.log.Error("webhook: events not stored; answering 503 so the provider retries",
			zap.String("account", a.name), zap.String("remote", r.RemoteAddr), zap.Int("events", len(events)), zap.Error(err))
		rw.Header().Set("Retry-After", "5")
		text(rw, http.StatusServiceUnavailable, "events not stored, retry later")
		return
	}
	w.log.Debug("webhook: events stored", zap.String("account", a.name), zap.Int("events", len(events)))
	rw.WriteHeader(http.StatusOK)
}

// refuse answers a callback it records nothing of, and logs why. The
// reasons are the receiver's and the parsers' errors, which carry no
// secret.
func (w *Webhooks) refuse(rw http.ResponseWriter, r *http.Request, a *webhookAccount, status int, what string, why error) {
	w.log.Warn("webhook refused: "+what, zap.String("account", a.name), zap.String("remote", r.RemoteAddr),
		zap.Int("status", status), zap.String("reason", why.Error()))
	msg := what
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		msg += ": " + why.Error()
	}
	text(rw, status, msg)
}

// checkHeaders checks a shared-secret header or HTTP Basic credentials, in
// constant time.
func (a *webhookAccount) checkHeaders(r *http.Request) error {
	switch a.method {
	case "header":
		got, ok := r.Header[http.CanonicalHeaderKey(a.SecretHeader)]
		if !ok {
			return fmt.Errorf("header %s is missing", a.SecretHeader)
		}
		if len(got) != 1 || !equal(got[0], a.SecretValue) {
			return fmt.Errorf("header %s has the wrong value", a.SecretHeader)
		}
	case "basic":
		user, pass, ok := r.BasicAuth()
		if !ok {
			return errors.New("no HTTP Basic credentials")
		}
		// Both compared, whichever is wrong.
		if u, p := equal(user, a.BasicUser), equal(pass, a.BasicPassword); !u || !p {
			return errors.New("wrong HTTP Basic credentials")
		}
	}
	return nil
}

// equal compares two secrets in constant time, whatever their lengths.
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func text(rw http.ResponseWriter, status int, body string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body+"\n")
}
