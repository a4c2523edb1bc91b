package whatsapp

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// The webhook fields ChangeEvents reads besides the messages the adapters
// read themselves.
const (
	FieldMessages        = "messages"
	FieldUserPreferences = "user_preferences"
	FieldAccountUpdate   = "account_update"
)

// NoticeErrors is the ProviderStatus of the account event a system-level
// error (a notification's "errors", not a message's) becomes.
const NoticeErrors = "errors"

// ChangeEvents reads what wabulk uses from one webhook change besides its
// statuses and messages, which every adapter reads in its own way:
//
//   - field "user_preferences" (the Cloud API's value.user_preferences[]):
//     an EventPreference per entry of category "marketing_messages" whose
//     value is "stop" (MarketingStop) or "resume" (MarketingResume) and
//     whose wa_id is a phone number (From, E.164; Time the timestamp);
//   - field "account_update": one EventAccount (see AccountUpdateEvent);
//   - field "messages", or none: an EventAccount without an Action for
//     each of value.errors[], the system-level errors that concern no one
//     message (ProviderStatus NoticeErrors, ErrorCode the code, Error the
//     title, message and details). The on-premises API's body is read
//     the same way: its top-level errors are its system-level errors.
//
// Any other field yields nothing. It never fails: a value in a shape it
// does not know yields what it could read, and whether the body is well
// formed is the adapter's to say.
func ChangeEvents(field string, value []byte) []providers.Event {
	switch strings.ToLower(strings.TrimSpace(field)) {
	case "", FieldMessages:
		// Most messages changes are statuses and messages only: skip the
		// second decoding of the value unless it names errors at all.
		if !bytes.Contains(value, []byte(`"errors"`)) {
			return nil
		}
		var v struct {
			Errors wire.OneOrMany[json.RawMessage] `json:"errors"`
		}
		if !wire.DecodeObject(value, &v) {
			return nil
		}
		var out []providers.Event
		for _, raw := range v.Errors {
			if ev, ok := systemError(raw); ok {
				out = append(out, ev)
			}
		}
		return out
	case FieldUserPreferences:
		var v struct {
			Prefs wire.OneOrMany[json.RawMessage] `json:"user_preferences"`
		}
		if !wire.DecodeObject(value, &v) {
			return nil
		}
		var out []providers.Event
		for _, raw := range v.Prefs {
			if ev, ok := userPreference(raw); ok {
				out = append(out, ev)
			}
		}
		return out
	case FieldAccountUpdate:
		if ev, ok := AccountUpdateEvent(value); ok {
			return []providers.Event{ev}
		}
	}
	return nil
}

// systemError reads one {"code","title","message","error_data":{"details"}}
// (the on-premises API puts details beside the code).
func systemError(raw json.RawMessage) (providers.Event, bool) {
	var e struct {
		Code    wire.String `json:"code"`
		Title   wire.Texts  `json:"title"`
		Message wire.Texts  `json:"message"`
		Details wire.Texts  `json:"details"`
		Data    struct {
			Details wire.Texts `json:"details"`
		} `json:"error_data"`
	}
	if !wire.DecodeObject(raw, &e) {
		return providers.Event{}, false
	}
	text := joinDistinct(wire.Join(e.Title...), wire.Join(e.Message...), wire.Join(e.Details...), wire.Join(e.Data.Details...))
	if e.Code == "" && text == "" {
		return providers.Event{}, false
	}
	return providers.Event{Kind: providers.EventAccount, ProviderStatus: NoticeErrors, ErrorCode: string(e.Code), Error: text}, true
}

// userPreference reads one {"wa_id","detail","category","value","timestamp"}.
func userPreference(raw json.RawMessage) (providers.Event, bool) {
	var p struct {
		WaID      wire.String `json:"wa_id"`
		Category  wire.String `json:"category"`
		Value     wire.String `json:"value"`
		Timestamp wire.String `json:"timestamp"`
	}
	if !wire.DecodeObject(raw, &p) || !strings.EqualFold(string(p.Category), "marketing_messages") {
		return providers.Event{}, false
	}
	var pref providers.Preference
	switch strings.ToLower(string(p.Value)) {
	case "stop":
		pref = providers.MarketingStop
	case "resume":
		pref = providers.MarketingResume
	default:
		return providers.Event{}, false
	}
	from := phone(string(p.WaID))
	if from == "" {
		// A business-scoped user id, not a number: nothing wabulk sends to.
		return providers.Event{}, false
	}
	return providers.Event{Kind: providers.EventPreference, Preference: pref, From: from,
		ProviderStatus: string(p.Value), Time: unixTime(string(p.Timestamp))}, true
}

// The account_update events that stop every message of the account, and
// the restrictions that stop messaging (others stop adding numbers,
// calling, creating templates: sending goes on).
var (
	pausingEvents = map[string]string{
		"ACCOUNT_VIOLATION":  "WhatsApp reports a policy violation",
		"ACCOUNT_DELETED":    "the WhatsApp Business Account was deleted",
		"ACCOUNT_OFFBOARDED": "the WhatsApp Business Account was offboarded (device change or number re-registration)",
	}
	// liftingEvents name the event whose pause each lifts.
	liftingEvents = map[string]string{
		"ACCOUNT_RECONNECTED": "ACCOUNT_OFFBOARDED",
	}
	noticeEvents = map[string]string{
		"PARTNER_REMOVED":         "the WhatsApp Business Account is no longer shared with the solution partner",
		"PARTNER_APP_UNINSTALLED": "the business removed the app's permissions",
	}
)

// AccountUpdateEvent reads the value of an account_update change:
//
//   - DISABLED_UPDATE: ban_info.waba_ban_state REINSTATE lifts the pause an
//     earlier DISABLED_UPDATE caused (AccountResume, Lifts
//     "DISABLED_UPDATE"); SCHEDULE_FOR_DISABLE is a notice (the account
//     still sends until the date); DISABLE, or any other or no state,
//     pauses;
//   - ACCOUNT_RESTRICTION pauses when a restriction_info[] entry restricts
//     messaging (RESTRICTED_BIZ_INITIATED_MESSAGING,
//     RESTRICTED_CUSTOMER_INITIATED_MESSAGING, or any type naming
//     MESSAGING), or names none; a restriction of something else (adding
//     numbers, calling, creating templates) is a notice;
//   - ACCOUNT_VIOLATION (violation_info.violation_type), ACCOUNT_DELETED
//     and ACCOUNT_OFFBOARDED pause; ACCOUNT_RECONNECTED lifts
//     ACCOUNT_OFFBOARDED's pause;
//   - PARTNER_REMOVED and PARTNER_APP_UNINSTALLED are notices.
//
// ProviderStatus is the event, Error what its details say. Other events
// (pricing tiers, verification, partner sharing, ...) concern no sending:
// ok is false.
func AccountUpdateEvent(value []byte) (ev providers.Event, ok bool) {
	var u struct {
		Event   wire.String `json:"event"`
		BanInfo struct {
			State wire.String `json:"waba_ban_state"`
			Date  wire.String `json:"waba_ban_date"`
		} `json:"ban_info"`
		Restrictions wire.OneOrMany[struct {
			Type       wire.String `json:"restriction_type"`
			Expiration wire.String `json:"expiration"`
		}] `json:"restriction_info"`
		Violation struct {
			Type wire.String `json:"violation_type"`
		} `json:"violation_info"`
	}
	if !wire.IsObject(value) {
		return providers.Event{}, false
	}
	// Field by field: a detail in an unexpected shape must not hide the
	// event itself.
	_ = json.Unmarshal(value, &u)
	name := strings.ToUpper(string(u.Event))
	ev = providers.Event{Kind: providers.EventAccount, ProviderStatus: name}
	switch name {
	case "DISABLED_UPDATE":
		state, date := strings.ToUpper(string(u.BanInfo.State)), string(u.BanInfo.Date)
		switch state {
		case "REINSTATE":
			ev.Action, ev.Lifts = providers.AccountResume, name
			ev.Error = joinDistinct("WhatsApp reinstated the business account", date)
		case "SCHEDULE_FOR_DISABLE":
			ev.Error = joinDistinct("WhatsApp scheduled the business account to be disabled", date)
		default:
			ev.Action = providers.AccountPause
			ev.Error = joinDistinct("WhatsApp disabled the business account (ban state "+nonEmpty(state, "not given")+")", date)
		}
	case "ACCOUNT_RESTRICTION":
		var parts []string
		messaging := len(u.Restrictions) == 0
		for _, r := range u.Restrictions {
			t := strings.ToUpper(string(r.Type))
			if t == "" || strings.Contains(t, "MESSAGING") {
				messaging = true
			}
			s := nonEmpty(t, "restriction of an unnamed kind")
			if exp := expiry(string(r.Expiration)); exp != "" {
				s += " until " + exp
			}
			parts = append(parts, s)
		}
		ev.Error = "WhatsApp restricted the business account: " + nonEmpty(strings.Join(parts, ", "), "no details given")
		if messaging {
			ev.Action = providers.AccountPause
		}
	default:
		if why, ok := pausingEvents[name]; ok {
			ev.Action, ev.Error = providers.AccountPause, why
			if v := string(u.Violation.Type); v != "" {
				ev.Error += " (violation type " + v + ")"
			}
			return ev, true
		}
		if lifts, ok := liftingEvents[name]; ok {
			ev.Action, ev.Lifts = providers.AccountResume, lifts
			ev.Error = "the WhatsApp Business Account reconnected"
			return ev, true
		}
		if why, ok := noticeEvents[name]; ok {
			ev.Error = why
			return ev, true
		}
		return providers.Event{}, false
	}
	return ev, true
}

// expiry reads a restriction's expiration: Unix seconds (Meta's) or a
// date as the provider wrote it.
func expiry(s string) string {
	if t := unixTime(s); !t.IsZero() {
		return t.Format(time.RFC3339)
	}
	return s
}

// phone is a wa_id or number in E.164, or "" when it is none.
func phone(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if s == "" || !message.IsE164("+"+s) {
		return ""
	}
	return "+" + s
}

// unixTime reads Unix seconds (a string or a number, as wire.String
// renders it); zero when s is not a positive integer.
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// joinDistinct joins the non-empty, distinct words with ": ".
func joinDistinct(words ...string) string {
	var out []string
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, w) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, w)
		}
	}
	return strings.Join(out, ": ")
}
