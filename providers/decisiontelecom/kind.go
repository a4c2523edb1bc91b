package decisiontelecom

import "github.com/wabulk/wabulk/providers"

// Kind declares DecisionTelecom to the rest of wabulk (config, serve,
// simulator).
var Kind = providers.Kind{
	Name:  "decisiontelecom",
	Title: "DecisionTelecom WhatsApp Business API",
	Fields: []providers.Field{
		{Name: "api_key", Secret: true, Required: true, Help: `the "User Hash Key" (sent as HTTP Basic)`},
		{Name: "source", Required: true, Help: "source_addr: the sender name or number (at most 20 characters)"},
		// Secret: with webhook_path_token it carries the token.
		{Name: "callback_url", Secret: true, Help: "sent as callback_url with every message: where DecisionTelecom posts status changes " +
			"(with webhook_path_token: https://HOST/webhooks/NAME/TOKEN; credentials in it would travel with every message)"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means:  "the API root with its path: https://web.it-decision.com/v1/api (requests go to BASE/send-whatsapp)",
		Suffix: "/v1/api"},
	// Statuses are polled through receive-whatsapp; callbacks come only to
	// a callback_url. No inbound messages are documented (Inbound false:
	// wabulk never sees a window open).
	Receipts: providers.ReceiptsPoll,
	// The callback URL goes with every message: a path token, not a
	// password, is what should travel in it.
	Webhook: []providers.WebhookAuth{providers.WebhookPathToken, providers.WebhookBasic},
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{BaseURL: a.BaseURL, APIKey: a.Get("api_key"), Source: a.Get("source"),
			CallbackURL: a.Get("callback_url"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		return providers.AccountConfig{BaseURL: root + "/v1/api",
			Settings: map[string]string{"api_key": providers.SimulatorKey, "source": "wabulk"}}, providers.SimulatorKey
	},
}

func init() { providers.Register(Kind) }
