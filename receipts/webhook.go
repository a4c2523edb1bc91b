package receipts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/providers"
)

// Account is one provider account's callback endpoint, /webhooks/{account}.
//
// A callback is authenticated the one way its provider can, so exactly one
// of these is configured:
//
//   - SecretHeader and SecretValue: the request must carry the header with
//     exactly that value. Any provider that lets you set headers on its
//     webhook (Tujenge's webhook config carries custom headers).
//   - BasicUser and BasicPassword: HTTP Basic. For providers whose callback
//     URL may carry credentials (Modica: https://user:pass@host/webhooks/x).
//   - the provider's own: a Parser that is a providers.CallbackAuthenticator
//     naming a way (CallbackAuth() != "") checks every POST itself. Meta's
//     adapter does, with an AppSecret in its config: X-Hub-Signature-256,
//     an HMAC-SHA256 of the raw body with the app secret.
//   - PathToken: an unguessable token in the path,
//     /webhooks/{account}/{PathToken}, for providers that can only be
//     given a URL. Where the URL travels with every message
//     (DecisionTelecom's callback_url), a token dedicated to the endpoint
//     is what reaches the provider each time, not a password; it is
//     compared in constant time, never logged nor counted, and a wrong
//     one is answered exactly as an unknown account (404), so it cannot
//     be probed.
//
// An account with none of them is refused by NewReceiver unless Insecure
// is set: anyone who learns the URL could then forge delivery receipts and
// inbound messages (opening 24-hour windows, opting contacts out), so only
// set it behind a network that only the provider can reach.
//
// A Parser that is a providers.CallbackHandshaker answers the provider's
// GET handshake (Meta's, with a VerifyToken in its config). It
// authenticates nothing else.
type Account struct {
	// Parser reads the provider's callback bodies: the account's adapter.
	Parser providers.CallbackParser

	// SecretHeader names a header (e.g. "X-Webhook-Secret") whose value
	// must equal SecretValue.
	SecretHeader, SecretValue string
	// BasicUser and BasicPassword are HTTP Basic credentials.
	BasicUser, BasicPassword string
	// PathToken, at least MinPathToken characters of RFC 3986 unreserved
	// ones, moves the endpoint to /webhooks/{account}/{PathToken}.
	PathToken string
	// Insecure accepts callbacks without authentication. It cannot be
	// combined with one of the ways above.
	Insecure bool
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// Prefix is the key prefix the events queue is named with (Queue).
	// Defaults to "wabulk:".
	Prefix string
	// QueueShards is how many events queues there are (Queues): the
	// workers' worker.Config.QueueShards. Defaults to 1.
	QueueShards int
	// MaxBody is the largest callback body accepted, in bytes; a larger
	// one is answered 413. Defaults to 1 MiB.
	MaxBody int64
	// Accounts are the endpoints, by account name: /webhooks/{name}.
	Accounts map[string]Account
	// EnqueueTimeout bounds the Redis write of one events task (the
	// callbacks of an account that arrive while an earlier task is being
	// written share one). Defaults to 5s.
	EnqueueTimeout time.Duration
	// Now is the clock that stamps Batch.Received. Defaults to time.Now.
	Now func() time.Time
	// Logger receives one line per refused callback and per Redis failure
	// (debug: per accepted one). Lines carry the account, the remote
	// address and the reason, never a header, a body or a secret.
	// Defaults to zap.NewNop().
	Logger *zap.Logger
}

// Receiver is the HTTP receiver of provider callbacks. Each callback is
// authenticated, parsed by its account's adapter and stored in an events
// task (TypeEvents on Queue, payload a JSON Batch) before it is answered
// 200; the worker applies the events later. Callbacks of one account that
// arrive while an earlier one's task is being written share one task
// (group commit: under load, one enqueue for many callbacks; when idle,
// no wait), and each is in exactly one. It answers:
//
//	POST /webhooks/{account}  200 stored (or nothing to store), 400 unreadable,
//	                          401 not authenticated, 404 unknown account,
//	                          413 body over MaxBody, 503 Redis failed (the
//	                          provider retries)
//	POST /webhooks/{account}/{token}
//	                          the same, for an account with a PathToken; a
//	                          wrong token, or none, is a 404 exactly like an
//	                          unknown account's
//	GET  /webhooks/{account}?...
//	                          the provider's handshake (Meta's hub.mode=
//	                          subscribe&...): 200 and the challenge, or 403
//	                          (always 403 when the provider makes none)
//	GET  /healthz             200 while the process serves
//	GET  /readyz              200 when Redis answers PING, else 503
//
// A refused callback records nothing.
type Receiver struct {
	client   *asynq.Client
	cfg      ReceiverConfig
	accounts map[string]*account
	mux      *http.ServeMux
	log      *zap.Logger
}

var _ http.Handler = (*Receiver)(nil)

// NewReceiver returns the receiver that stores events through client. It
// checks every account and names each one whose configuration cannot work:
// no parser, half of a secret pair, no authentication (unless Insecure), or
// more than one way of it.
func NewReceiver(client *asynq.Client, cfg ReceiverConfig) (*Receiver, error) {
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
	w := &Receiver{
		client:   client,
		cfg:      cfg,
		accounts: map[string]*account{},
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
		a, err := checkAccount(name, cfg.Accounts[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook account %q: %w", name, err))
			continue
		}
		a.commit = &committer{timeout: cfg.EnqueueTimeout, store: func(ctx context.Context, b Batch) error {
			return EnqueueSharded(ctx, client, cfg.Prefix, cfg.QueueShards, b)
		}}
		w.accounts[name] = a
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	w.mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { text(rw, http.StatusOK, "ok") })
	w.mux.HandleFunc("GET /readyz", w.ready)
	w.mux.HandleFunc("/webhooks/{account}", w.webhook)
	w.mux.HandleFunc("/webhooks/{account}/{token}", w.webhook)
	return w, nil
}

// ServeHTTP answers webhooks, /healthz and /readyz.
func (w *Receiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mux.ServeHTTP(rw, r)
}

func (w *Receiver) ready(rw http.ResponseWriter, _ *http.Request) {
	if err := w.client.Ping(); err != nil {
		w.log.Warn("not ready: Redis does not answer", zap.Error(err))
		text(rw, http.StatusServiceUnavailable, "redis unavailable")
		return
	}
	text(rw, http.StatusOK, "ok")
}

func (w *Receiver) webhook(rw http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token") // "" on /webhooks/{account}
	a, ok := w.accounts[r.PathValue("account")]
	if !ok {
		_ = equal(token, unknownAccountToken) // as long as a token check: no timing to tell the two apart
		countWebhook("unknown", rw, r, w.unauthenticated)
		return
	}
	if !a.pathMatches(token) {
		// Answered as an unknown account is, so that a token cannot be
		// probed.
		if token != "" || a.method == authPathToken {
			w.log.Warn("webhook refused: wrong path token", zap.String("account", a.name), zap.String("remote", r.RemoteAddr))
		}
		countWebhook(a.name, rw, r, w.unauthenticated)
		return
	}
	countWebhook(a.name, rw, r, func(rw http.ResponseWriter, r *http.Request) { w.answer(rw, r, a) })
}

// unauthenticated answers a request for an account name no account has,
// or with a wrong path token, exactly as a known account answers one that
// fails authentication (401 to a POST, 403 to a handshake, 405 to other
// methods, the same bodies and headers), so that the accounts cannot be
// listed by probing.
func (w *Receiver) unauthenticated(rw http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.ContentLength > w.cfg.MaxBody:
		text(rw, http.StatusRequestEntityTooLarge, "body too large: "+
			fmt.Sprintf("body of %d bytes (Content-Length) is over the limit of %d", r.ContentLength, w.cfg.MaxBody))
	case r.Method == http.MethodPost:
		challenge(rw)
		text(rw, http.StatusUnauthorized, "not authenticated")
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.RawQuery != "":
		text(rw, http.StatusForbidden, "handshake refused")
	default:
		rw.Header().Set("Allow", "POST")
		text(rw, http.StatusMethodNotAllowed, "callbacks are POSTed here")
	}
}

// challenge asks for HTTP Basic credentials: on every 401, whatever the
// account's method, so the answer does not tell the methods apart.
func challenge(rw http.ResponseWriter) {
	rw.Header().Set("WWW-Authenticate", `Basic realm="wabulk webhooks", charset="UTF-8"`)
}

// unknownAccountToken is what a token in an unknown account's path is
// compared with.
const unknownAccountToken = "no account has this token"

// answer answers a callback, or a handshake, for account a.
func (w *Receiver) answer(rw http.ResponseWriter, r *http.Request, a *account) {
	switch {
	case r.Method == http.MethodPost:
		w.receive(rw, r, a)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.RawQuery != "":
		w.handshake(rw, r, a)
	default:
		rw.Header().Set("Allow", "POST")
		text(rw, http.StatusMethodNotAllowed, "callbacks are POSTed here")
	}
}

// errNoHandshake refuses a handshake on an account whose provider makes
// none.
var errNoHandshake = errors.New("this account's provider makes no webhook handshake")

// handshake answers the provider's GET verification request (Meta's
// hub.challenge).
func (w *Receiver) handshake(rw http.ResponseWriter, r *http.Request, a *account) {
	if a.handshake == nil {
		w.refuse(rw, r, a, http.StatusForbidden, "handshake refused", errNoHandshake)
		return
	}
	challenge, err := a.handshake.CallbackHandshake(r.URL.Query())
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
func (w *Receiver) receive(rw http.ResponseWriter, r *http.Request, a *account) {
	if r.ContentLength > w.cfg.MaxBody {
		w.refuse(rw, r, a, http.StatusRequestEntityTooLarge, "body too large",
			fmt.Errorf("body of %d bytes (Content-Length) is over the limit of %d", r.ContentLength, w.cfg.MaxBody))
		return
	}
	// Header and Basic credentials are checked before the body is read;
	// the provider's own authentication (a signature) needs the body.
	if err := a.checkHeaders(r); err != nil {
		challenge(rw)
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
	if err := a.checkBody(r.Header, body); err != nil {
		challenge(rw)
		w.refuse(rw, r, a, http.StatusUnauthorized, "not authenticated", err)
		return
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
	if err := a.commit.add(ctx, a.name, w.cfg.Now().UTC(), events); err != nil {
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
// reasons are the receiver's, the parsers' and the authenticators' errors,
// which carry no secret.
func (w *Receiver) refuse(rw http.ResponseWriter, r *http.Request, a *account, status int, what string, why error) {
	w.log.Warn("webhook refused: "+what, zap.String("account", a.name), zap.String("remote", r.RemoteAddr),
		zap.Int("status", status), zap.String("reason", why.Error()))
	msg := what
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		msg += ": " + why.Error()
	}
	text(rw, status, msg)
}

func text(rw http.ResponseWriter, status int, body string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body+"\n")
}
