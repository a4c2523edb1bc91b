package whatsapp

// API is one of the two WhatsApp Business APIs. It decides the few places
// where their message objects differ. The zero API is OnPremises.
type API int

const (
	// OnPremises is the on-premises API (v1). preview_url is a top-level
	// field of the message, so the adapter's envelope carries it and Text
	// never does; a template's language has policy "deterministic"; a
	// template carries its namespace.
	OnPremises API = iota
	// Cloud is the Cloud API. preview_url sits inside the text object; a
	// template's language is only its code; templates are found by name
	// and language in the business account, so no namespace is sent.
	Cloud
)

// languagePolicy is the on-premises API's template language policy (the
// only one it still accepts).
const languagePolicy = "deterministic"
