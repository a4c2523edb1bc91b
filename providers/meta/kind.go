package meta

import "github.com/wabulk/wabulk/providers"

// Kind declares the WhatsApp Cloud API to the rest of wabulk (config,
// serve, simulator).
var Kind = providers.Kind{
	Name:  "meta",
	Title: "WhatsApp Business Cloud API (Meta Graph API)",
	Fields: []providers.Field{
		{Name: "token", Secret: true, Required: true, Help: "a system user access token (Bearer)"},
		{Name: "phone_number_id", Required: true, Help: "the business phone number's id"},
		{Name: "app_secret", Secret: true, Help: "the app secret: callbacks must carry its X-Hub-Signature-256"},
		{Name: "verify_token", Secret: true, Help: "answers the GET hub.challenge handshake when the webhook is configured"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means:       "the Graph API root with its version: https://graph.facebook.com/v21.0 (requests go to BASE/PHONE_NUMBER_ID/messages)",
		NotSuffixes: []string{"/messages"}},
	Receipts:       providers.ReceiptsPush,
	Inbound:        true, // "messages" notifications on the webhook
	Webhook:        []providers.WebhookAuth{providers.WebhookSigned},
	SigningSecret:  "app_secret",
	HandshakeToken: "verify_token",
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{BaseURL: a.BaseURL, Token: a.Get("token"), PhoneNumberID: a.Get("phone_number_id"),
			AppSecret: a.Get("app_secret"), VerifyToken: a.Get("verify_token"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		return providers.AccountConfig{BaseURL: root,
			Settings: map[string]string{"token": providers.SimulatorKey, "phone_number_id": "109876543210987"}}, providers.SimulatorKey
	},
}

func init() { providers.Register(Kind) }
