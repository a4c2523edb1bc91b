package socnet

import "github.com/wabulk/wabulk/providers"

// Kind declares Socnet to the rest of wabulk (config, serve, simulator).
var Kind = providers.Kind{
	Name:  "socnet",
	Title: "Socnet WhatsApp Messaging API V1.01 (Uganda)",
	Fields: []providers.Field{
		{Name: "api_key", Secret: true, Required: true, Help: "the api_key of the account"},
	},
	BaseURL: providers.BaseURL{Default: DefaultURL,
		Means:  "the whole request URL, api.php included: " + DefaultURL,
		Suffix: "/api.php"},
	// Socnet documents no callbacks and no status query: no receipts, and
	// no inbound messages (Inbound false: wabulk never sees a window open).
	Receipts: providers.ReceiptsNone,
	Reach:    "UG",
	// A template goes as one text parameter, the document's msg.
	TemplateParams: 1,
	New: func(a providers.AccountConfig) (providers.Provider, error) {
		return New(Config{URL: a.BaseURL, APIKey: a.Get("api_key"), HTTP: a.HTTP})
	},
	Simulated: func(root string) (providers.AccountConfig, string) {
		return providers.AccountConfig{BaseURL: root + "/projects/bulk/whatsapp/api.php",
			Settings: map[string]string{"api_key": providers.SimulatorKey}}, providers.SimulatorKey
	},
}

func init() { providers.Register(Kind) }
