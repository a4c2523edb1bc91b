package wire_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	valid := &message.Message{ID: "c:+255712345678", Account: "acct", To: "+255712345678", Content: message.Content{Text: &message.Text{Body: "Habari"}}}
	tests := []struct {
		name    string
		m       *message.Message
		wantErr string // in the error's text; "" for no error
	}{
		{"valid", valid, ""},
		{"nil", nil, "message is nil"},
		{"no content", &message.Message{ID: "x", To: "+255712345678"}, "invalid message, not sent"},
		{"bad number", &message.Message{ID: "x", To: "0712", Content: valid.Content}, "invalid message, not sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := wire.Check(tt.m)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			se := providertest.AsSendError(t, err)
			want := providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" || se.Err == nil {
				t.Errorf("%q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to say %q", se, tt.wantErr)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	const key = "tj-live-7Q2x9LmN4pR8sV1w"
	cause := errors.New("text longer than 4096 characters")
	tests := []struct {
		name string
		err  *providers.SendError
		want providers.SendError
	}{
		{"invalid", wire.Invalid(cause), providers.SendError{Class: providers.Permanent, Reason: providers.ReasonUnsupported,
			Message: "invalid message, not sent", Err: cause}},
		{"unsupported", wire.Unsupported("video messages are not supported by Modica"), providers.SendError{Class: providers.Permanent,
			Reason: providers.ReasonUnsupported, Message: "video messages are not supported by Modica"}},
		{"malformed, redacted", wire.Malformed(&providers.Response{Status: 200, Body: []byte("<html>key " + key + "</html>")}, "status answer is not JSON", false, key),
			providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200,
				Message: "status answer is not JSON: <html>key [redacted]</html>"}},
		{"malformed, empty body", wire.Malformed(&providers.Response{Status: 202}, "answer carries no message_id", true),
			providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "202", HTTPStatus: 202, Ambiguous: true,
				Message: "answer carries no message_id"}},
		{"no message id in JSON", wire.NoMessageID(&providers.Response{Status: 200, Body: []byte(`{"ok":true}`)}, true),
			providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200, Ambiguous: true,
				Message: `answer carries no message id: {"ok":true}`}},
		{"no message id, not JSON", wire.NoMessageID(&providers.Response{Status: 201, Body: []byte("Created")}, false),
			providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "201", HTTPStatus: 201, Ambiguous: true,
				Message: "answer is not JSON: Created"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, *tt.err, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestJSONRequest(t *testing.T) {
	t.Parallel()
	req, err := wire.JSONRequest(context.Background(), http.MethodPost, "https://api.example/v1/messages", []byte(`{"to":"255712345678"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{req.Method, req.URL.String(), req.Header.Get("Content-Type"), req.Header.Get("Accept")}
	want := []string{"POST", "https://api.example/v1/messages", "application/json", "application/json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	_, err = wire.JSONRequest(context.Background(), http.MethodPost, "http://[::1/?token=s3cret", nil)
	se := providertest.AsSendError(t, err)
	if se.Class != providers.Transient || strings.Contains(se.Error(), "s3cret") {
		t.Errorf("%q: want transient, without the URL", se)
	}
}
