package providers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/wabulk/wabulk/message"
)

// EventKind says what a callback event is about.
type EventKind string

// The kinds of callback events.
const (
	// EventStatus is a delivery report for a message we sent.
	EventStatus EventKind = "status"
	// EventInbound is a message a contact sent to the business.
	EventInbound EventKind = "inbound"
	// EventPreference is a contact changing which messages it takes from
	// the business (WhatsApp's user_preferences: it stopped or resumed
	// marketing messages).
	EventPreference EventKind = "preference"
	// EventAccount is a notice about the provider account itself (Meta's
	// account_update: a ban, a restriction, a reinstatement) or a
	// system-level error that concerns no one message.
	EventAccount EventKind = "account"
)

// Preference is what a preference event says the contact wants.
type Preference string

// The preferences a contact can state.
const (
	// MarketingStop: the contact stopped marketing messages. Marketing
	// templates to it end opted_out; utility and authentication templates,
	// and replies inside its window, still go.
	MarketingStop Preference = "marketing_stop"
	// MarketingResume: the contact takes marketing messages again.
	MarketingResume Preference = "marketing_resume"
)

// AccountAction is what an account event means for sending.
type AccountAction string

// The actions an account event asks for; "" asks for none (the notice is
// logged).
const (
	// AccountPause: the provider refuses (or will refuse) the account's
	// messages (a ban, a messaging restriction, a deleted account): the
	// account is paused until an operator, or a notice that lifts it,
	// resumes it.
	AccountPause AccountAction = "pause"
	// AccountResume lifts the pause an earlier notice caused (a ban
	// reinstated): Lifts names that notice. A pause with another cause (an
	// operator's, a failed send's) stays.
	AccountResume AccountAction = "resume"
)

// Event is one thing a provider told us in a callback (or a status poll),
// in wabulk's vocabulary. One callback body may carry several.
type Event struct {
	Kind EventKind `json:"kind"`

	// Status events. ProviderMessageID is the id the provider returned
	// when it accepted the message. Status is normalized to the states a
	// record may move to after acceptance: message.Accepted (queued at the
	// provider), Sent, Delivered, Read or Failed. ProviderStatus keeps the
	// provider's own word. Recipient is E.164 when the provider says.
	ProviderMessageID string         `json:"provider_message_id,omitempty"`
	Status            message.Status `json:"status,omitempty"`
	ProviderStatus    string         `json:"provider_status,omitempty"`
	ErrorCode         string         `json:"error_code,omitempty"`
	Error             string         `json:"error,omitempty"`
	Recipient         string         `json:"recipient,omitempty"`

	// Inbound events. From is the contact (E.164), To the business number
	// or bot id the provider names (E.164 when it is a number). Text is the
	// body of a text message (or a caption, a button's text); media come as
	// the provider's id or link with their kind.
	InboundID string       `json:"inbound_id,omitempty"`
	From      string       `json:"from,omitempty"`
	To        string       `json:"to,omitempty"`
	Text      string       `json:"text,omitempty"`
	MediaKind message.Kind `json:"media_kind,omitempty"`
	MediaRef  string       `json:"media_ref,omitempty"`
	// Group is the group chat's id when the message was posted in a group
	// (WhatsApp's group_id): From wrote to the group, not to the business,
	// so it opens no window and is no opt-out keyword.
	Group string `json:"group,omitempty"`
	// Edited is set when the message is the contact's edit of an earlier
	// one: Text and the media are the new content.
	Edited bool `json:"edited,omitempty"`

	// Preference events. From is the contact (E.164); ProviderStatus
	// keeps the provider's word ("stop", "resume").
	Preference Preference `json:"preference,omitempty"`

	// Account events. ProviderStatus names the notice ("DISABLED_UPDATE",
	// "ACCOUNT_RESTRICTION"; "errors" for a system-level error, with its
	// ErrorCode); Error says what it means in the provider's words (ban
	// state, restrictions and their expiry, violation type). Action is
	// what wabulk does; Lifts, for AccountResume, is the ProviderStatus of
	// the notice whose pause it lifts.
	Action AccountAction `json:"action,omitempty"`
	Lifts  string        `json:"lifts,omitempty"`

	// Time is when the provider says it happened (UTC); zero if it does not.
	Time time.Time `json:"time,omitzero"`
}

// CallbackParser reads a provider's callback into events. It is given the
// request's headers and its whole body (already size-limited by the
// receiver). A body it cannot read is an error: the receiver answers 400
// and records nothing. A body it can read but that carries nothing wabulk
// uses (e.g. a template-status notification) yields no events and no error.
type CallbackParser interface {
	ParseCallback(h http.Header, body []byte) ([]Event, error)
}

// CallbackAuthenticator is a CallbackParser whose provider authenticates
// its callbacks itself, in a way only the adapter knows (Meta signs every
// body with the app's secret: X-Hub-Signature-256). The receiver checks a
// POST with it, on the raw body, before ParseCallback; it then needs no
// shared secret of its own for the account.
type CallbackAuthenticator interface {
	// CallbackAuth names the way, for logs and configuration errors
	// ("X-Hub-Signature-256 (Meta app secret)"), or is "" when the adapter is not configured to
	// authenticate (no secret given): the receiver then needs another way.
	CallbackAuth() string
	// AuthenticateCallback checks a callback's headers and its body,
	// exactly as received. A non-nil error refuses the callback (401); its
	// text never carries a secret.
	AuthenticateCallback(h http.Header, body []byte) error
}

// CallbackHandshaker answers the GET a provider makes to check a webhook
// URL before it sends callbacks there (Meta's hub.mode=subscribe with
// hub.verify_token and hub.challenge).
type CallbackHandshaker interface {
	// CallbackHandshake is given the request's query and returns the body
	// of the 200 answer (text/plain, written exactly), or an error that
	// refuses the handshake (403) and never carries a secret.
	CallbackHandshake(q url.Values) (challenge string, err error)
}

// StatusPoller asks a provider for a message's current status, for
// providers without push receipts (DecisionTelecom's receive-whatsapp).
type StatusPoller interface {
	PollStatus(ctx context.Context, providerMessageID string) (Event, error)
}

// OptInRegistry is a provider that keeps its own opt-in list (Taqnyat's
// /provision/optin/), which `wabulk optout` keeps in step with wabulk's.
type OptInRegistry interface {
	OptIn(ctx context.Context, numbers ...string) error
	OptOut(ctx context.Context, numbers ...string) error
}
