package providers

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestVerdictOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want Verdict
	}{
		{nil, VerdictWorks},
		{&SendError{Class: Account, Reason: ReasonAuth, HTTPStatus: 401}, VerdictWrongCredentials},
		{&SendError{Class: Account, Reason: ReasonConfig, HTTPStatus: 404}, VerdictWrongURL},
		{&SendError{Class: Account, Reason: ReasonBalance, HTTPStatus: 402}, VerdictNoCredit},
		{&SendError{Class: Account, Reason: ReasonBlocked, HTTPStatus: 403}, VerdictBlocked},
		{&SendError{Class: Transient, Message: "connection failed", Err: errors.New("connection refused")}, VerdictUnreachable},
		{&SendError{Class: Transient, HTTPStatus: 503}, VerdictFailed},
		{&SendError{Class: Transient, Reason: ReasonMalformed, HTTPStatus: 200}, VerdictFailed},
		{errors.New("something else"), VerdictFailed},
	}
	for _, tt := range tests {
		if got := VerdictOf(tt.err); got != tt.want {
			t.Errorf("VerdictOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	for v, ok := range map[Verdict]bool{VerdictWorks: true, VerdictReachable: true, VerdictWrongURL: false, VerdictUnreachable: false, VerdictFailed: false} {
		if v.OK() != ok {
			t.Errorf("%q.OK() = %v", v, !ok)
		}
	}
}

// A failed DNS lookup is said as one; other transport errors as they are.
func TestUnreachableSaysWhy(t *testing.T) {
	t.Parallel()
	dns := &SendError{Class: Transient, Message: "connection failed",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}}}
	if got := unreachable(dns); got != "DNS: no such host api.example.invalid" {
		t.Errorf("unreachable(DNS) = %q", got)
	}
	timeout := &SendError{Class: Transient, Message: "timed out", Err: context.DeadlineExceeded}
	if got := unreachable(timeout); got != "timed out: context deadline exceeded" {
		t.Errorf("unreachable(timeout) = %q", got)
	}
}

func TestShownURLDropsCredentials(t *testing.T) {
	t.Parallel()
	if got := shownURL("https://user:s3cret@api.example/v1/api?token=s3cret#x"); got != "https://api.example/v1/api" {
		t.Errorf("shownURL = %q", got)
	}
}
