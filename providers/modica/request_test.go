package modica_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *message.Message
		want string
	}{
		{
			name: "text",
			m:    textMsg("Kia ora <Aroha> & welcome"),
			want: `{"destination":"+64211234567","content":"Kia ora <Aroha> & welcome","reference":"camp-1:+64211234567"}`,
		},
		{
			name: "text with a sender picks the source",
			m: &message.Message{ID: "api-7f3a", Account: "modica-nz", From: "+6498870000", To: "+255712345678",
				Content: message.Content{Text: &message.Text{Body: "Your code is 4412"}}},
			want: `{"destination":"+255712345678","content":"Your code is 4412","source":"+6498870000","reference":"api-7f3a"}`,
		},
		{
			name: "text keeps spaces, new lines and non-Latin script",
			m:    textMsg("  Ngā mihi\nمرحبا 👋  "),
			want: `{"destination":"+64211234567","content":"  Ngā mihi\nمرحبا 👋  ","reference":"camp-1:+64211234567"}`,
		},
		{
			name: "preview_url has no member; the text goes out",
			m:    msg(message.Content{Text: &message.Text{Body: "See https://modica.example", PreviewURL: true}}),
			want: `{"destination":"+64211234567","content":"See https://modica.example","reference":"camp-1:+64211234567"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			r, err := c.Send(context.Background(), tt.m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: "1234567", Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, tt.want, f.Only(t).Body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendRequestURLAndHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base string // appended to the server URL
		path string
	}{
		{"", "/rest/gateway/messages"},
		{"/", "/rest/gateway/messages"},
		{"/rest/gateway", "/rest/gateway/messages"},
		{"/rest/gateway/", "/rest/gateway/messages"},
		{"/rest/gateway/messages", "/rest/gateway/messages"},
		{"/proxy/modica", "/proxy/modica/rest/gateway/messages"},
		{"/proxy/rest/gateway", "/proxy/rest/gateway/messages"},
		{"/tenant/messages", "/tenant/messages/rest/gateway/messages"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, modica.Config{BaseURL: f.URL + tt.base})
			if _, err := c.Send(context.Background(), textMsg("hi")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			req := f.Only(t)
			got := map[string]string{
				"method":        req.Method,
				"path":          req.Path,
				"Authorization": req.Header.Get("Authorization"),
				"Content-Type":  req.Header.Get("Content-Type"),
				"Accept":        req.Header.Get("Accept"),
			}
			want := map[string]string{
				"method":        http.MethodPost,
				"path":          tt.path,
				"Authorization": "Basic d2FidWxrLWFwcDptZy1wYXNzLTdRMng5TG1ONHBSOHNWMXc=", // wabulk-app:mg-pass-7Q2x9LmN4pR8sV1w
				"Content-Type":  "application/json",
				"Accept":        "application/json",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       *message.Message
		message string // in the error text
	}{
		{"nil", nil, "invalid message"},
		{"no content", msg(message.Content{}), "invalid message"},
		{"two kinds", msg(message.Content{Text: &message.Text{Body: "a"}, Image: &message.Media{URL: "https://x.example/a.jpg"}}), "invalid message"},
		{"empty text", textMsg("   "), "invalid message"},
		{"text over 4096 characters", textMsg(strings.Repeat("a", message.MaxTextLen+1)), "invalid message"},
		{"bad recipient", &message.Message{ID: "x", Account: "a", To: "0211234567", Content: message.Content{Text: &message.Text{Body: "a"}}}, "invalid message"},
		{"bad sender", &message.Message{ID: "x", Account: "a", From: "MODICA", To: "+64211234567", Content: message.Content{Text: &message.Text{Body: "a"}}}, "invalid message"},
		{"no id", &message.Message{Account: "a", To: "+64211234567", Content: message.Content{Text: &message.Text{Body: "a"}}}, "invalid message"},
		{"template", msg(message.Content{Template: &message.Template{Name: "promo", Language: "en"}}), "template messages are not supported by Modica"},
		{"image", msg(message.Content{Image: &message.Media{URL: "https://x.example/a.jpg"}}), "image messages are not supported by Modica"},
		{"location", msg(message.Content{Location: &message.Location{Latitude: 1, Longitude: 2}}), "location messages are not supported by Modica"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			se := sendErr(t, c, tt.m)
			want := providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Error(), tt.message) {
				t.Errorf("error %q does not say %q", se, tt.message)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  modica.Config
	}{
		{"no username", modica.Config{Password: testPass}},
		{"no password", modica.Config{Username: testUser}},
		{"blank password", modica.Config{Username: testUser, Password: "   "}},
		{"colon in username", modica.Config{Username: "a:b", Password: testPass}},
		{"control character in password", modica.Config{Username: testUser, Password: "pass\nword"}},
		{"relative base url", modica.Config{BaseURL: "api.modicagroup.com", Username: testUser, Password: testPass}},
		{"ftp base url", modica.Config{BaseURL: "ftp://api.modicagroup.com", Username: testUser, Password: testPass}},
		{"base url with a query", modica.Config{BaseURL: "https://api.modicagroup.com/?x=1", Username: testUser, Password: testPass}},
		{"base url with credentials", modica.Config{BaseURL: "https://u:" + testPass + "@api.modicagroup.com", Username: testUser, Password: testPass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := modica.New(tt.cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v, want an error", tt.cfg, c)
			}
			if strings.Contains(err.Error(), testPass) {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
}
