// Package decisiontelecom is wabulk's adapter for the DecisionTelecom
// WhatsApp Business API (seeds/decisiontelecom.txt, in Russian): a flat
// JSON API behind HTTP Basic auth, with status polling (receive-whatsapp)
// and status callbacks (callback_url).
//
// It owns the wire format of POST send-whatsapp for the content kinds
// DecisionTelecom carries (text, jpg/jpeg/png images, templates), POST
// receive-whatsapp, the reading of DecisionTelecom's answers and status
// callbacks, and the classification of each failure into a
// *providers.SendError. It must never retry, sleep, log, or put the User
// Hash Key in an error: the worker decides what happens next from the
// SendError alone.
//
// What every adapter does the same way (the lenient JSON types, the
// BaseURL and credential checks, refusing an invalid message before any
// request, the error for an answer that cannot be read) comes from
// providers/internal/wire; what DecisionTelecom's bodies and codes mean stays
// here.
//
// # Requests
//
// Every request is a POST with Content-Type and Accept application/json and
// the key as HTTP Basic auth, exactly as the document's PHP example
// (CURLOPT_HTTPAUTH CURLAUTH_BASIC, CURLOPT_USERPWD "$userHashKey") puts it
// on the wire: curl takes the whole key as the user name with an empty
// password, so
//
//	Authorization: Basic base64(key + ":")
//
// (a key that itself holds a colon is split there by curl and goes as
// base64(key)). DecisionTelecom's own SDKs send base64(key) without the
// colon; a Basic-auth server that reads the user name as the access token
// — the error shape {name, message, code, status} is Yii2's, whose
// HttpBasicAuth does exactly that — reads both the same, and so does
// wabulk's simulator (providers/simulator). The document's own curl
// samples ("Authorization: Basic api key", the key not base64-encoded)
// are read as a placeholder, not as a third form.
//
// send-whatsapp gets one flat object:
//
//	{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":1,"text":"...",
//	 "callback_url":"https://..."}                                      text (message_type 1)
//	{..., "message_type":2, "file_url":"https://.../a.jpg", "text":"caption"}  image (message_type 2)
//	{..., "message_type":4, "template_name":"promo",
//	 "template_params":"{\"to\":\"380631234567\",\"type\":\"template\",\"template\":{...}}"}  template (4)
//
// source_addr is Config.Source (at most 20 characters, checked by New).
// destination_addr is the recipient's digits (E.164 without "+") as a JSON
// number, as the document's example writes it (8882222200); E.164's 15
// digits stay exact in any JSON reader. callback_url is Config.CallbackURL,
// sent with every message when set. template_params is a JSON string
// holding the on-premises WhatsApp template message the document shows and
// links to: "to" (the wa_id, a string there), "type":"template", and
// "template" with namespace (the message's Template.Namespace, left out
// when empty), language {"policy":"deterministic","code"}, name, and
// header/body/button components (left out when they have no parameters).
//
// Refused before any request, Permanent with Reason Unsupported: video,
// audio, document, sticker, location and contacts ("<kind> messages are not
// supported by DecisionTelecom"), and images whose URL path does not end
// in .jpg, .jpeg or .png (the document: "file extension is a mandatory
// attribute"; jpg, jpeg and png are the only ones it accepts). An invalid
// message (message.Validate) is refused the same way.
//
// # Answers
//
// A 2xx {"message_id":554} is a Receipt with status accepted and
// ProviderMessageID "554". The document promises only that each message
// gets a "unique random identifier", so any id is kept: a whole number,
// sent as a number, a numeric string ("554", " 00554 ") or a whole float
// (554.0), in its decimal form ("554"); anything else as sent, trimmed
// ("0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60", "554.5"). A 2xx that is not
// JSON, or whose message_id is missing, null, empty, not a string or a
// number, zero or negative, is Transient, Reason Malformed and Ambiguous:
// DecisionTelecom may have sent the message.
//
// Errors come as the document's object, with their own HTTP status or
// inside an HTTP 200 (DecisionTelecom's SDKs look for it in 2xx answers
// too), code and status as numbers or strings:
//
//	{"name":"Service Unavailable","message":"Message failed to send because more than 24 hours ...","code":7,"status":503}
//
// SendError.Code is the document's code when it names one (1–9, e.g. "7"),
// else the object's status, else the HTTP status ("429", "401"): code 0 is
// shared by "Too Many Requests" and the framework's own errors
// (Unauthorized, Not Found), so the status says more. HTTPStatus is the
// HTTP status; Message is name and message (redacted, one line);
// RetryAfter is the Retry-After header (seconds or HTTP date) on any error —
// the document names no Retry-After, but one sent anyway is honoured. An
// error object that also names a message_id is Ambiguous.
//
// # Classification
//
// The document's codes win over the status, because DecisionTelecom
// reuses statuses for unrelated things. "doc" is the document's "Errors"
// table; the status is the error object's "status" when it is an HTTP
// status (the document's "4" for code 1 is not), else the HTTP status.
//
//	code / status                           class      reason             source and reading
//	7, or 503 whose text says "24 hours"    permanent  window_closed      doc: Service Unavailable, more than 24 hours since the customer replied; only a template may go
//	8, 9, or 401 whose text is about file   permanent  media              doc: "Invalid credintals for file_url": invalid MIME type (8), invalid file extension (9)
//	3, or 402                               account    balance            doc: Topup balance is required, user balance is empty
//	429 (doc code 0), "Too Many Requests"   transient  throttled          doc: Rate limit exceeded
//	1 destination_addr                      permanent  invalid_recipient  doc: Invalid Parameter: [param_name]; the recipient is refused
//	1 template_name, template_params        permanent  template           doc: Invalid Parameter; the template is refused
//	1 file_url                              permanent  media              doc: Invalid Parameter; the image link is refused
//	1 source_addr, callback_url             account    config             doc: Invalid Parameter; Config.Source/CallbackURL: every message would fail alike
//	1 any other parameter                   permanent  -                  doc: Empty parameter or parameter validation error
//	2, 4, 5, 6                              transient  -                  doc: Internal server error (status 500)
//	other 503                               transient  -                  an outage, not the window
//	other 401, 403                          account    auth               the framework's Unauthorized/Forbidden: credentials refused
//	404, 405, 3xx                           account    config             a wrong BaseURL: messages wait, the campaign does not fail
//	other 4xx                               permanent  -                  providers.ClassifyHTTPStatus
//	other 5xx, 408                          transient  -                  providers.ClassifyHTTPStatus
//	error object in a 2xx, unknown code     permanent  -                  DecisionTelecom refused this request as it stands
//	any permanent refusal above without a   permanent  window_closed      providers.WindowRefusal: code 7's words under another code; Code kept
//	  reason whose words describe the window
//
// The surprise is 401: in DecisionTelecom's table it is not a credentials
// failure but the file_url check ("Invalid credintals for file_url", codes
// 8 and 9, the MIME type or extension of the image). Those are permanent
// media failures of one message; only a 401 without code 8/9 and without
// words about file_url/MIME/extension is the account's credentials. Likewise
// 503 is the 24-hour window when it carries code 7, and an outage otherwise.
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written (a timeout waiting for the answer), not when it
// had not. An answer over providers.MaxBodyBytes is Transient Malformed,
// Ambiguous for a 2xx.
//
// # Status polling
//
// PollStatus posts the id back to receive-whatsapp as DecisionTelecom gave
// it — a JSON number when it is decimal digits ({"message_id":554}, as the
// document writes it), else a JSON string ({"message_id":"0f8e2b4c-…"}) —
// and reads {"message_id":554,"status":N} into an Event. The id is read as
// in answers (" 0554 " is 554); the answer's message_id, when present, must
// be the same id. Errors are classified as above but never Ambiguous (a
// query changes nothing); a 2xx without a known status, or about another
// message id, is Transient Malformed. An empty, zero or negative id is
// refused before any request (Permanent).
//
//	status  word       wabulk     note
//	0       sent       sent
//	1       delivered  delivered
//	2       rejected   failed     ErrorCode "rejected"
//	3       error      failed     ErrorCode "error"
//	4       failed     failed     ErrorCode "failed"
//	5       deleted    delivered  WhatsApp's "deleted": the recipient deleted it, so it had arrived
//	6       pending    accepted   queued at DecisionTelecom
//	7       seen       read       also read as WhatsApp's word "read"
//
// The status may come as the number, a numeric string or the word (any
// case). Event.ProviderStatus is the document's word ("seen" for "read").
//
// # Callbacks
//
// The document says only that callback_url receives message status
// changes. ParseCallback reads it as the receive-whatsapp answer it
// mirrors — {"message_id":554,"status":1}, or an array of such objects —
// with the message id read as in answers (a number or any string), the
// status as the number, a numeric string or the word, and the recipient
// when the object carries destination_addr. An object whose message id is
// missing, empty, zero or negative, or with a status the table does not
// list, yields no event and no error; a body that is not a JSON object or an array of
// objects is an error (the receiver answers 400). DecisionTelecom
// documents no inbound messages, so there are no inbound events: the
// 24-hour window cannot be tracked from DecisionTelecom's side, and code 7
// is the only signal that it is closed. Its accounts therefore do not
// enforce the window themselves by default (window: provider): a
// free-form message is sent, and code 7 ends it window_closed and records
// the contact's window closed (providers.Kind.Inbound is false).
//
// # Interpretations
//
//   - An image's caption goes in "text" with message_type 2: the document's
//     request is one flat object and "text" is its only text field.
//   - The document's example answer {"message_id":554,"status":1,} has a
//     trailing comma. No JSON encoder writes it, but a body copied from the
//     document would: answers and callbacks are read with such commas
//     (before } or ], outside strings) ignored. Anything else that is not
//     JSON is still unreadable.
//   - Status 4 for code 1 in the document is read as a typo for 400; the
//     code decides either way.
//   - The document's ids are numbers (554), but it calls them "unique
//     random" identifiers: an id that is not a number (a UUID) is read as
//     an id, not as a malformed answer. 0 and negative numbers are not
//     ids; a 2xx carrying one is malformed.
//   - Text.PreviewURL has no field at DecisionTelecom and is not sent:
//     the text arrives whole, only WhatsApp's link preview may differ.
//   - An image URL's extension is the extension of its path; a query
//     string is allowed (…/a.jpg?v=2), a name hidden in the query is not.
//   - Template header media (image, video, document) follow the linked
//     WhatsApp media-template document; the jpg/png rule is the file_url
//     rule for message_type 2 only.
//   - message.Message.From is not sent: the sender is the account's
//     source_addr.
//
// # Usage
//
//	c, err := decisiontelecom.New(decisiontelecom.Config{APIKey: key, Source: "Custom Company",
//		CallbackURL: "https://hooks.example/whatsapp-callback"})
//	if err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "reminder-42", Account: "dt-main", To: "+380631234567",
//		Content: message.Content{Template: &message.Template{
//			Name: "appointment_reminder", Language: "uk", Body: []string{"Олена", "10:30"},
//		}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	ev, err := c.PollStatus(ctx, r.ProviderMessageID) // or wait for the callback
package decisiontelecom
