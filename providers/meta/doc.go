// Package meta is wabulk's adapter for Meta's WhatsApp Cloud API: the Graph
// API endpoint POST /{phone-number-id}/messages and the WhatsApp Business
// Account "messages" webhook. There is no seed document for it; it follows
// Meta's public Cloud API reference (messages endpoint, error codes,
// webhook payloads), and where that is vague the choices below say what
// was decided.
//
// It owns the wire format of a send for every content kind
// message.Content carries (text, image, video, audio, document, sticker,
// location, contacts, template), the reading of Graph answers, the
// classification of each failure into a *providers.SendError, the parsing
// of webhook notifications into providers.Events, and the two webhook
// checks: VerifySignature (X-Hub-Signature-256) and VerifyChallenge (the
// GET hub.challenge handshake), which the Client offers the receiver
// (package receipts) as a providers.CallbackAuthenticator and a
// providers.CallbackHandshaker with Config.AppSecret and Config.VerifyToken.
// It must never retry, sleep, log, or put the access token, the app secret
// or the verify token in an error: the worker decides what happens next
// from the SendError alone.
//
// What every adapter does the same way (the lenient JSON types, the
// BaseURL and credential checks, refusing an invalid message before any
// request, the error for an answer that cannot be read) comes from
// providers/internal/wire; what the Graph API's bodies and codes mean stays
// here.
//
// # Requests
//
// One Client is one business phone number: POST BaseURL/{PhoneNumberID}/messages
// with "Authorization: Bearer <Token>", Content-Type and Accept
// application/json, and a body
//
//	{"messaging_product":"whatsapp","recipient_type":"individual","to":"255712345678","type":"<kind>","<kind>":{...}}
//
// "to" is E.164 without the "+". Text is {"preview_url":true,"body":...}
// (preview_url only when true). Media go by link: {"link":...,"caption":...}
// for image, video and document, plus "filename" for documents; audio and
// stickers carry the link alone. Location is {latitude, longitude, name,
// address}; contacts are the Cloud API contact objects. A template is
// {"name":...,"language":{"code":...},"components":[...]} with a header
// component (one text, image, video or document parameter), a body
// component (text parameters) and one button component per dynamic button
// ({"type":"button","sub_type":"url"|"quick_reply","index":"0",
// "parameters":[{"type":"text","text":...}|{"type":"payload","payload":...}]});
// components without parameters are left out.
//
// # Answers
//
// A 2xx with {"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],
// "messages":[{"id":"wamid...","message_status":"accepted"}]} (or "messages"
// as a single object) is a Receipt with status accepted. A 2xx that is not
// JSON or names no message id is Transient, Reason Malformed and Ambiguous:
// Meta may have sent the message. A 2xx whose body carries "error" is the
// error it describes (Ambiguous when it also names a message id).
//
// Errors are Graph errors:
//
//	{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
//	  "error_subcode":2494010,"error_data":{"messaging_product":"whatsapp","details":"..."},
//	  "error_user_title":"...","error_user_msg":"...","is_transient":false,"fbtrace_id":"..."}}
//
// SendError.Code is error.code as a decimal string (a JSON number or
// string), else the HTTP status; HTTPStatus the HTTP status; Message the
// message, details and user title/message (redacted, one line), the
// subcode and the fbtrace_id for Meta support; RetryAfter the Retry-After
// header (seconds or an HTTP date) when present — the Graph API documents
// none, but proxies and the simulator send one — else the longest
// estimated_time_to_regain_access (minutes) in the Graph
// X-Business-Use-Case-Usage header.
//
// # Classification
//
// Meta returns most errors with HTTP 400, so error.code decides; an
// undocumented code is transient when Graph marks it is_transient, else
// the HTTP status decides through providers.ClassifyHTTPStatus. "EC" is
// Meta's Cloud API error-code reference (which includes the Graph codes it
// inherits); "GR" is the Graph API error-handling and rate-limiting
// reference.
//
//	code                               class      reason             source and reading
//	4, 17, 32, 613                     transient  throttled          GR: app, user, page, hourly call limits
//	80007                              transient  throttled          EC: WhatsApp Business Account rate limit
//	130429                             transient  throttled          EC: Cloud API throughput reached
//	131056                             transient  throttled          EC: (business, consumer) pair rate limit
//	133016                             transient  throttled          EC: register/deregister rate limit (not a send error)
//	1, 2                               transient  -                  EC: API Unknown (possible server error); API Service (downtime, overload)
//	131000, 131016                     transient  -                  EC: something went wrong; service unavailable
//	131057, 133004                     transient  -                  EC: account in maintenance mode; server temporarily unavailable
//	131053                             transient  media              EC: media upload error (the media host failed or throttled the fetch)
//	131047                             permanent  window_closed      EC: re-engagement message, > 24 h since the user last wrote
//	470                                permanent  window_closed      the on-premises API's window code, from a gateway relaying it
//	131026, 131021, 131030             permanent  invalid_recipient  EC: undeliverable; recipient is the sender; not in the allowed list
//	131051                             permanent  unsupported        EC: unsupported message type
//	131052                             permanent  media              EC: media download error
//	132000–132999                      permanent  template           EC: 132000 param count, 132001 does not exist, 132005/7/12/15/16 ...
//	130497                             permanent  blocked            EC: business may not message users in this country (this recipient only)
//	100, 131008, 131009                permanent  -                  EC: invalid parameter (subcode 33 aside); required parameter missing; value not valid
//	130472, 131049, 131050, 135000     permanent  -                  EC: experiment; ecosystem engagement; user stopped marketing; generic user error
//	131048, 368, 131031, 131064        account    blocked            EC: spam rate limit; blocked for policy violations; account locked; messaging limit after template violations
//	0, 3, 10, 190, 200–299, 131005     account    auth               EC: AuthException; capability; permission denied; token expired/invalid; API permission; access denied
//	131042                             account    balance            EC: business eligibility payment issue
//	100 with subcode 33, 33            account    config             GR: object (PhoneNumberID) does not exist or the token cannot see it; EC: number deleted
//	131037, 131045, 133010, 131055     account    config             EC: display name not approved; bad certificate; number not registered; method not allowed
//	other code, is_transient true      transient  -                  GR: "is_transient"
//	no or other code, HTTP 3xx/404/405 account    config             providers.ClassifyHTTPStatus: a wrong BaseURL
//	HTTP 401 whatever its code; 403 with no or another code: account auth (the token)
//	no or other code, HTTP 402         account    balance            providers.ClassifyHTTPStatus
//	no or other code, 408/425/429/5xx  transient  (429: throttled)   providers.ClassifyHTTPStatus
//	no or other code, other 4xx        permanent  -                  providers.ClassifyHTTPStatus (so an unknown code under 400 is permanent)
//	unknown code inside a 2xx          permanent  -                  Meta refused this request as it stands
//
// Transport failures come from providers.Do: Transient, Ambiguous when the
// request had been written. An answer over providers.MaxBodyBytes is
// Transient Malformed, Ambiguous for a 2xx. An invalid message is
// Permanent, Reason Unsupported, and no request is made; the Cloud API
// carries every content kind, so nothing valid is refused.
//
// # Webhooks
//
// Meta POSTs {"object":"whatsapp_business_account","entry":[{"id":"<WABA>",
// "changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
// "metadata":{"display_phone_number","phone_number_id"},"contacts":[...],
// "messages":[...],"statuses":[...]}}]}]}, signed with the app secret in
// X-Hub-Signature-256. ParseCallback reads every entry and every change
// (and the on-premises API's shape, statuses and messages at the top level,
// as resellers relaying it send):
//
//   - statuses: sent → sent, delivered → delivered, read → read, played (a
//     voice message was played) → read, failed → failed with ErrorCode =
//     errors[0].code and Error = its title, message and details; deleted,
//     warning and unknown states yield nothing. ProviderStatus keeps Meta's
//     word, Recipient is recipient_id in E.164 (empty for group chats),
//     Time the timestamp (Unix seconds, a string or a number) in UTC.
//   - messages: one inbound event per message, From = "from" in E.164, To =
//     metadata.display_phone_number in E.164, InboundID the wamid, Time the
//     timestamp. text → Text; image, video, audio (voice notes too),
//     document, sticker → MediaKind, MediaRef = Meta's media id (fetch with
//     GET /{media-id}), Text = caption; location → MediaKind location,
//     MediaRef "geo:<lat>,<long>", Text = name and address; contacts →
//     MediaKind contacts, Text = the formatted names; button → the button's
//     text; interactive → the button_reply or list_reply title, or the
//     nfm_reply (Flow) body; reaction → the emoji (empty when removed).
//     The on-premises "voice" object is read like audio. A message with a
//     group_id (a group chat's) sets Group; an edit (type "edit", the new
//     message object in edit.message) is read as that message, with
//     Edited set.
//   - value.errors (system-level errors, in a messages change, or at the
//     top level of an on-premises body): an account event each, without
//     an action (whatsapp.ChangeEvents); the worker logs them.
//   - user_preferences: a preference event per marketing_messages entry,
//     stop or resume, From = wa_id in E.164.
//   - account_update: an account event for DISABLED_UPDATE (DISABLE pauses,
//     REINSTATE lifts that pause, SCHEDULE_FOR_DISABLE is a notice),
//     ACCOUNT_RESTRICTION (pauses when it restricts messaging),
//     ACCOUNT_VIOLATION, ACCOUNT_DELETED, ACCOUNT_OFFBOARDED (pause),
//     ACCOUNT_RECONNECTED (lifts ACCOUNT_OFFBOARDED's pause), and the
//     partner-removal notices; others (pricing tiers, verification) yield
//     nothing. See whatsapp.AccountUpdateEvent.
//   - a change without "field" (or with an empty one) is read as a
//     "messages" change; changes that name another field
//     (message_template_status_update, phone_number_quality_update, ...)
//     and objects other than whatsapp_business_account yield no events and
//     no error.
//
// A body that is not a JSON object, or whose modelled fields have the
// wrong JSON types, is an error (the receiver answers 400).
//
// # Interpretations
//
//   - 470 is the on-premises API's code for 131047's refusal; the Cloud API
//     never sends it, but a reseller in front of it may relay it, and it
//     means the window all the same.
//   - The brief's "131000/1/2" is read as codes 131000, 1 and 2 (Graph's
//     API Unknown and API Service): Meta documents no 131001 or 131002.
//   - 133016 is a registration rate limit; it cannot come from a send, but
//     it is throttling all the same and is classed so.
//   - 100 with error_subcode 33 ("Object with ID ... does not exist") means
//     the PhoneNumberID is wrong or the token cannot see it: every message
//     would fail alike, so it is account/config, not a permanent failure of
//     one message. Other 100s are permanent.
//   - 130497 (country restriction) concerns recipients in some countries,
//     not the whole account: permanent with reason blocked, so one market's
//     messages fail instead of pausing the account.
//   - The 132xxx range is classed template as a whole (Meta adds codes
//     there); 1320xx Flow errors fall in it too.
//   - Message.From is not sent: the PhoneNumberID in Config is the sender.
//     A template's Namespace is not sent either: the Cloud API finds
//     templates by name and language in the business account.
//   - A contact card with only formatted_name also gets first_name =
//     formatted_name: the Cloud API wants one name part beside it.
//   - preview_url is sent inside "text", only when true (Meta's default is
//     false).
//   - ParseCallback checks X-Hub-Signature-256 itself when Config.AppSecret
//     is set, and refuses a body without a valid one (ErrSignatureMissing,
//     ErrSignatureMalformed, ErrSignatureMismatch); without an AppSecret it
//     trusts the receiver to have called VerifySignature on the raw body.
//     The signature covers the raw bytes: never re-encode the body first.
//   - A change with no "field" is read as "messages": Meta always names
//     the field, but a relay or a fake that leaves it out still carries
//     statuses and messages, and dropping them would lose delivery reports
//     and inbound messages silently. Only a field that is present and
//     different (matched case-insensitively) is skipped.
//   - Messages of type "system" (the user changed number) are WhatsApp's
//     notices, not the user writing: no event. Every other type, including
//     "unsupported", "order" and ones added later, is an inbound event (with
//     no text when there is nothing to show): the user wrote, and the
//     24-hour window opens. A message whose "from" is not a phone number
//     (a group or business-scoped user id) yields no event.
//   - A group chat's message (group_id) is an event with Group set, not
//     dropped: the worker counts it but opens no window and reads no
//     keyword for it, since its author wrote to the group, not to the
//     business. Its "from" is still the author's number.
//   - An edit replaces the message's content, so a STOP written as an edit
//     opts the contact out like one sent fresh; the edit's own wamid is
//     InboundID.
//   - A marketing stop (user_preferences) concerns marketing templates
//     only: the worker still sends utility and authentication templates
//     to the contact. Its wa_id must be a phone number; a business-scoped
//     user id is nothing wabulk sends to and yields no event.
//   - account_update concerns the WhatsApp Business Account, which may
//     hold several numbers; the notice is taken to concern the account
//     whose webhook received it. A ban (DISABLE), a messaging restriction,
//     a policy violation, a deleted or offboarded account pause it: every
//     message would fail or deepen the enforcement. A restriction that
//     names no messaging (adding numbers, calling) and a disable merely
//     scheduled are notices only. A violation notice pauses although
//     sending may still work: a campaign that drew one should be looked at
//     before it goes on. Only REINSTATE and ACCOUNT_RECONNECTED lift a
//     pause, and only one their own notice caused; a restriction expiring
//     sends no notice, so an operator resumes (wabulk provider resume).
//   - 131053 (media upload error) is transient: WhatsApp could not fetch
//     the media (its host answered 429 or failed) and a later attempt
//     usually succeeds. 131064 (messaging limit reached after template
//     violations) is account-level: every message would be refused alike.
//   - VerifyChallenge compares the verify token in constant time (both
//     sides hashed first, so lengths do not leak) and returns hub.challenge
//     unchanged; the receiver writes it back as text/plain.
//   - CallbackAuth names "X-Hub-Signature-256 (Meta app secret)" only when Config.AppSecret is
//     set; without it the receiver needs another way for the account (a
//     shared-secret header, say, from a relay). AuthenticateCallback and
//     ParseCallback then both check the signature: the second check costs
//     one HMAC and keeps ParseCallback safe to call on its own.
//
// # Usage
//
//	c, err := meta.New(meta.Config{Token: token, PhoneNumberID: "106540352242922",
//		AppSecret: appSecret, VerifyToken: verifyToken})
//	if err != nil { ... }
//	r, err := c.Send(ctx, &message.Message{
//		ID: "reminder-42", Account: "meta-main", To: "+255712345678",
//		Content: message.Content{Template: &message.Template{
//			Name: "appointment_reminder", Language: "en", Body: []string{"Amina", "10:30"},
//		}},
//	})
//	if err != nil {
//		se := providers.AsSendError(err) // Class, Reason, Code, RetryAfter, Ambiguous
//		...
//	}
//	// r.ProviderMessageID (wamid...) keys the status webhooks.
//
//	// The webhook receiver (receipts.Receiver does this):
//	//   GET:  challenge, err := c.CallbackHandshake(r.URL.Query())   → 200 text/plain challenge, or 403
//	//   POST: err := c.AuthenticateCallback(r.Header, rawBody)       → 401 on err
//	//         events, err := c.ParseCallback(r.Header, rawBody)      → 200, or 400 on err
package meta
