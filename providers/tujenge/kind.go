package tujenge

import "github.com/wabulk/wabulk/providers"

// Kind declares Tujenge to the rest of wabulk (config, serve, simulator).
var Kind = providers.Kind{
	Name:  "tujenge",
	Title: "Tujenge WhatsApp API v1 (on-premises WhatsApp Business API)",
	Fields: []providers.Field{
		{Name: "api_key", Secret: true, Required: true, Help: "the WA-API-KEY of the account's sender number"},
		{Name: "namespace", Help: "template namespace sent with template messages"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means:       "the host, with a base path if the account has one: https://waba.tujenge.io (requests go to BASE/v1/messages)",
		NotSuffixes: []string{"/v1/messages"}},
	Receipts: providers.ReceiptsPush,
	Inbound:  true, // the document's "Notifications": inbound messages come to the webhook
	Webhook:  []providers.WebhookAuth{providers.WebhookSecretHeader, providers.WebhookBasic, providers.WebhookPathToken},
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{BaseURL: a.BaseURL, APIKey: a.Get("api_key"), Namespace: a.Get("namespace"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		return providers.AccountConfig{BaseURL: root, Settings: map[string]string{"api_key": providers.SimulatorKey}}, providers.SimulatorKey
	},
}

func init() { providers.Register(Kind) }
