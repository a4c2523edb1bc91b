package taqnyat

import "github.com/wabulk/wabulk/providers"

// Kind declares Taqnyat to the rest of wabulk (config, serve, simulator).
var Kind = providers.Kind{
	Name:  "taqnyat",
	Title: "Taqnyat WhatsApp Business API (Saudi Arabia)",
	Fields: []providers.Field{
		{Name: "token", Secret: true, Required: true, Help: "the Bearer token of the account"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means:  "the API root with its path: https://api.taqnyat.sa/wa/v1/ (requests go to BASE/messages/)",
		Suffix: "/wa/v1"},
	Receipts: providers.ReceiptsPush,
	Inbound:  true, // the document's "Inbound message callback"
	Webhook:  []providers.WebhookAuth{providers.WebhookBasic, providers.WebhookSecretHeader, providers.WebhookPathToken},
	// Taqnyat's /provision/optin/ list: wabulk optout keeps it in step.
	OptInList: true,
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{BaseURL: a.BaseURL, Token: a.Get("token"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		return providers.AccountConfig{BaseURL: root + "/wa/v1/", Settings: map[string]string{"token": providers.SimulatorKey}}, providers.SimulatorKey
	},
}

func init() { providers.Register(Kind) }
