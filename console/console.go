package console

import (
	"crypto/sha256"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/producer"
)

// Config configures the console.
type Config struct {
	// Producer reads and changes campaigns (the same calls as the HTTP
	// API). Required.
	Producer *producer.Producer
	// Fleet reads and changes accounts, opt-outs and schedules. Required.
	Fleet *fleet.Fleet
	// Rates are the provider accounts' configured rates (messages/s), for
	// a campaign's "draining at the rate limit" and a preview's admission
	// estimate. Nil: no estimate.
	Rates map[string]float64
	// Accounts are the provider accounts offered in forms and filters, in
	// the config's order. Defaults to Rates' keys, sorted.
	Accounts []string
	// Tokens may sign in with every right; ReadOnlyTokens may sign in and
	// see everything, and every action of theirs is refused (403). At
	// least one token in all is required (ErrNoTokens).
	Tokens         []string
	ReadOnlyTokens []string
	// Redis holds the sessions, under Prefix, so that every serve replica
	// shares them and a sign-out ends them everywhere. Required.
	Redis redis.UniversalClient
	// Prefix is the key prefix of the sessions. Defaults to "wabulk:".
	Prefix string
	// SecureCookies sets the Secure flag of the session cookie (serve
	// behind TLS). Defaults to false.
	SecureCookies bool
	// SessionTTL is how long a session lives after its sign-in. Defaults
	// to 12h.
	SessionTTL time.Duration
	// MaxUploadBytes bounds a new campaign's upload (form and recipients).
	// Defaults to 1 GiB.
	MaxUploadBytes int64
	// MaxConcurrentUploads bounds the previews and imports under way at
	// once; one more is answered 429. Defaults to 4.
	MaxConcurrentUploads int
	// LongRequestTimeout replaces the server's read and write timeouts
	// for an upload and a report, which take as long as their file.
	// Defaults to 1h.
	LongRequestTimeout time.Duration
	// CancelWait is how long a cancel waits for sends under way
	// (producer.Producer.CancelCampaign). Defaults to 10s.
	CancelWait time.Duration
	// Logger receives one line per sign-in, refused sign-in, action and
	// store failure; never a token. Defaults to zap.NewNop().
	Logger *zap.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// ErrNoTokens is returned by New when no token is configured.
var ErrNoTokens = errors.New("console: no token configured: signing in needs at least one API token")

// Role is what a signed-in token may do.
type Role string

// The roles.
const (
	RoleFull     Role = "full"
	RoleReadOnly Role = "read-only"
)

// Console is the web console, an http.Handler for the paths under /ui/.
type Console struct {
	cfg      Config
	log      *zap.Logger
	mux      *http.ServeMux
	tokens   []tokenEntry
	pages    map[string]*template.Template
	static   http.Handler
	uploads  chan struct{}
	throttle *throttle
}

var _ http.Handler = (*Console)(nil)

// tokenEntry is one configured token, as the console keeps it: its hash
// for the sign-in compare and its fingerprint for the sessions.
type tokenEntry struct {
	hash        [sha256.Size]byte
	fingerprint string
	role        Role
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is mounted.
const Prefix = "/ui/"

// New returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Producer == nil || cfg.Fleet == nil || cfg.Redis == nil {
		return nil, errors.New("console: Producer, Fleet and Redis are required")
	}
	c := &Console{mux: http.NewServeMux()}
	for _, t := range cfg.Tokens {
		if t != "" {
			c.tokens = append(c.tokens, newTokenEntry(t, RoleFull))
		}
	}
	for _, t := range cfg.ReadOnlyTokens {
		if t != "" {
			c.tokens = append(c.tokens, newTokenEntry(t, RoleReadOnly))
		}
	}
	if len(c.tokens) == 0 {
		return nil, ErrNoTokens
	}
	cfg.Tokens, cfg.ReadOnlyTokens = nil, nil // only hashes and fingerprints are kept
	if cfg.Prefix == "" {
		cfg.Prefix = "wabulk:"
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 1 << 30
	}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 4
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Accounts) == 0 {
		for a := range cfg.Rates {
			cfg.Accounts = append(cfg.Accounts, a)
		}
		sort.Strings(cfg.Accounts)
	}
	c.cfg, c.log = cfg, cfg.Logger
	c.uploads = make(chan struct{}, cfg.MaxConcurrentUploads)
	c.throttle = newThrottle(cfg.Now)
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	c.static = http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	c.mux.HandleFunc("GET /ui/static/", c.serveStatic)
	c.mux.HandleFunc("GET /ui/signin", c.signInPage)
	c.mux.HandleFunc("POST /ui/signin", c.signIn)
	c.mux.Handle("POST /ui/signout", c.action(c.signOut))

	c.mux.Handle("GET /ui/{$}", c.page(c.campaignsPage))
	c.mux.Handle("GET /ui/campaigns/{id}", c.page(c.campaignPage))
	c.mux.Handle("GET /ui/campaigns/{id}/chart.svg", c.page(c.chartSVG))
	c.mux.Handle("GET /ui/campaigns/{id}/report", c.page(c.report))
	c.mux.Handle("POST /ui/campaigns/{id}/{action}", c.action(c.campaignAction))
	c.mux.Handle("GET /ui/new", c.page(c.newPage))
	c.mux.Handle("POST /ui/new", c.upload(c.newCampaign))
	c.mux.Handle("GET /ui/providers", c.page(c.providersPage))
	c.mux.Handle("POST /ui/providers/{name}/{action}", c.action(c.providerAction))
	c.mux.Handle("GET /ui/optouts", c.page(c.optOutsPage))
	c.mux.Handle("POST /ui/optouts/{action}", c.action(c.optOutAction))
	c.mux.Handle("GET /ui/schedules", c.page(c.schedulesPage))

	c.mux.Handle("GET /ui/api/campaigns", c.json(c.apiCampaigns))
	c.mux.Handle("GET /ui/api/campaigns/{id}", c.json(c.apiCampaign))
	c.mux.Handle("GET /ui/api/providers", c.json(c.apiProviders))
}

// ServeHTTP answers the console's paths; every answer carries the
// security headers (a strict Content-Security-Policy: no inline script or
// style).
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if r.URL.Path == "/ui" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if _, pattern := c.mux.Handler(r); pattern == "" {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			other := r.Clone(r.Context())
			other.Method = m
			if _, p := c.mux.Handler(other); p != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			c.errorPage(w, r, http.StatusMethodNotAllowed, "Not allowed", "This address does not take a "+r.Method+" request.")
			return
		}
		c.notFound(w, r, "There is no page at this address.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	c.static.ServeHTTP(w, r)
}

// storeFailed answers a request the store (Redis) could not serve.
func (c *Console) storeFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.log.Error("console: "+what, zap.String("path", r.URL.Path), zap.Error(err))
	w.Header().Set("Retry-After", "5")
	c.errorPage(w, r, http.StatusServiceUnavailable, "The store is not answering",
		"The store (Redis) did not answer, so this page cannot be shown. Try again in a moment; if it lasts, check Redis.")
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	c.errorPage(w, r, http.StatusNotFound, "Not found", msg)
}

// errorPage answers status with a page saying msg (never an internal
// error's text).
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s, _ := sessionFrom(r.Context())
	c.render(w, r, status, "error", pageData{Title: title, Session: s, Data: errorData{Status: status, Message: msg}})
}

type errorData struct {
	Status  int
	Message string
}

// forbidden answers a refused action.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	c.errorPage(w, r, http.StatusForbidden, "Not allowed", msg)
}
