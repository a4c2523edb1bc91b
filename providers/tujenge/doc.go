// Package tujenge is wabulk's adapter for the Tujenge WhatsApp API v1
// (seeds/tujenge.txt): the on-premises WhatsApp Business API v1 wire format
// behind an API-key gateway.
//
// It owns the wire format of POST /v1/messages for every content kind
// message.Content carries (text, image, video, audio, document, sticker,
// location, contacts, template), the reading of Tujenge's answers in both
// documented error shapes, the classification of each failure into a
// *providers.SendError, POST /v1/configs/webhook, and the parsing of the
// notifications Tujenge forwards to that webhook. It must never retry,
// sleep, log, or put the API key (or webhook header values) in an error:
// the worker decides what happens next from the SendError alone.
//
// What every adapter does the same way (the lenient JSON types, the
// BaseURL and credential checks, refusing an invalid message before any
// request, the error for an answer that cannot be read) comes from
// providers/internal/wire; what Tujenge's bodies and codes mean stays
// here.
//
// # Requests
//
// Every request carries WA-API-KEY (each key is bound to one sender number,
// so one Client is one sender), Content-Type and Accept application/json.
// Recipients go out as wa_id: E.164 without the "+". Media go by link
// ("send-file-as-link", which the document recommends). Templates carry
// language.policy "deterministic" and a namespace when Config.Namespace or
// the message's Template.Namespace (which wins) is set; header, body and
// button components are sent only when they have parameters.
//
// # Answers
//
// A 2xx with {"messages":[{"id":"gBEG..."}]} (or "messages" as a single
// object) is a Receipt with status accepted. A 2xx that is not JSON or
// names no message id is Transient, Reason Malformed and Ambiguous:
// Tujenge may have sent the message. A 2xx whose body carries "errors" (or
// meta.success false) is the error it describes.
//
// Errors come in two shapes, both parsed:
//
//	on-premises: {"errors":[{"code":470,"title":"...","details":"..."}],"meta":{...}}
//	gateway:     {"meta":{"success":false,"http_code":400,"developer_message":"...","details":["..."]}}
//
// The code is errors[0].code, else meta.http_code, else the HTTP status; a
// code may be a JSON number or string. SendError.Code is that code as a
// decimal string, HTTPStatus the HTTP status, Message the provider's
// title/details or developer_message/details (redacted, one line),
// RetryAfter the Retry-After header (seconds or HTTP date) on any error.
//
// # Classification
//
// Provider codes are checked first, then a code that is itself an HTTP
// status, then the HTTP status. "doc" is the Tujenge document's "Messages
// Error scenarios"; "WA" is WhatsApp's on-premises error code list, which
// Tujenge passes through.
//
//	code / status                      class      reason             source and reading
//	408 (code or HTTP)                 transient  -                  doc: "pending for too long ... resend the message"
//	HTTP 429, 1015                     transient  throttled          WA: too many requests
//	1016, 1011                         transient  -                  WA: system overloaded; service not ready
//	HTTP 500/502/503/504, no code      transient  -                  gateway Response 50X; nothing more specific
//	470                                permanent  window_closed      doc: more than 24 hours since the customer replied
//	131047                             permanent  window_closed      WA Cloud API: re-engagement message (the same window; see Interpretations)
//	400                                permanent  -                  doc: "Bad Request", the payload is wrong
//	1000, 1014                         permanent  media              doc: unsupported MIME / file not processable; media URL fetch failed
//	1009                               permanent  -                  doc: invalid parameter (e.g. latitude)
//	2000–2099 (2001, ...)              permanent  template           doc: template name does not exist in the translation
//	"structure unavailable" (code 500) permanent  template           doc: the client could not display the template
//	1013, 1026                         permanent  invalid_recipient  WA: user not valid; receiver incapable
//	HTTP 401 (whatever its code), 403, 1005 account auth          doc "Authorization"; WA: access denied
//	471, 1031                          account    blocked            WA: spam rate limit; sender account locked
//	HTTP 402                           account    balance            providers.ClassifyHTTPStatus
//	HTTP 404/405, 3xx redirect         account    config             a wrong base_url: messages wait, the campaign does not fail
//	other 4xx                          permanent  -                  providers.ClassifyHTTPStatus
//	other 5xx                          transient  -                  providers.ClassifyHTTPStatus
//	unknown code in a 2xx              permanent  -                  Tujenge refused this request as it stands
//	any permanent refusal above        permanent  window_closed      providers.WindowRefusal: the doc's 470 words ("more than 24 hours have
//	  without a reason whose words                                      passed since the customer last replied") under another code or none
//	  describe the 24-hour window
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written (a timeout waiting for the answer), not when it
// had not (a cancelled context, a dial or TLS handshake that never
// finished). An answer over providers.MaxBodyBytes is Transient Malformed,
// Ambiguous for a 2xx. An invalid message is Permanent, Reason
// Unsupported, and no request is made.
//
// # Callbacks
//
// ParseCallback reads the on-premises notification Tujenge forwards:
// {"statuses":[{"id","recipient_id","status","timestamp","errors"}],
// "contacts":[...],"messages":[{"from","id","timestamp","type",...}],
// "errors":[...]}, both lists in one body if need be. A gateway that relays
// the Cloud API's envelope instead ({"object","entry":[{"changes":[{"value":
// {...}}]}]}) is read the same way, each messages change's value as one
// such body, To from metadata.display_phone_number; user_preferences and
// account_update changes are read by whatsapp.ChangeEvents (marketing
// stops and resumes, account notices), and changes to other fields are
// skipped.
//
//   - statuses: sent → sent, delivered → delivered, read → read, failed →
//     failed with ErrorCode = errors[0].code and Error = its title and
//     details; deleted and unknown states yield nothing. Recipient is
//     recipient_id in E.164.
//   - messages: one inbound event per message with a sender, From in E.164,
//     InboundID the message id. text → Text; image, video, audio, voice,
//     document, sticker → MediaKind, MediaRef = the media id (else its
//     link), Text = caption; location → MediaKind location, MediaRef
//     "geo:<lat>,<long>" when both are readable, Text = name and address;
//     button → its text; interactive → the button_reply or list_reply title.
//     A message with a group_id was posted in a group chat: Group is set,
//     and the worker opens no window and reads no keyword for it. An edit
//     (type "edit", the new message object in edit.message) is read as
//     that message, with Edited set.
//   - top-level errors (system notifications), and a Cloud API value's
//     errors, are account events without an action: the worker logs them.
//   - messages of type "system" (the user changed number) yield nothing:
//     the user did not write, so the 24-hour window stays as it was.
//
// Time is the timestamp in UTC: Unix seconds as a JSON string or number
// (fractions kept), or an RFC 3339 string; anything else is the zero time.
// Latitude and longitude may be JSON numbers or numeric strings.
//
// The decoding is lenient field by field: a value in a shape that cannot be
// read (an unreadable timestamp, a numeric recipient_id, "errors" as an
// object, a media field that is not an object) loses that value only; the
// rest of the body still yields its events. A body that is not a JSON
// object, or not valid JSON, is an error (the receiver answers 400). The
// document names no callback signature: the optional webhook headers set
// with SetWebhook are for the receiver to check; ParseCallback ignores
// headers.
//
// # Interpretations
//
//   - The 24-hour window. The document's 470 is WhatsApp's on-premises
//     code; a Tujenge number moved to the Cloud API answers the same
//     refusal as 131047, and a refusal may come with the 470 words but
//     no code (a gateway's meta.developer_message). All are Permanent,
//     Reason WindowClosed, Code kept: the worker ends the message
//     window_closed and records the contact's window closed ("Manage
//     cut-off control (don't send other messages than templated-based
//     messages if there is a 470 response)"). Tujenge forwards inbound
//     messages, so its accounts enforce the window by default.
//   - 1000 covers both "Failed to generate processed file path" (the
//     document blames full storage) and "file format not supported". Both are
//     classed media/permanent: the first is rare and resending the same
//     media rarely helps the second. A 1000 that recovers is lost, not
//     duplicated.
//   - "structure unavailable" is recognised by its text, whatever the code
//     and HTTP status: the document lists it under code 500, which would
//     otherwise read as a transient server error and be retried forever.
//   - preview_url is sent top-level, as the on-premises API defines it (the
//     Cloud API moved it into "text"), and only when true.
//   - A contact card with only formatted_name also gets first_name =
//     formatted_name: WhatsApp wants at least one name part beside it.
//   - Audio and sticker never carry a caption; filename is sent for
//     documents only (in messages and template headers).
//   - Codes documented only by WhatsApp (1005, 1011, 1013, 1015, 1016, 1026,
//     1031, 471) are classified as WhatsApp documents them; Tujenge proxies
//     the on-premises API unchanged.
//   - Callback timestamps. The on-premises API sends Unix seconds as a
//     string; the document shows no callback body, so a relay or a fake
//     that writes ISO-8601 (RFC 3339) or a JSON number is read too, rather
//     than refusing the whole notification and losing its other reports.
//   - A malformed value drops that value, not the body: a 400 makes
//     Tujenge retry a body that will never parse, and every other status
//     and message in it would be lost. A string field sent as a number
//     (e.g. a numeric recipient_id) is such a value and reads as empty.
//   - Group chats, edits, marketing stops and account updates: Tujenge's
//     document shows none, but it relays WhatsApp's notifications as they
//     are, so they are read as WhatsApp (and Meta's webhook reference)
//     writes them. A group's message is kept as an event (it is traffic)
//     but opens no window: its author wrote to the group, not to the
//     business, and a "STOP" there is no request to this business. An
//     account_update reaching this account's webhook is taken to concern
//     this account.
//   - SetWebhook accepts any absolute http(s) URL; Tujenge's own advice is
//     HTTPS with a complete certificate chain, no redirects, and an
//     immediate 200 from the receiver.
//
// # Usage
//
//	c, err := tujenge.New(tujenge.Config{APIKey: key, Namespace: "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574"})
//	if err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "reminder-42", Account: "tujenge-main", To: "+255712345678",
//		Content: message.Content{Template: &message.Template{
//			Name: "appointment_reminder", Language: "en", Body: []string{"Amina", "10:30"},
//		}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	// r.ProviderMessageID keys Tujenge's status notifications.
package tujenge
