package providers_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
)

func TestClassString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    providers.Class
		want string
	}{
		{providers.Transient, "transient"},
		{providers.Permanent, "permanent"},
		{providers.Account, "account"},
		{0, "class(0)"},
		{9, "class(9)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Class(%d).String() = %q, want %q", int(tt.c), got, tt.want)
		}
	}
}

func TestSendErrorError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *providers.SendError
		want string
	}{
		{"class only", &providers.SendError{Class: providers.Account}, "account error"},
		{"code equal to HTTP status", &providers.SendError{Class: providers.Transient, Code: "503", HTTPStatus: 503}, "transient error 503"},
		{"code different from HTTP status", &providers.SendError{Class: providers.Permanent, Code: "470", HTTPStatus: 400, Message: "outside the 24 h window"},
			"permanent error 470 (HTTP 400): outside the 24 h window"},
		{"HTTP status without code", &providers.SendError{Class: providers.Transient, HTTPStatus: 502}, "transient error (HTTP 502)"},
		{"code without HTTP status", &providers.SendError{Class: providers.Account, Code: "1014", Message: "no credit"}, "account error 1014: no credit"},
		{"message and wrapped error", &providers.SendError{Class: providers.Transient, Message: "connection failed", Err: errors.New("dial tcp: connection refused")},
			"transient error: connection failed: dial tcp: connection refused"},
		{"wrapped error only", &providers.SendError{Class: providers.Transient, Err: io.ErrUnexpectedEOF}, "transient error: unexpected EOF"},
		{"ambiguous", &providers.SendError{Class: providers.Transient, Ambiguous: true, Message: "timed out", Err: errors.New("deadline")},
			"transient error: timed out: deadline (the provider may have received it)"},
		{"everything", &providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "E1", HTTPStatus: 200,
			RetryAfter: time.Second, Ambiguous: true, Message: "answer larger than 10 bytes", Err: io.ErrShortBuffer},
			"transient error E1 (HTTP 200): answer larger than 10 bytes: short buffer (the provider may have received it)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() =\n%q, want\n%q", tt.name, got, tt.want)
		}
	}
}

func TestSendErrorUnwrap(t *testing.T) {
	t.Parallel()
	cause := io.ErrUnexpectedEOF
	se := &providers.SendError{Class: providers.Transient, Err: cause}
	wrapped := fmt.Errorf("send to +255712345678: %w", se)

	if !errors.Is(wrapped, cause) {
		t.Error("errors.Is(wrapped, cause) = false, want true through Unwrap")
	}
	var got *providers.SendError
	if !errors.As(wrapped, &got) {
		t.Fatal("errors.As(wrapped, *SendError) = false")
	}
	if got != se {
		t.Errorf("errors.As gave %p, want the original %p", got, se)
	}
	if errors.Is(&providers.SendError{Class: providers.Transient}, cause) {
		t.Error("a SendError without Err matches an unrelated error")
	}
	if (&providers.SendError{}).Unwrap() != nil {
		t.Error("Unwrap() of a SendError without Err is not nil")
	}
}

func TestAsSendError(t *testing.T) {
	t.Parallel()
	t.Run("plain error", func(t *testing.T) {
		t.Parallel()
		plain := errors.New("adapter forgot to classify")
		se := providers.AsSendError(plain)
		if se == nil {
			t.Fatal("AsSendError returned nil")
		}
		want := providers.SendError{Class: providers.Transient, Message: "unclassified error", Err: plain}
		if diff := cmp.Diff(want, *se, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("AsSendError(plain) mismatch (-want +got):\n%s", diff)
		}
		if !errors.Is(se, plain) {
			t.Error("the Transient error does not wrap the plain one")
		}
	})
	t.Run("wrapped SendError", func(t *testing.T) {
		t.Parallel()
		orig := &providers.SendError{Class: providers.Permanent, Code: "131026", HTTPStatus: 400}
		for _, err := range []error{orig, fmt.Errorf("send: %w", orig), fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", orig))} {
			if got := providers.AsSendError(err); got != orig {
				t.Errorf("AsSendError(%v) = %p (%v), want the original %p", err, got, got, orig)
			}
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    string
		want time.Duration
	}{
		{"absent", "", 0},
		{"blank", "   ", 0},
		{"zero", "0", 0},
		{"seconds", "5", 5 * time.Second},
		{"seconds with spaces", " 120 ", 2 * time.Minute},
		{"negative", "-3", 0},
		{"not a number", "abc", 0},
		{"fraction", "1.5", 0},
		{"seconds too large for int", "99999999999999999999", 0},
		{"seconds overflowing a Duration", "9223372037", 0},
		{"largest representable seconds", "9223372036", 9223372036 * time.Second},
		{"HTTP date 30s ahead", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"RFC 850 date 90s ahead", now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second},
		{"HTTP date now", now.Format(http.TimeFormat), 0},
		{"HTTP date in the past", now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
		{"date in another format", now.Add(30 * time.Second).Format(time.RFC3339), 0},
	}
	for _, tt := range tests {
		if got := providers.ParseRetryAfter(tt.h, now); got != tt.want {
			t.Errorf("%s: ParseRetryAfter(%q) = %v, want %v", tt.name, tt.h, got, tt.want)
		}
	}
}

func TestClassifyHTTPStatus(t *testing.T) {
	t.Parallel()
	type class struct {
		Class  providers.Class
		Reason providers.Reason
	}
	tests := []struct {
		status int
		want   class
	}{
		{400, class{providers.Permanent, providers.ReasonNone}},
		{401, class{providers.Account, providers.ReasonAuth}},
		{402, class{providers.Account, providers.ReasonBalance}},
		{403, class{providers.Account, providers.ReasonAuth}},
		{301, class{providers.Account, providers.ReasonConfig}},
		{404, class{providers.Account, providers.ReasonConfig}},
		{405, class{providers.Account, providers.ReasonConfig}},
		{408, class{providers.Transient, providers.ReasonNone}},
		{409, class{providers.Permanent, providers.ReasonNone}},
		{422, class{providers.Permanent, providers.ReasonNone}},
		{425, class{providers.Transient, providers.ReasonNone}},
		{429, class{providers.Transient, providers.ReasonThrottled}},
		{500, class{providers.Transient, providers.ReasonNone}},
		{502, class{providers.Transient, providers.ReasonNone}},
		{503, class{providers.Transient, providers.ReasonNone}},
		{504, class{providers.Transient, providers.ReasonNone}},
	}
	for _, tt := range tests {
		c, r := providers.ClassifyHTTPStatus(tt.status)
		if diff := cmp.Diff(tt.want, class{c, r}); diff != "" {
			t.Errorf("ClassifyHTTPStatus(%d) mismatch (-want +got):\n%s", tt.status, diff)
		}
	}
}
