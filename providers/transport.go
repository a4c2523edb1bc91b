package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MaxBodyBytes bounds how much of a provider's answer is read.
const MaxBodyBytes = 1 << 20

// HTTPConfig configures one account's HTTP client.
type HTTPConfig struct {
	// Timeout bounds one request, connection to last byte. Defaults to 15s.
	Timeout time.Duration
	// MaxConns caps connections to the provider. Defaults to 64.
	MaxConns int
}

// NewHTTPClient returns the http.Client one provider account uses: its own
// connection pool, timeouts on every phase, no redirects followed (a
// redirected POST is a misconfiguration, not something to chase).
func NewHTTPClient(c HTTPConfig) *http.Client {
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 64
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
		MaxIdleConns:          c.MaxConns,
		MaxIdleConnsPerHost:   c.MaxConns,
		MaxConnsPerHost:       c.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Response is a provider's answer, its body read up to MaxBodyBytes.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req and reads the answer. A failure to get an answer becomes a
// Transient *SendError, Ambiguous when the request had been fully written
// (the provider may have acted on it). An answer over MaxBodyBytes is a
// Transient, Ambiguous malformed error. Do never includes request headers
// (where credentials live) in its errors.
func Do(client *http.Client, req *http.Request) (*Response, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		// The transport may try again on another connection (a request
		// it never wrote): what counts is the last attempt.
		GotConn: func(httptrace.GotConnInfo) { wrote.Store(false) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := client.Do(req)
	if err != nil {
		return nil, &SendError{
			Class:     Transient,
			Ambiguous: wrote.Load() && !closedIdle(err),
			Message:   transportReason(err),
			Err:       scrubURLError(err),
		}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, &SendError{Class: Transient, Ambiguous: true, HTTPStatus: resp.StatusCode,
			Reason: ReasonMalformed, Message: "reading the provider's answer", Err: scrubURLError(err)}
	}
	if len(body) > MaxBodyBytes {
		if resp.StatusCode < 300 {
			return nil, &SendError{Class: Transient, Ambiguous: true, HTTPStatus: resp.StatusCode,
				Reason: ReasonMalformed, Message: fmt.Sprintf("answer larger than %d bytes", MaxBodyBytes)}
		}
		// An oversized error still says what it is through its status.
		body = body[:MaxBodyBytes]
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// closedIdle reports whether the transport saw the provider close a
// kept-alive connection while it was idle: its FIN crossed our request on
// the wire, so the provider closed it without reading the request (Go's
// errServerClosedIdle, golang/go#19943). Such a request never reached the
// provider: not ambiguous, safe to send again.
func closedIdle(err error) bool {
	return strings.Contains(err.Error(), "server closed idle connection")
}

func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	default:
		return "connection failed"
	}
}

// scrubURLError drops the URL from a *url.Error: URLs may carry query-string
// credentials, and the account name already says where the request went.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Snippet returns the start of a body for an error message, on one line.
func Snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		i := 200
		for i > 200-(utf8.UTFMax-1) && !utf8.RuneStart(s[i]) {
			i-- // never cut a character in half
		}
		s = s[:i] + "…"
	}
	return s
}

// Redact replaces every secret in s with "[redacted]".
func Redact(s string, secrets ...string) string {
	// Longest first, so a secret that starts another leaves nothing behind.
	secrets = append([]string(nil), secrets...)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
