package message

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// IsE164 reports whether s is already in E.164 form (+ and 7–15 digits).
func IsE164(s string) bool { return e164.MatchString(s) }

// ErrNoRegion means a national number came without a default region to
// read it in.
var ErrNoRegion = errors.New("number has no country code and no default region is set")

// NormalizePhone turns a phone number as people write it ("0712 345 678",
// "+255 712-345-678", "00255712345678") into E.164 ("+255712345678").
// defaultRegion is an ISO 3166 code (e.g. "TZ") used for numbers written
// without a country code; it may be empty when every number is international.
func NormalizePhone(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("phone is empty")
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", fmt.Errorf("%q: %w", raw, ErrNoRegion)
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %w", raw, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%q is not a valid phone number", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// WaID is the recipient as WhatsApp APIs want it: E.164 without the "+".
func WaID(e164 string) string { return strings.TrimPrefix(e164, "+") }
