package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// format is one provider's wire format: how a request is authenticated and
// parsed, how an answer, a status receipt and an inbound message look. The
// engine decides everything else (latency, scripts, rate, pair and window
// limits, faults, counting, receipt timing, callback delivery), so a format
// is one file, <kind>.go, with a type implementing this interface and an
// init() calling register.
//
// Methods are called concurrently and must not keep state: a format is a
// plain value. A format that needs the simulator's configuration or state
// reaches it through the *Simulator its routes receive.
type format interface {
	// name is the Config.Kind that selects the format, lower case.
	name() string
	// codes lists, ascending, the provider codes a fault or a script may
	// name. It must include rateLimitCode, pairLimitCode and windowCode.
	// Return a package-level slice: it is searched on every fault.
	codes() []int
	// sendSuffix is the path of the send endpoint after any base path,
	// e.g. "/v1/messages". Matched as a suffix, trailing slash ignored.
	sendSuffix() string

	// credential extracts the caller's credential from the request or its
	// body (nil when the body could not be read), in the form the format
	// documents for Config.APIKey, e.g. "user:pass" for HTTP Basic. present
	// is false when the request carries none. See auth.go for helpers.
	credential(r *http.Request, body []byte) (cred string, present bool)
	// unauthorized is the answer to a request without a credential
	// (present false) or with a wrong one; write renders it.
	unauthorized(present bool) answer
	// parseSend validates a send body like a strict server. It returns the
	// recipient as digits (no "+") and whether the message is free-form
	// (session) rather than a template, or the rejection to answer with.
	parseSend(body []byte) (send parsed, reject *answer)
	// messageID builds the id of the seq-th message (sent or inbound) this
	// simulator hands out. nonce is 8 upper-case hex digits unique to the
	// instance; seq starts at 1 and never repeats. Ids must be unique.
	messageID(nonce string, seq uint64) string

	// rateLimitCode answers a request over Config.Rate.
	rateLimitCode() int
	// pairLimitCode answers a second message to one recipient within
	// Config.PairInterval.
	pairLimitCode() int
	// windowCode answers a free-form message to a recipient without an
	// inbound message in the last 24 h (Config.Window), and is the
	// ErrorCode of a "failed" receipt.
	windowCode() int

	// write renders a as the provider's HTTP answer. Besides its codes(), a
	// format renders the codes the engine produces itself: 200 (accept;
	// a.id is the message id), 400 (unreadable body), 404, 405, 503
	// (simulator closed) and what unauthorized returns. The engine has set
	// Retry-After already when a.retryAfter > 0; a provider that never
	// sends it may delete it.
	write(w http.ResponseWriter, a answer)

	// renderStatus renders one status receipt as the body and headers of a
	// callback POST, in the provider's vocabulary. nil body: the provider
	// does not push this receipt (it is polled, or does not exist); the
	// status still advances for MessageStatus.
	renderStatus(st statusEvent) (body []byte, header http.Header)
	// renderInbound renders an inbound message callback; nil body: none.
	renderInbound(in inboundEvent) (body []byte, header http.Header)

	// routes are the format's other endpoints (webhook configuration,
	// status polling, ...).
	routes() []route
}

// authChecker is implemented by a format whose send endpoint also answers
// a request that only checks the credential (Socnet's Authentication
// method: a body with api_key and nothing else). The engine asks it once
// the credential passed and the latency was waited out; such a request
// sends nothing and is answered with writeAuthValid (counted as a 200).
type authChecker interface {
	isAuthCheck(body []byte) bool
	writeAuthValid(w http.ResponseWriter)
}

// callbackSigner is implemented by a format whose provider signs its
// callbacks, e.g. Meta's X-Hub-Signature-256 (see hubSignature256). The
// engine calls it after rendering when Config.CallbackSecret is set.
type callbackSigner interface {
	signCallback(secret string, body []byte, header http.Header)
}

// parsed is what the engine needs from a valid send request.
type parsed struct {
	to       string // recipient, digits only
	freeForm bool   // a session message, not a template: subject to the 24 h window
}

// route is one extra endpoint of a format, matched by path suffix. serve
// answers everything itself; Simulator.readBody, Simulator.authorize and
// Simulator.MessageStatus are there to help.
type route struct {
	suffix string
	serve  func(s *Simulator, w http.ResponseWriter, r *http.Request)
}

// answer is the engine's decision for one request, in the format's codes.
type answer struct {
	code       int           // 200 accepts
	id         string        // provider message id, on accept
	to         string        // the recipient's digits, on accept
	title      string        // overrides the format's title for code
	details    string        // free text for the error body
	retryAfter time.Duration // sent as Retry-After when > 0
}

// statusEvent is one status receipt of an accepted message, for
// renderStatus.
type statusEvent struct {
	MessageID string    // as messageID built it
	Recipient string    // digits, no "+"
	Business  string    // Config.BusinessNumber, the sender
	Status    string    // "sent", "delivered", "read" or "failed"
	Time      time.Time // when the message reached Status
	ErrorCode int       // windowCode when Status is "failed", else 0
}

// inboundEvent is a message from a customer, for renderInbound.
type inboundEvent struct {
	ID   string // as messageID built it
	From string // digits, no "+"
	Name string // the customer's profile name
	To   string // Config.BusinessNumber
	Text string
	Time time.Time
}

// The statuses a receipt can carry, in their natural order.
var knownStatuses = []string{"sent", "delivered", "read", "failed"}

// defaultKind is the format a zero Config serves.
const defaultKind = "tujenge"

// formats holds every registered wire format by name. It is written only
// by init functions.
var formats = map[string]format{}

// register makes f available as Config.Kind f.name(). Each format file
// calls it from init(); it panics on a format that breaks the contract,
// so a mistake fails every test at once.
func register(f format) {
	name := f.name()
	switch {
	case name == "" || name != strings.ToLower(strings.TrimSpace(name)):
		panic(fmt.Sprintf("simulator: register: format name %q must be lower case, no spaces", name))
	case formats[name] != nil:
		panic(fmt.Sprintf("simulator: register: format %q registered twice", name))
	case !slices.IsSorted(f.codes()) || len(slices.Compact(slices.Clone(f.codes()))) != len(f.codes()):
		panic(fmt.Sprintf("simulator: register: %s: codes() must be ascending and distinct", name))
	case slices.Contains(f.codes(), http.StatusOK):
		panic(fmt.Sprintf("simulator: register: %s: codes() lists 200, which is an accept", name))
	case !strings.HasPrefix(f.sendSuffix(), "/"):
		panic(fmt.Sprintf("simulator: register: %s: sendSuffix %q must start with /", name, f.sendSuffix()))
	}
	for what, code := range map[string]int{"rateLimitCode": f.rateLimitCode(), "pairLimitCode": f.pairLimitCode(), "windowCode": f.windowCode()} {
		if !knows(f, code) {
			panic(fmt.Sprintf("simulator: register: %s: %s %d is not in codes()", name, what, code))
		}
	}
	formats[name] = f
}

// Kinds returns the wire formats a Simulator can serve (Config.Kind), sorted.
func Kinds() []string {
	kinds := make([]string, 0, len(formats))
	for k := range formats {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// lookup returns the format for kind; "" is the default.
func lookup(kind string) (format, error) {
	k := strings.ToLower(strings.TrimSpace(kind))
	if k == "" {
		k = defaultKind
	}
	f, ok := formats[k]
	if !ok {
		return nil, fmt.Errorf("kind %q is not a wire format the simulator serves (known: %s)", kind, strings.Join(Kinds(), ", "))
	}
	return f, nil
}

// knows reports whether code is one f lists.
func knows(f format, code int) bool {
	_, ok := slices.BinarySearch(f.codes(), code)
	return ok
}
