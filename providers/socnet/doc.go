// Package socnet is wabulk's adapter for Socnet's WhatsApp Messaging API
// V1.01 (seeds/socnet.txt): one URL, JSON in and out, the API key in the
// body, Ugandan recipients only.
//
// It owns the wire format of the document's Message Sending request, the
// reading of its answers (both success channels, the general response
// format, the unregistered-number answer), and the classification of each
// failure into a *providers.SendError. It must never retry, sleep, log, or
// put the API key in an error: the worker decides what happens next from
// the SendError alone. Socnet documents no callbacks and no status query,
// so the package has no ParseCallback: the answer to the send is final.
//
// What every adapter does the same way (the lenient JSON types, the URL
// check, refusing an invalid message before any request, the error for an
// answer that cannot be read) comes from providers/internal/wire; what
// Socnet's bodies and codes mean stays here.
//
// # Requests
//
// Every send is one POST to Config.URL (default
// https://www.socnetsolutions.com/projects/bulk/whatsapp/api.php, used as
// given) with Content-Type and Accept application/json and the body
//
//	{"api_key":"<32-byte key>","msisdn":"256701234567","msg":"...","template":"..."}
//
// msisdn is the recipient's E.164 number without the "+"; the document
// makes it N12 and says "Start with 256", so any other recipient (another
// country, a 256 number of the wrong length) is refused before sending as
// Permanent, Reason InvalidRecipient, with the reason in the error. The
// key travels in the body only, never in the URL or a header; the request
// body is never quoted in an error, and provider text is redacted.
//
// What goes out, by content kind:
//
//	text            msg = the body (PreviewURL is not sent: no field)
//	template        template = the name, msg = its one body parameter
//	everything else refused: Permanent, Reason Unsupported, no request
//
// # Answers
//
// Both documented success shapes are read; the API "chooses one of the two
// channels", so either may come for any message. The General Success
// Response names no message and is read too:
//
//	channel 1: {"sent":"true","messageId":"3EB002BAE9545124A5B7B2",...}       → Receipt{id, Sent}
//	channel 2: {"messages":[{"id":"...","message_status":"accepted"}],...}   → Receipt{id, Accepted}
//	general:   {"message":"... submitted successfully.","status":0}          → Receipt{"socnet:"+Message.ID, Accepted}
//
// Channel 1 says the message went out ("sent"), so its receipt is
// message.Sent. Channel 2 is WhatsApp's Cloud API answer passed through;
// "accepted" there means WhatsApp took the request, not that it reached
// the handset, so its receipt is message.Accepted. Neither moves further:
// Socnet sends no delivery reports. "sent" may be a string or a boolean;
// "messages" an array or one object.
//
// Beside a message id, "status" is a failure only when it names one (see
// Classification): 0, any 2xx, and any other word ("submitted", "queued")
// leave the answer a success. Without an id, a 2xx is a success when it
// says so: "status" 0, a 2xx, "ok", "success", "sent", "true" or
// "accepted", or "sent":"true" (Receipt status Sent). Its receipt id is
// "socnet:" + Message.ID: Socnet has no callbacks, so no later event has to
// be matched to Socnet's id. Any other 2xx (no status or sent at all, an
// unknown word, the authentication answer "valid", an array) or one that is
// not JSON is Transient, Reason Malformed and Ambiguous: Socnet may have
// sent the message and the worker must not resend blindly.
//
// Failures come in the general response format {"message":"...",
// "status":N}, where status is an int or a string, with the code as the
// HTTP status, in the body, or both. The body's code wins (a failing
// status, or "sent":"false"); a 2xx whose body names a failure is that
// failure; otherwise the HTTP status is the code. A failing status is 1,
// a number of 300 or more, "invalid", "error", "false", or a word starting
// with "fail"; nothing else, as the document types status loosely
// ("Int/ Str", "status/sent"). SendError.Code
// is that code ("401", "1", "invalid", "not_sent"), HTTPStatus the HTTP
// status, Message the body's "message" (or a non-JSON body, or the
// document's description of the code), redacted and cut to one line.
// RetryAfter is the HTTP Retry-After header (seconds or an HTTP date) on
// any failure: Socnet documents no rate limit and no Retry-After, but a
// proxy or a future Socnet may send one, and it is honoured.
//
// # Classification
//
// "doc" is the Socnet document: Status Codes (SC), Authentication (Auth),
// General Failure Response (GF), Message Sending (MS).
//
//	code (body status or HTTP)         class      reason             source and reading
//	"invalid"                          permanent  invalid_recipient  doc MS "Unregistered Phone Number Response": not on WhatsApp
//	1                                  permanent  -                  doc SC "FAIL – Something wrong with the request"
//	"sent":"false" (not_sent)          permanent  -                  channel 1 saying it did not send; read like FAIL
//	400, 422 naming api_key            account    auth               doc Auth/GF "field is required / must be [format]": the key itself is refused
//	400, 422 naming msisdn             permanent  invalid_recipient  doc GF: the number is refused
//	400, 422 naming template           permanent  template           doc GF: the template name is refused
//	400, 422 otherwise                 permanent  -                  doc Auth "Missing parameters", GF "Missing parameter", "Wrong format"
//	401                                account    auth               doc SC, Auth "Invalid user credentials"
//	403                                account    balance            doc SC, Auth "Insufficient credit"
//	404 in Socnet's format             permanent  -                  doc SC "There is no text in the image", GF "[Resource] not found"
//	404 naming a template              permanent  template           doc GF "[Resource] not found" with the template as resource
//	404 not in Socnet's format, or     account    config             a web server's 404 page, or the router: the URL is wrong
//	  naming a route
//	405                                account    config             doc GF "Method is not allowed for the requested route": the URL is wrong
//	429 (HTTP or body)                 transient  throttled          not documented; providers.ClassifyHTTPStatus, Retry-After honoured
//	500                                transient  -                  doc SC "Internal server error", GF "Server error"
//	503                                transient  -                  doc SC "Service unavailable"
//	other 5xx, 408                     transient  -                  providers.ClassifyHTTPStatus
//	other 4xx, 3xx                     as providers.ClassifyHTTPStatus (4xx permanent; 402 balance; 3xx config)
//	"error", "false", "fail…" in a 2xx permanent  -                  Socnet refused this request as it stands
//	other number ≥ 600 in a 2xx        permanent  -                  likewise
//	any permanent refusal above        permanent  window_closed      WhatsApp's window refusal relayed (see Interpretations); Code kept
//	  without a reason whose words
//	  describe the 24-hour window
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written (a timeout waiting for the answer), not when it
// had not. An answer over providers.MaxBodyBytes is Transient Malformed,
// Ambiguous for a 2xx. An answer that names a failure and a message id is
// classified by the failure and marked Ambiguous.
//
// # Interpretations
//
//   - Content kinds. The document's Audience lists text "also with
//     preview URL", images, audio, documents, stickers, videos, contacts
//     and location, "also ... by URL", but Message Sending gives one
//     request shape: msisdn, msg, template. Only what that shape carries
//     is sent: text, and templates as below. Images, videos, audio,
//     documents, stickers, location and contacts are refused as
//     unsupported rather than sent as something else.
//   - Preview URL. The Audience lists "Text (also with preview URL)", so
//     text with PreviewURL set is sent, as text; the request has no field
//     for the flag, which is dropped, and Socnet decides how a link
//     renders.
//   - Templates. "template" is the approved template's name; "msg" is
//     mandatory and, per the OTP note, carries the template's parameter
//     ("if msg contains "1234" then the user receives: **1234** is your
//     verification code..."). So a template goes out only with exactly one
//     body parameter, which becomes msg. Templates with no parameter or
//     several, a header, or buttons have no documented field and are
//     refused as unsupported. Socnet adds an OTP template's copy-code
//     button itself. There is no language field: Socnet resolves the name;
//     Template.Language and Namespace are not sent.
//   - Receipt status: channel 1 → sent, channel 2 and the general
//     success → accepted (see Answers). All are final, as Socnet documents
//     no callbacks; cost is not kept.
//   - The method is POST: the document sends a JSON body to one URL and
//     answers 405 for a wrong method.
//   - The general success ({"status":0} without an id) names no message.
//     It is still a success: reading it as malformed would fail a message
//     Socnet sent. The receipt's ProviderMessageID is "socnet:" +
//     Message.ID, which is enough because Socnet sends no callbacks that
//     would have to be matched by Socnet's id. The same holds for any 2xx
//     that says it succeeded without an id ("sent":"true", "status":200,
//     "success", ...); an id we cannot read beside such a word does not
//     change it.
//   - 404 has two documented meanings ("There is no text in the image",
//     "[Resource] not found"), both about the request: permanent when the
//     answer is Socnet's JSON. A 404 without Socnet's JSON (an HTML page)
//     means the URL is wrong, as for every adapter.
//   - "status" is typed "Int/ Str" and Response Data names it
//     "status/sent", so a fake or a later Socnet may put anything there.
//     Only 1, numbers of 300 or more (the documented 401, 403, 404, 422,
//     500, 503 among them), "invalid", "error", "false" and words starting
//     with "fail" are failures (lower-cased, the code in its own right).
//     Beside a message id, anything else (0, 2xx, "submitted") is a
//     success; without one, only 0, 2xx and "ok", "success", "sent",
//     "true", "accepted" are, and another word is malformed and
//     ambiguous, neither a success nor a failure we can name.
//   - The 24-hour window. The document names no window error, yet WhatsApp
//     refuses a free-form message outside the window whatever the
//     reseller; Socnet relays the refusal as a failure (a FAIL, status 1)
//     in WhatsApp's words. A permanent refusal without a reason of its own
//     whose words describe the window ("more than 24 hours have passed
//     since the customer last replied", "Re-engagement message";
//     providers.SaysWindowClosed) is Permanent, Reason WindowClosed, Code
//     kept ("1", "422"): the worker ends the message window_closed and
//     records the contact's window closed. Socnet tells wabulk of no
//     inbound message, so its accounts do not enforce the window
//     themselves by default (window: provider): a free-form message is
//     sent and Socnet's refusal decides.
//   - The API key is not checked for 32 bytes: a wrong key is Socnet's to
//     refuse (401, account-level), not a reason to refuse to start.
//
// # Usage
//
//	c, err := socnet.New(socnet.Config{APIKey: key})
//	if err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "otp-42", Account: "socnet-main", To: "+256701234567",
//		Content: message.Content{Template: &message.Template{
//			Name: "otp", Language: "en", Body: []string{"1234"},
//		}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	// r.Status is message.Sent or message.Accepted, and final.
//	// r.ProviderMessageID is Socnet's id, or "socnet:otp-42" when the
//	// answer named none.
package socnet
