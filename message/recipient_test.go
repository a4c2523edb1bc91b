package message_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/wabulk/wabulk/message"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		region  string
		want    string
		wantErr error  // checked with errors.Is when set
		errText string // a piece of the error text when set
	}{
		{name: "international with spaces and dashes", raw: "+255 712-345-678", want: "+255712345678"},
		{name: "national with region", raw: "0712 345 678", region: "TZ", want: "+255712345678"},
		{name: "national without trunk prefix", raw: "712345678", region: "TZ", want: "+255712345678"},
		{name: "00 international prefix", raw: "00255712345678", want: "+255712345678"},
		{name: "north american", raw: "+1 415 555 2671", want: "+14155552671"},
		{name: "lower-case region", raw: "0712 345 678", region: "tz", want: "+255712345678"},
		{name: "region with spaces", raw: "0712345678", region: " TZ ", want: "+255712345678"},
		{name: "surrounding spaces", raw: "  +255712345678\t", want: "+255712345678"},
		{name: "international number ignores region", raw: "+255712345678", region: "US", want: "+255712345678"},
		{name: "national without region", raw: "0712 345 678", wantErr: message.ErrNoRegion, errText: "0712 345 678"},
		{name: "national without region, region blank", raw: "0712345678", region: "  ", wantErr: message.ErrNoRegion},
		{name: "empty", raw: "", errText: "empty"},
		{name: "only spaces", raw: "   ", region: "TZ", errText: "empty"},
		{name: "letters", raw: "call me", region: "TZ", wantErr: phonenumbers.ErrNotANumber},
		{name: "too short", raw: "+2557", wantErr: phonenumbers.ErrTooShortNSN},
		{name: "too short national", raw: "12", region: "TZ", errText: "not a valid phone number"},
		{name: "invalid country code", raw: "+999 123456789", wantErr: phonenumbers.ErrInvalidCountryCode},
		{name: "unknown default region", raw: "0712 345 678", region: "XX", wantErr: phonenumbers.ErrInvalidCountryCode},
		{name: "valid-looking but invalid TZ number", raw: "+255 112 345 678", errText: "not a valid phone number"},
		{name: "valid-looking but invalid NANP number", raw: "+1 555 555 5555", errText: "not a valid phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := message.NormalizePhone(tt.raw, tt.region)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("NormalizePhone(%q, %q) error: %v", tt.raw, tt.region, err)
				}
				if got != tt.want {
					t.Errorf("NormalizePhone(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
				}
				if !message.IsE164(got) {
					t.Errorf("NormalizePhone(%q, %q) = %q, which IsE164 rejects", tt.raw, tt.region, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizePhone(%q, %q) = %q, want an error", tt.raw, tt.region, got)
			}
			if got != "" {
				t.Errorf("NormalizePhone(%q, %q) returned %q alongside an error", tt.raw, tt.region, got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("NormalizePhone(%q, %q) error %q is not %q", tt.raw, tt.region, err, tt.wantErr)
			}
			if tt.errText != "" && !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("NormalizePhone(%q, %q) error %q does not mention %q", tt.raw, tt.region, err, tt.errText)
			}
		})
	}
}

func TestIsE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"+255712345678", true},
		{"+14155552671", true},
		{"+1234567", true},         // 7 digits, the shortest
		{"+123456789012345", true}, // 15 digits, the longest
		{"+123456", false},         // 6 digits
		{"+1234567890123456", false},
		{"255712345678", false}, // no "+"
		{"+0255712345678", false},
		{"+255 712345678", false},
		{"+255-712345678", false},
		{" +255712345678", false},
		{"+255712345678\n", false},
		{"", false},
		{"+", false},
	}
	for _, tt := range tests {
		if got := message.IsE164(tt.in); got != tt.want {
			t.Errorf("IsE164(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestWaID(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+255712345678", "255712345678"},
		{"255712345678", "255712345678"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := message.WaID(tt.in); got != tt.want {
			t.Errorf("WaID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
