package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Checker is an adapter whose provider offers a cheap authenticated call
// that sends nothing and changes nothing (a status query, a profile read,
// an authentication method): `wabulk provider check` makes it to tell
// whether an account's base_url and credentials work before a campaign
// finds out. Adapters whose provider documents no such call are not
// Checkers; CheckAccount then checks what it can without credentials.
type Checker interface {
	// Check makes that one call. It returns nil when the provider took the
	// credentials at the account's base_url, else a *SendError classified
	// as a send's would be (VerdictOf reads it): Reason auth for refused
	// credentials, config for a base_url where the provider's API does not
	// answer, balance for an account without credit, and a Transient error
	// without an HTTPStatus when no answer came. Never Ambiguous: nothing
	// was sent.
	Check(ctx context.Context) error
}

// Verdict is what a check concludes of one account.
type Verdict string

// The verdicts, as `wabulk provider check` prints them.
const (
	// VerdictWorks: the provider took the credentials at base_url.
	VerdictWorks Verdict = "works"
	// VerdictReachable: base_url answers, and that is all that could be
	// checked: the provider documents no call that checks credentials
	// without sending a message.
	VerdictReachable Verdict = "reachable"
	// VerdictWrongCredentials: the provider refused the credentials.
	VerdictWrongCredentials Verdict = "wrong credentials"
	// VerdictWrongURL: the provider's API does not answer at base_url
	// (404, 405, a redirect, or another server's answer).
	VerdictWrongURL Verdict = "wrong URL"
	// VerdictNoCredit: the credentials work, but the account has no credit.
	VerdictNoCredit Verdict = "no credit"
	// VerdictBlocked: the credentials work, but the account is blocked.
	VerdictBlocked Verdict = "blocked"
	// VerdictUnreachable: no answer at all (DNS, connection, TLS, timeout).
	VerdictUnreachable Verdict = "unreachable"
	// VerdictFailed: the provider answered otherwise (a 5xx, an answer
	// the check does not expect).
	VerdictFailed Verdict = "failed"
)

// OK reports whether an account with this verdict may be used as it
// stands: it works, or it answers where nothing more can be checked.
func (v Verdict) OK() bool { return v == VerdictWorks || v == VerdictReachable }

// VerdictOf reads a Checker's error: nil works; a *SendError by its
// Reason, or as unreachable when no answer came; any other error failed.
func VerdictOf(err error) Verdict {
	if err == nil {
		return VerdictWorks
	}
	var se *SendError
	if !errors.As(err, &se) {
		return VerdictFailed
	}
	switch {
	case se.Reason == ReasonAuth:
		return VerdictWrongCredentials
	case se.Reason == ReasonConfig:
		return VerdictWrongURL
	case se.Reason == ReasonBalance:
		return VerdictNoCredit
	case se.Reason == ReasonBlocked:
		return VerdictBlocked
	case se.HTTPStatus == 0 && se.Class == Transient:
		return VerdictUnreachable
	}
	return VerdictFailed
}

// CheckResult is one account's check.
type CheckResult struct {
	Verdict Verdict
	// URL is the base_url checked (the kind's default when the account
	// sets none), without credentials or query.
	URL string
	// Detail says what was checked and what came back, free of
	// credentials.
	Detail string
}

// CheckAccount checks account a of kind k: through its adapter's Check
// when the adapter is a Checker, else by reaching base_url: a GET without
// credentials, any HTTP answer counting (DNS, connection and TLS are then
// verified; credentials and path are not).
func CheckAccount(ctx context.Context, k *Kind, a AccountConfig) CheckResult {
	base := a.BaseURL
	if base == "" {
		base = k.BaseURL.Default
	}
	res := CheckResult{URL: shownURL(base)}
	p, err := k.New(a)
	if err != nil {
		res.Verdict, res.Detail = VerdictFailed, "cannot build the account: "+err.Error()
		return res
	}
	if c, ok := p.(Checker); ok {
		err := c.Check(ctx)
		res.Verdict = VerdictOf(err)
		switch {
		case err == nil:
			res.Detail = "the provider accepted the credentials"
		case res.Verdict == VerdictUnreachable:
			res.Detail = unreachable(err)
		default:
			res.Detail = err.Error()
		}
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		res.Verdict, res.Detail = VerdictFailed, "base_url cannot be requested"
		return res
	}
	resp, err := Do(NewHTTPClient(a.HTTP), req)
	if err != nil {
		res.Verdict, res.Detail = VerdictUnreachable, unreachable(err)
		return res
	}
	res.Verdict = VerdictReachable
	res.Detail = fmt.Sprintf("the server answered HTTP %d; credentials not checked: the provider of kind %s documents no call that checks them without sending a message",
		resp.Status, k.Name)
	return res
}

// unreachable says why no answer came: the DNS lookup that failed, or
// the transport's error.
func unreachable(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return fmt.Sprintf("DNS: no such host %s", dns.Name)
		}
		return fmt.Sprintf("DNS: lookup of %s failed: %s", dns.Name, dns.Err)
	}
	var se *SendError
	if errors.As(err, &se) && se.Err != nil {
		return fmt.Sprintf("%s: %v", se.Message, se.Err)
	}
	return err.Error()
}

// shownURL is raw without user information, query or fragment, which may
// carry credentials.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return strings.TrimSpace(u.String())
}
