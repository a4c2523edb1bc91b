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
		{Name: "callback_url", Help: "sent as callback_url with every message: where DecisionTelecom posts status changes"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means: "the API root with its path: https://web.it-decision.com/v1/api (requests go to BASE/send-whatsapp)"},
	// Statuses are polled through receive-whatsapp; callbacks come only to
	// a callback_url. No inbound messages are documented (Inbound false:
	// wabulk never sees a window open).
	Receipts: providers.ReceiptsPoll,
	Webhook:  []providers.WebhookAuth{providers.WebhookBasic},
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
