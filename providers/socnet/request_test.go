package socnet_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/socnet"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		to      string
		content message.Content
		want    string
	}{
		{
			name:    "text",
			content: message.Content{Text: &message.Text{Body: "Oli otya <Okello> & \"welcome\""}},
			want:    `{"api_key":"` + testKey + `","msisdn":"256701234567","msg":"Oli otya <Okello> & \"welcome\""}`,
		},
		{
			name:    "text with a link, no preview asked",
			to:      "+256772000111",
			content: message.Content{Text: &message.Text{Body: "Pay at https://pay.example/42"}},
			want:    `{"api_key":"` + testKey + `","msisdn":"256772000111","msg":"Pay at https://pay.example/42"}`,
		},
		{
			name:    "text with a preview asked: the text goes out, the flag does not",
			content: message.Content{Text: &message.Text{Body: "Pay at https://pay.example/42", PreviewURL: true}},
			want:    `{"api_key":"` + testKey + `","msisdn":"256701234567","msg":"Pay at https://pay.example/42"}`,
		},
		{
			name:    "OTP template: msg is only the code",
			content: message.Content{Template: &message.Template{Name: "otp_verification", Language: "en", Body: []string{"1234"}}},
			want:    `{"api_key":"` + testKey + `","msisdn":"256701234567","msg":"1234","template":"otp_verification"}`,
		},
		{
			name: "template with one parameter; language and namespace are not sent",
			content: message.Content{Template: &message.Template{
				Name: "payment_due", Language: "en_GB", Namespace: "ns_1", Body: []string{"UGX 50,000"},
			}},
			want: `{"api_key":"` + testKey + `","msisdn":"256701234567","msg":"UGX 50,000","template":"payment_due"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			m := msg(tt.content)
			if tt.to != "" {
				m.To = tt.to
			}
			r, err := c.Send(context.Background(), m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: "3EB002BAE9545124A5B7B2", Status: message.Sent}, r); diff != "" {
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
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
	c := newClient(t, socnet.Config{URL: endpoint(f)})
	if _, err := c.Send(context.Background(), msg(textMsg)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := f.Only(t)
	got := map[string]string{
		"method":        req.Method,
		"path":          req.Path,
		"query":         req.RawQuery,
		"Content-Type":  req.Header.Get("Content-Type"),
		"Accept":        req.Header.Get("Accept"),
		"Authorization": req.Header.Get("Authorization"),
	}
	want := map[string]string{
		"method":        http.MethodPost,
		"path":          "/projects/bulk/whatsapp/api.php",
		"query":         "",
		"Content-Type":  "application/json",
		"Accept":        "application/json",
		"Authorization": "", // the key travels in the body only
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	for name, vs := range req.Header {
		if containsKey(strings.Join(vs, " ")) {
			t.Errorf("header %s carries the API key", name)
		}
	}
}

// TestSendRefusesUnsupportedContent: only what the document's request
// shape carries goes out; the rest is refused, with the reason, before any
// request.
func TestSendRefusesUnsupportedContent(t *testing.T) {
	t.Parallel()
	media := &message.Media{URL: "https://cdn.example/a.jpg"}
	tests := []struct {
		name    string
		content message.Content
		says    string // the refusal must say this
	}{
		{"image", message.Content{Image: media}, "image messages are not supported by socnet"},
		{"video", message.Content{Video: &message.Media{URL: "https://cdn.example/v.mp4"}}, "video messages are not supported by socnet"},
		{"audio", message.Content{Audio: &message.Media{URL: "https://cdn.example/a.ogg"}}, "audio messages are not supported by socnet"},
		{"document", message.Content{Document: &message.Media{URL: "https://cdn.example/d.pdf"}}, "document messages are not supported by socnet"},
		{"sticker", message.Content{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}}, "sticker messages are not supported by socnet"},
		{"location", message.Content{Location: &message.Location{Latitude: 0.3476, Longitude: 32.5825}}, "location messages are not supported by socnet"},
		{"contacts", message.Content{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Okello"}}}}, "contacts messages are not supported by socnet"},
		{"template without parameters", message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}}, "0 body parameters"},
		{"template with two parameters", message.Content{Template: &message.Template{Name: "t", Language: "en", Body: []string{"a", "b"}}}, "2 body parameters"},
		{"template header", message.Content{Template: &message.Template{Name: "t", Language: "en", Body: []string{"a"},
			Header: &message.TemplateHeader{Text: "Hi"}}}, "template headers"},
		{"template buttons", message.Content{Template: &message.Template{Name: "otp", Language: "en", Body: []string{"1234"},
			Buttons: []message.TemplateButton{{SubType: "url", Index: 0, Param: "1234"}}}}, "template buttons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			se := sendErr(t, c, msg(tt.content))
			want := providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Error(), tt.says) {
				t.Errorf("error %q does not say %q", se, tt.says)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

// TestSendRefusesNonUgandanRecipients: msisdn is N12 and starts with 256.
func TestSendRefusesNonUgandanRecipients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		to   string
		says string
	}{
		{"+255712345678", "is not Ugandan"}, // Tanzania
		{"+254712345678", "is not Ugandan"}, // Kenya
		{"+12565550100", "is not Ugandan"},  // US, area code 256
		{"+25670123456", "has 11 digits"},   // one digit short
		{"+2567012345678", "has 13 digits"}, // one digit long
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			m := msg(textMsg)
			m.To = tt.to
			se := sendErr(t, c, m)
			want := providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", se, diff)
			}
			for _, s := range []string{"Ugandan", "256", tt.says, tt.to} {
				if !strings.Contains(se.Error(), s) {
					t.Errorf("error %q does not say %q", se, s)
				}
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

func TestSendRefusesInvalidMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *message.Message
	}{
		{"nil", nil},
		{"no content", msg(message.Content{})},
		{"two kinds", msg(message.Content{Text: &message.Text{Body: "a"}, Template: &message.Template{Name: "t", Language: "en", Body: []string{"a"}}})},
		{"empty text", msg(message.Content{Text: &message.Text{Body: "  "}})},
		{"recipient not E.164", &message.Message{ID: "x", Account: "a", To: "0701234567", Content: textMsg}},
		{"template without language", msg(message.Content{Template: &message.Template{Name: "otp", Body: []string{"1234"}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			se := sendErr(t, c, tt.m)
			want := providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", se, diff)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("an invalid message made %d requests", n)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     socnet.Config
		wantErr bool
	}{
		{"defaults", socnet.Config{APIKey: testKey}, false},
		{"own URL", socnet.Config{APIKey: testKey, URL: "http://socnet-sim.internal:8080/api.php"}, false},
		{"key not 32 bytes", socnet.Config{APIKey: "short-key"}, false},      // Socnet's to refuse
		{"key with a newline", socnet.Config{APIKey: testKey + "\n"}, false}, // trimmed
		{"no key", socnet.Config{URL: socnet.DefaultURL}, true},
		{"blank key", socnet.Config{APIKey: "   "}, true},
		{"unparsable URL", socnet.Config{APIKey: testKey, URL: "http://[::1"}, true},
		{"relative URL", socnet.Config{APIKey: testKey, URL: "www.socnetsolutions.com/api.php"}, true},
		{"ftp URL", socnet.Config{APIKey: testKey, URL: "ftp://www.socnetsolutions.com/api.php"}, true},
		{"URL with a query", socnet.Config{APIKey: testKey, URL: "https://www.socnetsolutions.com/api.php?api_key=x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := socnet.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && containsKey(err.Error()) {
				t.Errorf("New error %q contains the API key", err)
			}
		})
	}
}

// TestSendTrimsTheKey: a key pasted with a newline is sent without it.
func TestSendTrimsTheKey(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, channel1))
	c := newClient(t, socnet.Config{URL: endpoint(f), APIKey: " " + testKey + "\n"})
	if _, err := c.Send(context.Background(), msg(textMsg)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := `{"api_key":"` + testKey + `","msisdn":"256701234567","msg":"Oli otya"}`
	if diff := providertest.JSONDiff(t, want, f.Only(t).Body); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
}
