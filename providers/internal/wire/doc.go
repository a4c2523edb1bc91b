// Package wire holds the mechanics every provider adapter shares below its
// own wire format: reading providers' JSON leniently, checking a
// configured base URL and credential, refusing a message before any
// request is made, building the JSON request, and turning provider text
// into error text fit to show.
//
// What it owns:
//
//   - json.go: lenient JSON types for values providers send in several
//     shapes (String: a string or a number; Scalar: a string, number or
//     boolean; Texts: a string or an array of strings; OneOrMany: one
//     object or an array of them), and IsObject, DecodeObject and
//     UnmarshalTrailingCommas for whole bodies;
//   - url.go: BaseURL (an absolute http or https URL, no query or
//     fragment; errors name the field and never show a query), IsHTTPURL;
//   - text.go: HasControl (credentials that cannot go in a header), Join,
//     Prose (provider text redacted, then cut), Explain;
//   - errors.go: the SendErrors every adapter builds the same way: Check
//     and Invalid (a message that cannot be sent as it stands),
//     Unsupported, Malformed and NoMessageID (a 2xx that cannot be read);
//   - request.go: JSONRequest.
//
// What it must never do: know a provider. Every field name, code, status
// word and classification belongs to the adapter whose document defines
// it (its request.go, answer.go, callback.go, classify.go); a helper moves
// here only when adapters share it exactly. It never puts a credential or
// a URL's query in an error.
//
// It is internal to providers: only adapters import it.
//
//	func New(cfg Config) (*Client, error) {
//		base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
//		if err != nil {
//			return nil, fmt.Errorf("tujenge: %w", err)
//		}
//		...
//	}
//
//	func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
//		if err := wire.Check(m); err != nil {
//			return providers.Receipt{}, err
//		}
//		...
//	}
//
//	type answer struct {
//		Messages wire.OneOrMany[sentMessage] `json:"messages"`
//		Code     wire.String                 `json:"code"` // 470 or "470"
//		Details  wire.Texts                  `json:"details"`
//	}
package wire
