package decisiontelecom_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		callback string // Config.CallbackURL
		content  message.Content
		want     string // the body, template_params decoded in place
	}{
		{
			name:    "text",
			content: message.Content{Text: &message.Text{Body: "Привіт <Олена> & ласкаво просимо"}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":1,
				"text":"Привіт <Олена> & ласкаво просимо"}`,
		},
		{
			name:     "text with callback_url",
			callback: "https://hooks.example/dt?account=main",
			content:  textMsg,
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":1,
				"text":"Message content","callback_url":"https://hooks.example/dt?account=main"}`,
		},
		{
			name:    "text with preview_url, which DecisionTelecom has no field for",
			content: message.Content{Text: &message.Text{Body: "See https://example.com", PreviewURL: true}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":1,
				"text":"See https://example.com"}`,
		},
		{
			name:    "image jpg with caption",
			content: message.Content{Image: &message.Media{URL: "https://yourdomain.com/images/image.jpg", Caption: "Offer", MIME: "image/jpeg", Size: 1000, Filename: "ignored.jpg"}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":2,
				"text":"Offer","file_url":"https://yourdomain.com/images/image.jpg"}`,
		},
		{
			name:    "image jpeg without caption",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpeg"}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":2,
				"file_url":"https://cdn.example/a.jpeg"}`,
		},
		{
			name:     "image PNG in capitals with a query string, and callback_url",
			callback: "https://hooks.example/dt",
			content:  message.Content{Image: &message.Media{URL: "https://cdn.example/Promo.PNG?v=2"}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":2,
				"file_url":"https://cdn.example/Promo.PNG?v=2","callback_url":"https://hooks.example/dt"}`,
		},
		{
			name: "template with every component",
			content: message.Content{Template: &message.Template{
				Name: "order_update", Language: "uk", Namespace: "xxxxx_xxxx_xxx_xxx_xxxxx",
				Header: &message.TemplateHeader{Text: "Замовлення 42"},
				Body:   []string{"Олена", "1 200 ₴"},
				Buttons: []message.TemplateButton{
					{SubType: "url", Index: 0, Param: "orders/42"},
					{SubType: "quick_reply", Index: 1, Param: "STOP-42"},
				},
			}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":4,
				"template_name":"order_update","template_params":{"to":"380631234567","type":"template","template":{
					"namespace":"xxxxx_xxxx_xxx_xxx_xxxxx","language":{"policy":"deterministic","code":"uk"},"name":"order_update",
					"components":[
						{"type":"header","parameters":[{"type":"text","text":"Замовлення 42"}]},
						{"type":"body","parameters":[{"type":"text","text":"Олена"},{"type":"text","text":"1 200 ₴"}]},
						{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"orders/42"}]},
						{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP-42"}]}]}}}`,
		},
		{
			name:     "template with an image header, as the document's example, and callback_url",
			callback: "https://hooks.example/dt",
			content: message.Content{Template: &message.Template{
				Name: "media_2_english", Language: "en_US",
				Header: &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example/image"}},
			}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":4,"callback_url":"https://hooks.example/dt",
				"template_name":"media_2_english","template_params":{"to":"380631234567","type":"template","template":{
					"language":{"policy":"deterministic","code":"en_US"},"name":"media_2_english",
					"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://cdn.example/image"}}]}]}}}`,
		},
		{
			name: "template with a video header",
			content: message.Content{Template: &message.Template{
				Name: "promo_video", Language: "en",
				Header: &message.TemplateHeader{Video: &message.Media{URL: "https://cdn.example/p.mp4"}},
			}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":4,
				"template_name":"promo_video","template_params":{"to":"380631234567","type":"template","template":{
					"language":{"policy":"deterministic","code":"en"},"name":"promo_video",
					"components":[{"type":"header","parameters":[{"type":"video","video":{"link":"https://cdn.example/p.mp4"}}]}]}}}`,
		},
		{
			name: "template with a document header",
			content: message.Content{Template: &message.Template{
				Name: "invoice", Language: "en", Body: []string{"42"},
				Header: &message.TemplateHeader{Document: &message.Media{URL: "https://cdn.example/i.pdf", Filename: "invoice-42.pdf"}},
			}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":4,
				"template_name":"invoice","template_params":{"to":"380631234567","type":"template","template":{
					"language":{"policy":"deterministic","code":"en"},"name":"invoice",
					"components":[
						{"type":"header","parameters":[{"type":"document","document":{"link":"https://cdn.example/i.pdf","filename":"invoice-42.pdf"}}]},
						{"type":"body","parameters":[{"type":"text","text":"42"}]}]}}}`,
		},
		{
			name:    "template without parameters",
			content: message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}},
			want: `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":4,
				"template_name":"hello_world","template_params":{"to":"380631234567","type":"template","template":{
					"language":{"policy":"deterministic","code":"en"},"name":"hello_world"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL, CallbackURL: tt.callback})
			r, err := c.Send(context.Background(), msg(tt.content))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: "554", Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, tt.want, decodeParams(t, f.Only(t).Body)); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

// decodeParams returns body with template_params, a JSON document carried
// as a string, replaced by that document, so one diff shows both.
func decodeParams(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v\n%s", err, body)
	}
	if raw, ok := m["template_params"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("template_params is not a JSON string: %s", raw)
		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("template_params does not hold JSON: %s", s)
		}
		m["template_params"] = json.RawMessage(s)
	}
	out, _ := json.Marshal(m)
	return out
}

// TestSendDestinationIsANumber pins the wire form: destination_addr is a
// bare JSON number (the document's example), template_params a string.
func TestSendDestinationIsANumber(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
	c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
	m := msg(message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}})
	m.To = "+998901234567"
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	body := string(f.Only(t).Body)
	for _, want := range []string{`"destination_addr":998901234567,`, `"template_params":"{\"to\":\"998901234567\"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s does not contain %s", body, want)
		}
	}
}

func TestSendRequestURLAndHeaders(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"/v1/api", "/v1/api/"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL + base})
			if _, err := c.Send(context.Background(), msg(textMsg)); err != nil {
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
				"path":          "/v1/api/send-whatsapp",
				"Authorization": wantAuth,
				"Content-Type":  "application/json",
				"Accept":        "application/json",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendAuthIsCurlUserpwd: the key goes as CURLOPT_USERPWD sends it —
// the user name with an empty password, or split at its first colon.
func TestSendAuthIsCurlUserpwd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, decoded string
	}{
		{"dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e", "dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e:"},
		{"  padded-hash-key\n", "padded-hash-key:"},
		{"login:secret-hash", "login:secret-hash"},
	}
	for _, tt := range tests {
		t.Run(tt.decoded, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL, APIKey: tt.key})
			if _, err := c.Send(context.Background(), msg(textMsg)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte(tt.decoded))
			if got := f.Only(t).Header.Get("Authorization"); got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			r, _ := http.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", want)
			user, pass, ok := r.BasicAuth()
			if wantUser, wantPass, _ := strings.Cut(tt.decoded, ":"); !ok || user != wantUser || pass != wantPass {
				t.Errorf("BasicAuth() = %q, %q, %v", user, pass, ok)
			}
		})
	}
}

func TestSendRefusesUnsupportedContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content message.Content
		message string
	}{
		{"video", message.Content{Video: &message.Media{URL: "https://cdn.example/v.mp4"}}, "video messages are not supported by DecisionTelecom"},
		{"audio", message.Content{Audio: &message.Media{URL: "https://cdn.example/a.ogg"}}, "audio messages are not supported by DecisionTelecom"},
		{"document", message.Content{Document: &message.Media{URL: "https://cdn.example/i.pdf"}}, "document messages are not supported by DecisionTelecom"},
		{"sticker", message.Content{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}}, "sticker messages are not supported by DecisionTelecom"},
		{"location", message.Content{Location: &message.Location{}}, "location messages are not supported by DecisionTelecom"},
		{"contacts", message.Content{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Olena"}}}}, "contacts messages are not supported by DecisionTelecom"},
		{"image without an extension", message.Content{Image: &message.Media{URL: "https://cdn.example/img/123"}}, "image messages are not supported by DecisionTelecom unless the file_url ends in .jpg, .jpeg or .png"},
		{"image with a trailing slash", message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpg/"}}, "image messages are not supported by DecisionTelecom unless the file_url ends in .jpg, .jpeg or .png"},
		{"gif image", message.Content{Image: &message.Media{URL: "https://cdn.example/a.gif"}}, "image messages are not supported by DecisionTelecom unless the file_url ends in .jpg, .jpeg or .png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(tt.content))
			if diff := cmp.Diff(providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if se.Message != tt.message {
				t.Errorf("Message = %q, want %q", se.Message, tt.message)
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
		{"two kinds", msg(message.Content{Text: &message.Text{Body: "a"}, Image: &message.Media{URL: "https://x.example/a.jpg"}})},
		{"bad recipient", &message.Message{ID: "x", Account: "a", To: "0631234567", Content: textMsg}},
		{"text over 4096 characters", msg(message.Content{Text: &message.Text{Body: strings.Repeat("я", 4097)}})},
		{"image declared as webp", msg(message.Content{Image: &message.Media{URL: "https://x.example/a.jpg", MIME: "image/webp"}})},
		{"NaN latitude", msg(message.Content{Location: &message.Location{Latitude: math.NaN()}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			se := sendErr(t, c, tt.m)
			if diff := cmp.Diff(providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonUnsupported}, providertest.OutcomeOf(se)); diff != "" {
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
	ok := decisiontelecom.Config{APIKey: testKey, Source: testSource}
	with := func(f func(*decisiontelecom.Config)) decisiontelecom.Config {
		c := ok
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     decisiontelecom.Config
		wantErr bool
	}{
		{"defaults", ok, false},
		{"base path and callback", with(func(c *decisiontelecom.Config) {
			c.BaseURL, c.CallbackURL = "http://dt.internal:8080/v1/api/", "https://hooks.example/dt"
		}), false},
		{"no key", with(func(c *decisiontelecom.Config) { c.APIKey = "" }), true},
		{"blank key", with(func(c *decisiontelecom.Config) { c.APIKey = "  " }), true},
		{"key with a control character", with(func(c *decisiontelecom.Config) { c.APIKey = testKey + "\x00" + "x" }), true},
		{"no source", with(func(c *decisiontelecom.Config) { c.Source = "" }), true},
		{"source of 20 characters", with(func(c *decisiontelecom.Config) { c.Source = strings.Repeat("ї", 20) }), false},
		{"source of 21 characters", with(func(c *decisiontelecom.Config) { c.Source = strings.Repeat("a", 21) }), true},
		{"unparsable BaseURL", with(func(c *decisiontelecom.Config) { c.BaseURL = "http://[::1" }), true},
		{"relative BaseURL", with(func(c *decisiontelecom.Config) { c.BaseURL = "web.it-decision.com/v1/api" }), true},
		{"BaseURL with a query", with(func(c *decisiontelecom.Config) { c.BaseURL = "https://web.it-decision.com/v1/api?key=" + testKey }), true},
		{"relative CallbackURL", with(func(c *decisiontelecom.Config) { c.CallbackURL = "/whatsapp-callback" }), true},
		{"ftp CallbackURL", with(func(c *decisiontelecom.Config) { c.CallbackURL = "ftp://hooks.example/dt" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decisiontelecom.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && containsKey(err.Error()) {
				t.Errorf("New error %q contains the API key", err)
			}
		})
	}
}
