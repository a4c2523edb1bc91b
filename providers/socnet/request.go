package socnet

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// request is the body of the document's Message Sending request, the only
// request shape it gives:
//
//	{"api_key":"...","msisdn":"256701234567","msg":"...","template":"..."}
type request struct {
	APIKey   string `json:"api_key"`
	MSISDN   string `json:"msisdn"` // N12, starting with 256
	Msg      string `json:"msg"`
	Template string `json:"template,omitempty"`
}

// request builds the wire body for a validated, supported content.
func (c *Client) request(msisdn string, ct *message.Content) request {
	r := request{APIKey: c.apiKey, MSISDN: msisdn}
	switch ct.Kind() {
	case message.KindText:
		r.Msg = ct.Text.Body
	case message.KindTemplate:
		r.Template = ct.Template.Name
		r.Msg = ct.Template.Body[0]
	}
	return r
}

// ugandan is the document's msisdn: N12, "Start with 256".
var ugandan = regexp.MustCompile(`^256[0-9]{9}$`)

// recipient returns the msisdn for an E.164 number, or a Permanent
// invalid-recipient error when Socnet cannot send to it.
func recipient(to string) (string, error) {
	msisdn := message.WaID(to)
	if ugandan.MatchString(msisdn) {
		return msisdn, nil
	}
	why := "is not Ugandan"
	if strings.HasPrefix(msisdn, "256") {
		why = fmt.Sprintf("has %d digits", len(msisdn))
	}
	return "", &providers.SendError{
		Class:   providers.Permanent,
		Reason:  providers.ReasonInvalidRecipient,
		Message: fmt.Sprintf("socnet sends only to Ugandan numbers (msisdn: 12 digits starting with 256): %s %s", to, why),
	}
}

// supported refuses what Socnet's one request shape cannot carry. The
// document lists images, audio, documents, stickers, videos, contacts and
// location among what its customers may send, but gives no field for any
// of them: sending them as text would silently change the message. Text
// "also with preview URL" is listed too; it goes out as text, and the
// preview flag, which has no field either, is left to Socnet.
func supported(ct *message.Content) error {
	switch k := ct.Kind(); k {
	case message.KindText:
		return nil
	case message.KindTemplate:
		t := ct.Template
		switch {
		case t.Header != nil:
			return wire.Unsupported("template headers are not supported by socnet (its request carries a template name and one msg)")
		case len(t.Buttons) > 0:
			return wire.Unsupported("template buttons are not supported by socnet (it adds an OTP template's copy-code button itself)")
		case len(t.Body) != 1:
			return wire.Unsupported(fmt.Sprintf("templates with %d body parameters are not supported by socnet "+
				"(its mandatory msg carries exactly one: the template's parameter, e.g. the OTP)", len(t.Body)))
		}
		return nil
	default:
		return wire.Unsupported(string(k) + " messages are not supported by socnet")
	}
}
