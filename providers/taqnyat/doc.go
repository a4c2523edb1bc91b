// Package taqnyat is wabulk's adapter for the Taqnyat WhatsApp Business API
// (seeds/taqnyat.txt, base URL https://api.taqnyat.sa/wa/v1/).
//
// It owns the wire format of POST /messages/ for every content kind
// message.Content carries (text, image, video, audio, document, sticker,
// location, contacts, template), the reading of Taqnyat's answers, the
// classification of each failure into a *providers.SendError, opt-in and
// opt-out (POST and DELETE /provision/optin/), and the parsing of Taqnyat's
// callbacks (delivery reports and inbound messages) into providers.Events.
// It must never retry, sleep, log, or put the Bearer token in an error:
// the worker decides what happens next from the SendError alone.
//
// What every adapter does the same way (the lenient JSON types, the
// BaseURL and credential checks, refusing an invalid message before any
// request, the error for an answer that cannot be read) comes from
// providers/internal/wire; what Taqnyat's bodies and codes mean stays
// here.
//
// The document is terse: it names the endpoints, the fields of each message
// object, the callback structure and the message states, but shows no
// request or answer body, no template fields and no error body. It is,
// nearly word for word, the Sinch WhatsApp API v1 reference (the same
// message objects with lat/lng and "provider", the same callback structure
// and state table, "the identifier of the receiving bot"); where the
// document is silent this package follows that API, and says so below.
//
// # Requests
//
// Every request carries "Authorization: Bearer <Token>" (the document's
// "Authentication"), Content-Type and Accept application/json. The body of
// POST /messages/ is
//
//	{"to": ["966501234567"], "message": {"type": "...", ...}}
//
// with the recipient in international format without "+" or 00 (the
// document's "Before you go", point 4) and the message object of the
// document's tables:
//
//	text      {"type":"text","text":"...","preview_url":false}
//	image     {"type":"image","url":"...","caption":"..."}
//	video     {"type":"video","url":"...","caption":"..."}
//	audio     {"type":"audio","url":"..."}
//	document  {"type":"document","url":"...","caption":"...","filename":"..."}
//	sticker   {"type":"sticker","url":"..."}
//	location  {"type":"location","lat":24.7136,"lng":46.6753,"name":"...","address":"..."}
//	contacts  {"type":"contacts","contacts":[WhatsApp contact cards]}
//	template  {"type":"template","template_name":"...","language":"ar",
//	           "header_params":["..."],"body_params":["...","..."],
//	           "media":{"type":"image|video|document|text","url":"...","filename":"..."},
//	           "buttons":[{"type":"url","parameter":"..."},{"type":"quick_reply","payload":"..."}]}
//
// Optional fields are sent only when set; preview_url is always sent with a
// text; lat and lng are always sent (0 is a place). Any message with
// ExpiresAt also carries "ttl" (see Interpretations).
//
// # Answers
//
// A 2xx answer is read like a delivery report, as in the API the document
// reproduces: {"type":"whatsapp","statuses":[{"message_id":"...",
// "recipient":"966...","status":"success","state":"queued"}]}. "statuses"
// may also be a single object or an object of objects; ids and codes may be
// numbers or strings. The report for the recipient (else the first) gives
// the Receipt: its message_id, status accepted (queued, dispatched) or
// further along if its state says so. A 2xx whose report says failure (or a
// failed state) is that failure. A 2xx with no report (or a report without
// message_id) is read in the WhatsApp-style shapes a gateway or a fake may
// answer with, in this order: {"messages":[{"id":"wamid..."}]} ("messages"
// an array or a single object), a top-level "message_id", a top-level "id"
// (each a string or a number); the first id found is the Receipt, status
// accepted. An error code (300 and up) in such a 2xx is that error, even
// beside an id (then Ambiguous: the id may be the message's). A 2xx with no
// id anywhere but an error envelope is that error. Anything else in a 2xx
// (not JSON, no message id, a "PENDING" string) is Transient, Reason
// Malformed and Ambiguous: Taqnyat may have queued the message.
//
// Errors are read in the shape the API uses, {"message":"Validation
// error","details":"..."} or {"message":"401","reason":"Unauthorized bot"}
// (title, reason, details and error are all read as words). SendError.Code
// is "message" when it is a number, else "code" when it is a number, else
// the HTTP status, else (for a report) the state; Message the provider's
// words, redacted, on one line; RetryAfter the Retry-After header (seconds
// or HTTP date) on any error. The document names no throttling answer and
// no Retry-After; the header is honoured anyway, so a gateway in front of
// Taqnyat (or Taqnyat itself) can slow wabulk down.
//
// # Classification
//
// A failed report (in a 2xx, or in an error body) decides by its state,
// and its Code is the state (no_opt_in, no_capability, failed, deleted, or
// "failure" when it names none). Otherwise the code decides: WhatsApp's
// window codes first, then a code that is no HTTP status falls back to the
// HTTP status. Last, a permanent refusal without a reason whose words
// describe the 24-hour window is the window (see Interpretations).
//
//	code / status / state          class      reason             source and reading
//	131047, 470 (message or code)  permanent  window_closed      WhatsApp's window codes (Cloud API, on-premises), passed on by Taqnyat
//	state failed or deleted whose  permanent  window_closed      doc "WhatsApp Message flow": a "session" lasts 24 hours; Code stays the state
//	  details describe the window
//	state no_opt_in                permanent  -                  doc "Message States": "rejected ... not registered to have opted in"
//	state no_capability            permanent  invalid_recipient  doc "Message States": "the recipient lacks WhatsApp capability"
//	state failed                   permanent  -                  doc "Message States": "Message has failed"
//	state deleted                  permanent  -                  doc "Message States": "deleted or expired"; ttl: "fail error will be return"
//	status failure, other state    permanent  -                  doc "Delivery Report Callback": status "either success or failure"
//	401, 403                       account    auth               doc "Authentication": "If you failed to authenticate the request ... error 401"
//	4xx or 2xx error naming        account    balance            doc "Let us Get started": the account is prepaid (balance, recharge); the
//	  balance/credit/recharge                                       words are matched because no balance error body is documented
//	402                            account    balance            providers.ClassifyHTTPStatus
//	404, 405, 3xx redirect         account    config             a wrong BaseURL: messages wait, the campaign does not fail
//	400                            permanent  -                  Sinch v1 "400 Bad Request: there was an error with your request"
//	other 4xx                      permanent  -                  providers.ClassifyHTTPStatus
//	408, 425                       transient  -                  providers.ClassifyHTTPStatus
//	429                            transient  throttled          providers.ClassifyHTTPStatus; Retry-After honoured
//	500, 502, 503, 504, other 5xx  transient  -                  providers.ClassifyHTTPStatus (non-JSON bodies too)
//	2xx error envelope, no code    permanent  -                  Taqnyat refused the request as it stands
//	  and no message id
//	any other permanent refusal    permanent  window_closed      providers.WindowRefusal: words such as "more than 24 hours have passed",
//	  describing the window                                         "Re-engagement message", a "24-hour" session; Code kept
//	2xx with a message id, no      success    -                  messages[].id, message_id or id: the WhatsApp-style answers
//	  report and no error code                                      (Cloud, on-premises) a gateway or fake may send
//	2xx, no message id, no error   transient  malformed          Ambiguous: Taqnyat may have queued the message
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written, not when it had not. An answer over
// providers.MaxBodyBytes is Transient Malformed, Ambiguous for a 2xx. An
// invalid message, or content Taqnyat cannot carry, is Permanent, Reason
// Unsupported, and no request is made.
//
// # Callbacks
//
// ParseCallback reads the document's "Callback Structure": {"type":
// "whatsapp", "statuses": [...], "contacts": [...], "notifications":
// [...]}, both lists in one body if need be.
//
// Each delivery report with a message_id becomes a status event: queued and
// dispatched → accepted, sent → sent, delivered → delivered, read → read,
// deleted → failed (code "deleted"), failed → failed (code "failed"),
// no_opt_in → failed (code "no_opt_in"), no_capability → failed (code
// "no_capability"). ProviderStatus is the state as Taqnyat wrote it, Error
// the report's details (failures only), Recipient the recipient in E.164,
// Time the ISO-8601 timestamp in UTC (RFC 3339, or with an offset without
// a colon such as "+0300", fractional seconds or not; a timestamp without a
// zone is read as UTC, a bare number as Unix time, an unreadable one as
// zero). A report
// in a state not in the table is dropped, unless its status is "failure":
// then it is failed with the state as its code. A report without "state"
// whose "status" is itself a state word ("status":"delivered") is read as
// that state.
//
// Each notification with a sender becomes an inbound event (and so does
// each item of a "messages" list in the WhatsApp Business API's own shape,
// {"from","id","timestamp","type",...}, which a reader following the API
// the document reproduces may send): From in E.164,
// To the receiving bot (E.164 when it is a number), InboundID the
// message_id, Time the timestamp. By message type: text → Text (body,
// else "text" as a string, else the Cloud API's text.body);
// button → Text (its text, else its payload); image, video, document,
// audio, sticker → MediaKind and MediaRef (the url), Text the caption;
// voice → audio; location → MediaKind location, MediaRef "geo:lat,lng"
// (lat/lng or latitude/longitude), Text "name, address"; contacts →
// MediaKind contacts, Text the cards' formatted names; edit (WhatsApp's
// edit, the new message object in edit.message) → that message, with
// Edited set. A message with a group_id (beside the message or inside it)
// was posted in a group chat: Group is set, and the worker opens no window
// and reads no keyword for it. A notification of a
// type not listed is still a message from the user (it opens the 24-hour
// window) and is kept without text. A notification without a type gets
// the one its fields show ({"text":"STOP"} is a text), and a "message"
// that is a bare string is that text; "error" and "group_event"
// notifications, which are not from a user, are dropped. The callback
// "contacts" (sender profiles), replying_to, forwarded and referral carry
// nothing wabulk records.
//
// Lists may come as a single object, ids, numbers and codes as strings or
// numbers; an entry in a shape that cannot be read is dropped, not the
// callback. A body that is not a JSON object is an error (the receiver
// answers 400). A JSON object of another type, or with nothing wabulk
// uses, yields no events and no error. The document names no callback signature: the
// receiver must protect the callback URL itself (a secret path or a
// gateway), and ParseCallback ignores the headers.
//
// # Interpretations
//
//   - ttl. The document: "specify the conversation time to live in queue
//     ... using the parameter ttl ... default time is 7 days, after that
//     message will be deleted from the queue and fail error will be
//     return". It names the default in days but no wire format; the API it
//     reproduces takes "ttl" in the message object as a string, an ISO-8601
//     duration ("P1D") or seconds. wabulk sends ExpiresAt − now as an
//     ISO-8601 duration of whole seconds, rounded down so Taqnyat never keeps
//     a message past its expiry, in days/hours/minutes/seconds ("P7D",
//     "P1DT2H30M", "PT45S"); no ttl when the message has no ExpiresAt (the
//     7-day default applies); a TTL under one second is refused (Permanent,
//     code "ttl") without a request. The document describes ttl at the top
//     of "Template Messages", a section that lists every message kind, so
//     ttl goes with every kind.
//   - Templates. The document shows no template fields beyond "one of pre
//     define templates"; they follow the API it reproduces: template_name,
//     language (the message's language code, sent as given), header_params
//     for a text header (with media {"type":"text"}), media for an image,
//     video or document header (url, and filename for a document; a caption
//     on a header is refused: template headers have none), body_params
//     (always the body parameters, never the legacy "params", which only
//     suits body-only templates), and buttons. The button list is
//     positional and must name every button of the template, so a message
//     whose button indexes are not exactly 0..n-1 is refused as
//     unsupported rather than guessed at; sub_type url sends
//     {"type":"url","parameter":...}, quick_reply {"type":"quick_reply",
//     "payload":...}. Template.Namespace has no place in this API and is
//     not sent (Taqnyat resolves templates by name and language).
//   - Sticker. The document lists stickers among the supported content
//     types (image/webp, 100 KB) and inbound types but shows no sticker
//     message object; it is sent like the other media, {"type":"sticker",
//     "url":...}, as in the API the document reproduces.
//   - "provider" (a named download provider for media) is not used: media
//     URLs must be public.
//   - Contact cards with only formatted_name also get first_name =
//     formatted_name: WhatsApp wants at least one name part beside it.
//     Image and video filenames are not sent (the document has no such
//     field); audio and sticker never carry a caption.
//   - A send answer's report in state no_opt_in is Permanent with no
//     reason: providers has no reason for "not opted in" (see OptIn).
//     Never the window, whatever its words: the document's temporary
//     opt-in lapses 24 hours after the contact wrote, an opt-in matter.
//   - The 24-hour window. The document describes the customer care
//     session ("Message flow": free-form "session" messages for 24 hours
//     after the customer's reply) but shows no refusal for a message sent
//     outside it. Taqnyat passes WhatsApp's own on: 131047 (Cloud API) or
//     470 (on-premises) in "message" or "code", in an error status or a
//     2xx. Those codes, and any other permanent refusal whose words
//     describe the window (a failed report "the 24-hour customer care
//     session is not open", a 400 "more than 24 hours have passed since
//     the customer last replied"), are Permanent, Reason WindowClosed, the
//     code kept (131047, 470, failed, 400): the worker ends the message
//     window_closed and records the contact's window closed, so the next
//     free-form message to it is not sent until the contact writes.
//   - OptIn and OptOut send "numbers" in the same MSISDN form as "to", at
//     most 20 per request (the document's limit on "to"); a 2xx is success
//     unless its body reports a failure. Opting in twice is harmless, so a
//     failed call may be repeated whole.
//   - Send answers in WhatsApp's shapes. The document shows no answer
//     body; besides the delivery report of the API it reproduces, a 2xx
//     carrying messages[].id, message_id or id is a success with that id,
//     so a gateway or a fake that answers like the WhatsApp Cloud or
//     on-premises API does not fail every message as malformed.
//   - Inbound text. The API the document reproduces puts a text message's
//     words in message.body; message.text (a string) and message.text.body
//     (the Cloud API's shape) are read when body is empty.
//   - Group chats and edits. The document shows neither, but its messages
//     follow WhatsApp's, which carry group_id on a group's message and
//     type "edit" for an edit: a group's message is its author writing to
//     the group, so it opens no window and a "STOP" there opts no one out;
//     an edited "STOP" does.
//   - Recipients in callbacks are written as E.164 when they are plain
//     international numbers (with or without "+" or 00); a national number
//     (leading 0) or a bot name is kept as Taqnyat wrote it.
//
// # Usage
//
//	c, err := taqnyat.New(taqnyat.Config{Token: token})
//	if err != nil { ... }
//	if err := c.OptIn(ctx, "+966501234567"); err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "reminder-42", Account: "taqnyat-main", To: "+966501234567",
//		Content: message.Content{Template: &message.Template{
//			Name: "appointment_reminder", Language: "ar", Body: []string{"Amina", "10:30"},
//		}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	// r.ProviderMessageID keys Taqnyat's delivery reports, which
//	// c.ParseCallback reads.
package taqnyat
