package modica

import "github.com/wabulk/wabulk/providers"

// Kind declares Modica to the rest of wabulk (config, serve, simulator).
var Kind = providers.Kind{
	Name:  "modica",
	Title: "Modica Mobile Gateway, WhatsApp for Business (New Zealand)",
	Fields: []providers.Field{
		{Name: "username", Required: true, Help: "the gateway application's user name (HTTP Basic)"},
		{Name: "password", Secret: true, Required: true, Help: "its password (HTTP Basic)"},
	},
	BaseURL: providers.BaseURL{Default: DefaultBaseURL,
		Means:       "the host: https://api.modicagroup.com (requests go to BASE/rest/gateway/messages)",
		NotSuffixes: []string{"/rest"}},
	Receipts: providers.ReceiptsPush,
	Inbound:  true, // the document's "MO Callback", once its URL is configured with Modica
	Webhook:  []providers.WebhookAuth{providers.WebhookBasic, providers.WebhookPathToken},
	// The gateway's WhatsApp channel carries free-form text only.
	TextOnly: true,
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{BaseURL: a.BaseURL, Username: a.Get("username"), Password: a.Get("password"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		const user, pass = "wabulk", "sim-password"
		return providers.AccountConfig{BaseURL: root, Settings: map[string]string{"username": user, "password": pass}}, user + ":" + pass
	},
}

func init() { providers.Register(Kind) }
