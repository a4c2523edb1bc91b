package wire

import (
	"errors"
	"strconv"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// Check refuses a message that cannot be sent as it stands, before any
// request is made: nil, or one message.Message.Validate refuses. The error
// is Invalid's.
func Check(m *message.Message) error {
	if m == nil {
		return Invalid(errors.New("message is nil"))
	}
	if err := m.Validate(); err != nil {
		return Invalid(err)
	}
	return nil
}

// Invalid is the error for a message that cannot be sent as it stands
// (err says why): Permanent, with Reason Unsupported.
func Invalid(err error) *providers.SendError {
	return &providers.SendError{
		Class:   providers.Permanent,
		Reason:  providers.ReasonUnsupported,
		Message: "invalid message, not sent",
		Err:     err,
	}
}

// Unsupported is the error for content the provider cannot carry (why
// says which, and by whom): Permanent, with Reason Unsupported.
func Unsupported(why string) *providers.SendError {
	return &providers.SendError{Class: providers.Permanent, Reason: providers.ReasonUnsupported, Message: why}
}

// Malformed is the error for an answer that cannot be read: Transient and
// Malformed, its Code the HTTP status, its Message why and then the start
// of the body (secrets redacted). ambiguous says whether the provider may
// have acted all the same (a 2xx to a send).
func Malformed(resp *providers.Response, why string, ambiguous bool, secrets ...string) *providers.SendError {
	if s := Prose(string(resp.Body), secrets...); s != "" {
		why += ": " + s
	}
	return &providers.SendError{
		Class:      providers.Transient,
		Reason:     providers.ReasonMalformed,
		Code:       strconv.Itoa(resp.Status),
		HTTPStatus: resp.Status,
		Ambiguous:  ambiguous,
		Message:    why,
	}
}

// NoMessageID is Malformed for a 2xx to a send that names no message id:
// Ambiguous, since the provider may well have sent the message. isJSON
// says whether the body was JSON at all.
func NoMessageID(resp *providers.Response, isJSON bool, secrets ...string) *providers.SendError {
	why := "answer carries no message id"
	if !isJSON {
		why = "answer is not JSON"
	}
	return Malformed(resp, why, true, secrets...)
}
