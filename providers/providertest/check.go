package providertest

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
)

// Outcome is the part of a SendError the worker acts on; compare it with
// cmp.Diff.
type Outcome struct {
	Class      providers.Class
	Reason     providers.Reason
	Code       string
	HTTPStatus int
	Ambiguous  bool
}

// OutcomeOf returns se's Outcome.
func OutcomeOf(se *providers.SendError) Outcome {
	return Outcome{Class: se.Class, Reason: se.Reason, Code: se.Code, HTTPStatus: se.HTTPStatus, Ambiguous: se.Ambiguous}
}

// AsSendError returns the *providers.SendError err must be, and fails t
// when err is nil or of another type.
func AsSendError(t testing.TB, err error) *providers.SendError {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded; want an error")
	}
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %q (%T) is not a *providers.SendError", err, err)
	}
	return se
}

// JSONDiff compares two JSON documents by value, as cmp.Diff does (-want
// +got), and fails t when either is not JSON.
func JSONDiff(t testing.TB, want string, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	return cmp.Diff(w, g)
}

// Leaks reports whether s holds any of secrets or any 8-character piece of
// one (a truncated secret is a leaked secret).
func Leaks(s string, secrets ...string) bool {
	for _, secret := range secrets {
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+8]) {
				return true
			}
		}
	}
	return false
}

// RefusedURL returns an http URL where nothing listens: the connection is
// refused and no request is ever written.
func RefusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}
