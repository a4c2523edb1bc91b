// Package modica is wabulk's adapter for Modica's Mobile Gateway used as a
// WhatsApp Business channel (seeds/modica.txt, "WhatsApp For Business
// API"). It sends through the Mobile Gateway REST API
// (POST /rest/gateway/messages) and reads Modica's MO and DLR callbacks.
//
// It owns the wire format of that endpoint, the reading of the gateway's
// answers, the classification of each failure into a *providers.SendError,
// and the parsing of both callbacks into providers.Event. It must never
// retry, sleep, log, or put the password (or the Basic credential built
// from it) in an error: the worker decides what happens next from the
// SendError alone.
//
// What every adapter does the same way (the lenient JSON types, the
// BaseURL and credential checks, refusing an invalid message before any
// request, the error for an answer that cannot be read) comes from
// providers/internal/wire; what Modica's bodies and codes mean stays
// here.
//
// # Sources
//
// The document (seeds/modica.txt) is thin. It says: onboarding and
// templates are managed with Modica and Meta; "Please see our API
// Documentation" for sending; the MO callback is a POST of
// {"id", "source", "Destination", "content": obj} where content carries a
// WhatsApp message notification (audio, button, context, document, errors,
// identity, image, interactive, referral, sticker, system, text, template,
// type, video); the value "base64" is supplied when content is
// base64-encoded binary data; the DLR callback is a POST of
// {"id", "status", "reference"} with statuses sent, received, rejected and
// expired; callbacks go only to URLs configured in the API Configuration.
//
// From Modica's public API documentation (the OpenAPI page "Modica REST
// API v1.0.0" at oss.modicagroup.com/docs/api/mobile-gateway-rest-v1.html,
// the REST v1 overview, and clients written against it) this adapter takes:
// the endpoint https://api.modicagroup.com/rest/gateway/messages; HTTP Basic
// with the application name and password; JSON request and response; the
// request members destination (international format, "+64211234567"),
// content (text sent verbatim), source (picks the sending number when the
// application has several; not to be combined with class), reference, and
// the ones not used here (class "mt_message", mask, sms_class, scheduled);
// the success answer 201 Created whose body is a bare array holding the new
// message's id as a number ([123]); the error codes send_failed ("could not
// queue message due to an unknown error"), invalid_json, missing_attrib,
// invalid_attrib and broadcast_limit, in {"error": code, "error-desc": words};
// the framework's own errors {"status": 401, "message": "Unauthorized"}.
// Modica's separate WhatsApp Business Messaging API (/rest/wab/v1/messages,
// typed text/template bodies, 202 [{"id": uuid, "status": "accepted"}],
// errors {"error", "message", "statusCode"}) is not what this adapter
// calls, but its answer and error shapes are read too, in case the gateway
// shares them.
//
// # Requests
//
//	POST {BaseURL}/rest/gateway/messages
//	Authorization: Basic base64(Username:Password)
//	Content-Type: application/json
//	Accept: application/json
//
//	{"destination":"+255712345678","content":"Habari","source":"+6421000000","reference":"camp-1:+255712345678"}
//
// destination is Message.To in E.164 with its "+"; content is the text;
// source is Message.From, sent only when set; reference is Message.ID.
//
// Only text goes out. The gateway's content is a string: it has no member
// for media, locations, contacts or templates, so image, video, audio,
// document, sticker, location, contacts and template messages are refused
// with Reason Unsupported before any request. Text.PreviewURL has no member
// either; the text goes out and Modica decides how links render.
//
// # Answers
//
// A 2xx whose body names a message id is a Receipt with status accepted.
// The id is read leniently, as the seed documents no send API and the
// public one only [123]:
//
//	[123], ["123"], [{"id": ...}]                            a bare array (documented)
//	123, "123"                                               a bare number or string
//	{"id": ...}                                              an object's id
//	{"message_id": ...}, {"messageId": ...}                  the same, other spellings
//	{"messages": [{"id": ...}]}, {"messages": {"id": ...}}   the Cloud API's shape
//	{"data": {"id": ...}}, {"data": [{"id": ...}]}           a framework's envelope
//
// The members are tried in that order, in any letter case; under
// "messages" and "data" only objects count (and may nest once more, as in
// {"data": {"messages": [...]}}), so {"data": "Created"} names no id.
// Numbers become their decimal string. A 2xx that is not JSON or names no
// id anywhere is Transient, Reason Malformed and Ambiguous: Modica may have
// queued the message. A 2xx
// whose body names an error ("error", "errors", or status/statusCode ≥ 400)
// is that error, Ambiguous when it names an id too.
//
// Error bodies read: {"error": "invalid_attrib", "error-desc": "..."} (also
// error_description, description, message); {"status": 401, "message":
// "..."}; {"error": "words", "message": "...", "statusCode": 400};
// {"errors": [{"field", "code", "description"}]}. SendError.Code is the
// "error" member when it is a code (a single word), else errors[0].code, else
// status/statusCode/code, else the HTTP status. Message is the provider's
// words (redacted, one line); RetryAfter is the Retry-After header (seconds or
// HTTP date) on any error.
//
// # Classification
//
// WhatsApp codes are checked first, then the gateway's codes, then a code
// that is itself an HTTP status, then the HTTP status.
//
//	code / status                        class      reason             source and reading
//	131047, 470                          permanent  window_closed      WhatsApp, when quoted as a code or "(#131047)" in the words
//	invalid_attrib describing the window permanent  window_closed      Modica's window refusal: "... more than 24 hours have passed ..."
//	130429, 131056, 80007, 4             transient  throttled          WhatsApp rate limits, likewise
//	131026                               permanent  invalid_recipient  WhatsApp: message undeliverable, likewise
//	368, 471, 131031, 131064             account    blocked            WhatsApp: policy block, spam limit, account locked, messaging limit after template violations, likewise
//	131053                               transient  media              WhatsApp: media upload error (the media host failed or throttled), likewise
//	131042                               account    balance            WhatsApp: business payment issue, likewise
//	send_failed                          transient  -                  Modica: could not queue the message (an unknown error on their side)
//	invalid_json, missing_attrib         permanent  -                  Modica: our request is malformed or incomplete
//	invalid_attrib naming "destination"  permanent  invalid_recipient  Modica: invalid attribute value; the number is refused
//	  (and not the window)
//	invalid_attrib (other)               permanent  -                  Modica: invalid attribute value (source, content, reference)
//	broadcast_limit, other codes         (by HTTP status, rows below)  Modica: broadcasts only; this adapter sends one destination
//	HTTP 401, 403                        account    auth               Modica: {"status": 401, "message": "Unauthorized"}
//	HTTP 402                             account    balance            providers.ClassifyHTTPStatus
//	HTTP 404, 405, 3xx                   account    config             a wrong BaseURL (Modica redirects plain HTTP to HTTPS)
//	HTTP 429                             transient  throttled          not documented by Modica; Retry-After honoured when sent
//	HTTP 408, 5xx                        transient  -                  providers.ClassifyHTTPStatus
//	HTTP 400, 422, other 4xx             permanent  -                  Modica: bad request / invalid scheduled time
//	unknown code in a 2xx                permanent  -                  Modica refused this request as it stands
//	any permanent refusal above without  permanent  window_closed      providers.WindowRefusal: its words describe the 24-hour window
//	  a reason, describing the window
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written (a timeout waiting for the answer), not when it
// had not. An answer over providers.MaxBodyBytes is Transient Malformed,
// Ambiguous for a 2xx. An invalid message is Permanent, Reason Unsupported,
// and no request is made.
//
// # Callbacks
//
// ParseCallback takes either callback (or a JSON array of them): an object
// with "content" is an MO, one with "status" is a DLR, any other object
// yields nothing. Member names match in any letter case ("Destination" as
// the document writes it, or "destination").
//
// DLR {"id", "status", "reference"} becomes a status event for
// ProviderMessageID = id, the message id Send returned (the gateway's id
// for the message; a number or a string):
//
//	sent      → sent                             "sent by the carrier transport"
//	received  → delivered                        "message has been received"
//	rejected  → failed, ErrorCode "rejected"     "the carrier rejected the message"
//	expired   → failed, ErrorCode "expired"      "unable to deliver ... in a specified amount of time"
//	frozen    → failed, ErrorCode "frozen"       Modica's public DLR page: no further retries
//
// and, as aliases for words the document does not list (see
// Interpretations):
//
//	delivered                      → delivered
//	read                           → read
//	failed, undelivered            → failed, ErrorCode the word (lower-cased)
//	accepted, queued, submitted    → accepted
//
// Statuses match in any case; ProviderStatus keeps Modica's word. An
// unknown status yields nothing; a DLR without an id is an error.
// reference echoes Message.ID, which Send sent as reference; an Event has no
// member for it and the store finds the record by provider id.
//
// MO {"id", "source", "Destination", "content"} becomes an inbound event:
// InboundID = id (else content.id), From = source (else content.from) in
// E.164 with "+", To = Destination (E.164 with "+" when it is a phone
// number, a short code as is), Time = content.timestamp (Unix seconds, UTC).
// content is read as a WhatsApp message object — or, when it is a whole
// WhatsApp notification ({"contacts","messages"} or the Cloud API
// envelope), as the first message inside it: text.body → Text; image,
// video, audio (and voice), document, sticker → MediaKind, MediaRef (the
// media id, else link/url) and the caption as Text; button → its text (else
// payload); interactive → button_reply / list_reply title (else id);
// location → MediaKind location, MediaRef "lat,long", Text name and address;
// contacts → MediaKind contacts; an edit (type "edit") → its new message
// object (edit.message), read the same way, with Edited set. A message
// with a group_id was posted in a group chat: Group is set (the worker
// opens no window and reads no keyword for it). reaction, order, unsupported and unknown
// types are still an inbound event without text: the contact wrote, which
// opens the 24-hour window. Notifications that are not a contact's message
// — system, identity, template, errors, and WhatsApp statuses (sent,
// delivered, read, failed) arriving on the MO URL — yield nothing: their ids
// are WhatsApp's, not the gateway ids Send returned, so they cannot be
// matched; the DLR callback is the status source.
//
// When the callback carries "encoding": "base64", content is decoded first:
// a string content is decoded (then read as a WhatsApp object if it is one,
// else as text); in an object content the text (body, caption) is decoded
// when it is valid base64 of UTF-8. A content that is a plain string is the
// text. An MO without any source is an error.
//
// # Interpretations
//
//   - The endpoint is the Mobile Gateway's, as the document points at it;
//     that endpoint carries text only, so templates cannot go out through
//     this adapter and free-form text is all it sends (inside the 24-hour
//     window, which the worker guards).
//   - Message.From goes out as source, in E.164 with its "+", the format
//     Modica uses for numbers; it is left out when empty so the
//     application's default sender is used. class is never sent.
//   - Message.ID goes out as reference (the document's DLR echoes
//     "reference"); its length limit, if any, is not documented.
//   - The DLR id is the id of Send's answer: the REST overview says to store
//     the message id returned and reconcile delivery receipts with it.
//   - The seed gives no send API, so a success shape other than the public
//     API's [123] is read wherever a message id plausibly sits ("id",
//     "message_id", "messageId", "messages", "data"); only a 2xx with no id
//     anywhere is malformed.
//   - The seed lists four DLR statuses (sent, received, rejected,
//     expired). WhatsApp's words (delivered, read, failed) and common
//     gateway words (undelivered; accepted, queued, submitted for a message
//     taken but not yet sent) are read as aliases rather than dropped, so
//     a status is not lost when the gateway relays them.
//   - The "base64" value's member name is not given; "encoding" is read,
//     as Modica's SMS MO callbacks name it.
//   - 429 and Retry-After are not documented by Modica; both are honoured.
//   - send_failed is transient: Modica says it could not queue the message,
//     so nothing was sent and a retry is safe.
//   - WhatsApp codes are recognised only when a number or "(#code)" appears
//     in the answer; the gateway documents none, but its WhatsApp API
//     reports "Whatsapp Cloud API error", and these codes decide window,
//     throttling and account states.
//   - 131064 (messaging limit after template violations) pauses the
//     account, 131053 (media upload error) is retried, when quoted: the
//     first would refuse every message alike, the second is the media
//     host failing or throttling WhatsApp's fetch.
//   - Group messages and edits are WhatsApp's shapes, which the document
//     does not show but an MO relays as they are: a group's "STOP" is the
//     author writing to the group, not to the business, and an edited
//     "STOP" is the contact's word as much as a fresh one.
//   - The 24-hour window. Modica refuses a free-form message outside it
//     with a gateway error, {"error":"invalid_attrib","error-desc":"...
//     more than 24 hours have passed since the customer last replied to
//     this number"}, not with a WhatsApp code. An invalid_attrib (or any
//     other permanent refusal without a reason of its own) whose words
//     describe the window (providers.SaysWindowClosed) is Permanent,
//     Reason WindowClosed, Code kept ("invalid_attrib"): the worker ends the
//     message window_closed and records the contact's window closed, so the
//     next free-form text to it is not sent until the contact writes (an
//     MO). The window words win over "destination" in the same words: the
//     number is fine, the window is not.
//   - MO messages come only to an MO callback URL configured with Modica
//     (the document's "MO Callback"), so a Modica account enforces the
//     window by default (providers.Kind.Inbound). An account whose MO
//     callback is not configured should say window: provider, or no
//     free-form text ever goes out.
//   - Callbacks carry no signature; the URL (with its credentials, which
//     Modica asks to URL-encode) is the only authentication. The headers
//     are not read.
//
// # Usage
//
//	c, err := modica.New(modica.Config{Username: "my-app", Password: secret})
//	if err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "reply-42", Account: "modica-nz", To: "+64211234567",
//		Content: message.Content{Text: &message.Text{Body: "Kia ora"}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	// r.ProviderMessageID is the id Modica's DLR callbacks carry.
//	events, err := c.ParseCallback(req.Header, body) // in the webhook receiver
package modica
