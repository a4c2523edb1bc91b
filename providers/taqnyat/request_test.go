package taqnyat_test

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content message.Content
		want    string
	}{
		{
			name:    "text",
			content: message.Content{Text: &message.Text{Body: "مرحبا <Amina> & welcome"}},
			want:    `{"to":["966501234567"],"message":{"type":"text","text":"مرحبا <Amina> & welcome","preview_url":false}}`,
		},
		{
			name:    "text with preview_url",
			content: message.Content{Text: &message.Text{Body: "See https://taqnyat.sa", PreviewURL: true}},
			want:    `{"to":["966501234567"],"message":{"type":"text","text":"See https://taqnyat.sa","preview_url":true}}`,
		},
		{
			name:    "image",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpg", Caption: "Offer", MIME: "image/jpeg", Size: 1000, Filename: "ignored.jpg"}},
			want:    `{"to":["966501234567"],"message":{"type":"image","url":"https://cdn.example/a.jpg","caption":"Offer"}}`,
		},
		{
			name:    "image without caption",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.png"}},
			want:    `{"to":["966501234567"],"message":{"type":"image","url":"https://cdn.example/a.png"}}`,
		},
		{
			name:    "video",
			content: message.Content{Video: &message.Media{URL: "https://cdn.example/v.mp4", Caption: "Clip"}},
			want:    `{"to":["966501234567"],"message":{"type":"video","url":"https://cdn.example/v.mp4","caption":"Clip"}}`,
		},
		{
			name:    "audio",
			content: message.Content{Audio: &message.Media{URL: "https://cdn.example/a.ogg", MIME: "audio/ogg"}},
			want:    `{"to":["966501234567"],"message":{"type":"audio","url":"https://cdn.example/a.ogg"}}`,
		},
		{
			name:    "document",
			content: message.Content{Document: &message.Media{URL: "https://cdn.example/i.pdf", Caption: "Invoice", Filename: "invoice-42.pdf"}},
			want:    `{"to":["966501234567"],"message":{"type":"document","url":"https://cdn.example/i.pdf","caption":"Invoice","filename":"invoice-42.pdf"}}`,
		},
		{
			name:    "sticker",
			content: message.Content{Sticker: &message.Media{URL: "https://cdn.example/s.webp", MIME: "image/webp"}},
			want:    `{"to":["966501234567"],"message":{"type":"sticker","url":"https://cdn.example/s.webp"}}`,
		},
		{
			name:    "location",
			content: message.Content{Location: &message.Location{Latitude: 24.7136, Longitude: 46.6753, Name: "Kingdom Centre", Address: "Olaya, Riyadh"}},
			want:    `{"to":["966501234567"],"message":{"type":"location","lat":24.7136,"lng":46.6753,"name":"Kingdom Centre","address":"Olaya, Riyadh"}}`,
		},
		{
			name:    "location at 0,0 keeps its coordinates",
			content: message.Content{Location: &message.Location{}},
			want:    `{"to":["966501234567"],"message":{"type":"location","lat":0,"lng":0}}`,
		},
		{
			name: "contacts",
			content: message.Content{Contacts: []message.Contact{{
				Name: message.ContactName{FormattedName: "John Smith", FirstName: "John", LastName: "Smith"},
				Phones: []message.ContactPhone{
					{Phone: "+1 (940) 555-1234", Type: "HOME"},
					{Phone: "+1 (650) 555-1234", Type: "WORK", WaID: "16505551234"},
				},
				Emails: []message.ContactEmail{{Email: "john@example.com", Type: "WORK"}},
				Org:    &message.ContactOrg{Company: "Taqnyat", Department: "Sales", Title: "Manager"},
				URLs:   []message.ContactURL{{URL: "https://taqnyat.sa", Type: "WORK"}},
			}}},
			want: `{"to":["966501234567"],"message":{"type":"contacts","contacts":[{
				"name":{"formatted_name":"John Smith","first_name":"John","last_name":"Smith"},
				"phones":[{"phone":"+1 (940) 555-1234","type":"HOME"},{"phone":"+1 (650) 555-1234","type":"WORK","wa_id":"16505551234"}],
				"emails":[{"email":"john@example.com","type":"WORK"}],
				"org":{"company":"Taqnyat","department":"Sales","title":"Manager"},
				"urls":[{"url":"https://taqnyat.sa","type":"WORK"}]}]}}`,
		},
		{
			name: "contacts with only formatted_name gain a first_name",
			content: message.Content{Contacts: []message.Contact{
				{Name: message.ContactName{FormattedName: "Riyadh Office"}},
				{Name: message.ContactName{FormattedName: "Juma", LastName: "Juma"}},
			}},
			want: `{"to":["966501234567"],"message":{"type":"contacts","contacts":[
				{"name":{"formatted_name":"Riyadh Office","first_name":"Riyadh Office"}},
				{"name":{"formatted_name":"Juma","last_name":"Juma"}}]}}`,
		},
		{
			name:    "template without parameters, namespace not sent",
			content: message.Content{Template: &message.Template{Name: "hello_world", Language: "en_US", Namespace: "ns_1"}},
			want:    `{"to":["966501234567"],"message":{"type":"template","template_name":"hello_world","language":"en_US"}}`,
		},
		{
			name:    "template with body parameters",
			content: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "ar", Body: []string{"Amina", "10:30"}}},
			want: `{"to":["966501234567"],"message":{"type":"template","template_name":"appointment_reminder","language":"ar",
				"body_params":["Amina","10:30"]}}`,
		},
		{
			name: "template with a text header and every button kind",
			content: message.Content{Template: &message.Template{
				Name: "order_update", Language: "en",
				Header: &message.TemplateHeader{Text: "Order 42"},
				Body:   []string{"Amina", "SAR 120"},
				Buttons: []message.TemplateButton{
					{SubType: "quick_reply", Index: 1, Param: "STOP-42"},
					{SubType: "url", Index: 0, Param: "orders/42"},
				},
			}},
			want: `{"to":["966501234567"],"message":{"type":"template","template_name":"order_update","language":"en",
				"header_params":["Order 42"],"media":{"type":"text"},"body_params":["Amina","SAR 120"],
				"buttons":[{"type":"url","parameter":"orders/42"},{"type":"quick_reply","payload":"STOP-42"}]}}`,
		},
		{
			name: "template with an image header",
			content: message.Content{Template: &message.Template{
				Name: "promo", Language: "ar",
				Header: &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example/p.jpg"}},
				Body:   []string{"20%"},
			}},
			want: `{"to":["966501234567"],"message":{"type":"template","template_name":"promo","language":"ar",
				"media":{"type":"image","url":"https://cdn.example/p.jpg"},"body_params":["20%"]}}`,
		},
		{
			name: "template with a video header",
			content: message.Content{Template: &message.Template{
				Name: "promo_video", Language: "en",
				Header: &message.TemplateHeader{Video: &message.Media{URL: "https://cdn.example/p.mp4"}},
			}},
			want: `{"to":["966501234567"],"message":{"type":"template","template_name":"promo_video","language":"en",
				"media":{"type":"video","url":"https://cdn.example/p.mp4"}}}`,
		},
		{
			name: "template with a document header and its filename",
			content: message.Content{Template: &message.Template{
				Name: "invoice", Language: "en", Body: []string{"42"},
				Header: &message.TemplateHeader{Document: &message.Media{URL: "https://cdn.example/i.pdf", Filename: "invoice-42.pdf"}},
			}},
			want: `{"to":["966501234567"],"message":{"type":"template","template_name":"invoice","language":"en",
				"media":{"type":"document","url":"https://cdn.example/i.pdf","filename":"invoice-42.pdf"},"body_params":["42"]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			r, err := c.Send(context.Background(), msg(tt.content))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: okID, Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, tt.want, f.Only(t).Body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendTTL: ExpiresAt becomes "ttl", an ISO-8601 duration of the time
// left, rounded down to the second.
func TestSendTTL(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		content message.Content
		left    time.Duration // ExpiresAt - now; 0 means no ExpiresAt
		want    string
	}{
		{"no expiry, no ttl", textMsg, 0,
			`{"to":["966501234567"],"message":{"type":"text","text":"مرحبا","preview_url":false}}`},
		{"7 days", message.Content{Template: &message.Template{Name: "promo", Language: "ar"}}, 7 * 24 * time.Hour,
			`{"to":["966501234567"],"message":{"type":"template","template_name":"promo","language":"ar","ttl":"P7D"}}`},
		{"a day and a half", message.Content{Template: &message.Template{Name: "promo", Language: "ar"}}, 36 * time.Hour,
			`{"to":["966501234567"],"message":{"type":"template","template_name":"promo","language":"ar","ttl":"P1DT12H"}}`},
		{"every part", message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpg"}}, 2*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second,
			`{"to":["966501234567"],"message":{"type":"image","url":"https://cdn.example/a.jpg","ttl":"P2DT3H4M5S"}}`},
		{"seconds rounded down", textMsg, 90*time.Second + 900*time.Millisecond,
			`{"to":["966501234567"],"message":{"type":"text","text":"مرحبا","preview_url":false,"ttl":"PT1M30S"}}`},
		{"one second", textMsg, time.Second,
			`{"to":["966501234567"],"message":{"type":"text","text":"مرحبا","preview_url":false,"ttl":"PT1S"}}`},
		{"hours only", message.Content{Location: &message.Location{Latitude: 1, Longitude: 2}}, 5 * time.Hour,
			`{"to":["966501234567"],"message":{"type":"location","lat":1,"lng":2,"ttl":"PT5H"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			taqnyat.SetNow(c, func() time.Time { return now })
			m := msg(tt.content)
			if tt.left != 0 {
				m.ExpiresAt = now.Add(tt.left)
			}
			if _, err := c.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := providertest.JSONDiff(t, tt.want, f.Only(t).Body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendRefusesAnExpiredMessage(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, left := range []time.Duration{999 * time.Millisecond, 0, -time.Hour} {
		t.Run(left.String(), func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			taqnyat.SetNow(c, func() time.Time { return now })
			m := msg(textMsg)
			m.ExpiresAt = now.Add(left)
			se := sendErr(t, c, m)
			if diff := cmp.Diff(providertest.Outcome{Class: providers.Permanent, Code: "ttl"}, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("an expired message made %d requests", n)
			}
		})
	}
}

func TestSendRequestURLAndHeaders(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/", "/wa/v1", "/wa/v1/"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL + base, Token: "Bearer " + testToken})
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
			wantPath := "/messages/"
			if len(base) > 1 {
				wantPath = "/wa/v1/messages/"
			}
			want := map[string]string{
				"method":        http.MethodPost,
				"path":          wantPath,
				"Authorization": "Bearer " + testToken,
				"Content-Type":  "application/json",
				"Accept":        "application/json",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
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
		{"bad recipient", &message.Message{ID: "x", Account: "a", To: "0501234567", Content: textMsg}},
		{"caption on audio", msg(message.Content{Audio: &message.Media{URL: "https://x.example/a.ogg", Caption: "no"}})},
		{"NaN latitude", msg(message.Content{Location: &message.Location{Latitude: math.NaN()}})},
		{"button index gap", msg(message.Content{Template: &message.Template{Name: "t", Language: "en",
			Buttons: []message.TemplateButton{{SubType: "url", Index: 0, Param: "a"}, {SubType: "quick_reply", Index: 2, Param: "b"}}}})},
		{"button index twice", msg(message.Content{Template: &message.Template{Name: "t", Language: "en",
			Buttons: []message.TemplateButton{{SubType: "quick_reply", Index: 0, Param: "a"}, {SubType: "quick_reply", Index: 0, Param: "b"}}}})},
		{"negative button index", msg(message.Content{Template: &message.Template{Name: "t", Language: "en",
			Buttons: []message.TemplateButton{{SubType: "quick_reply", Index: -1, Param: "a"}}}})},
		{"caption on a template header", msg(message.Content{Template: &message.Template{Name: "t", Language: "en",
			Header: &message.TemplateHeader{Document: &message.Media{URL: "https://x.example/a.pdf", Caption: "no"}}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
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
		cfg     taqnyat.Config
		wantErr bool
	}{
		{"defaults", taqnyat.Config{Token: testToken}, false},
		{"base path", taqnyat.Config{Token: testToken, BaseURL: "http://gw.internal:8080/wa/v1"}, false},
		{"token with its scheme", taqnyat.Config{Token: "Bearer " + testToken}, false},
		{"token with a newline", taqnyat.Config{Token: testToken + "\n"}, false}, // trimmed
		{"no token", taqnyat.Config{BaseURL: taqnyat.DefaultBaseURL}, true},
		{"blank token", taqnyat.Config{Token: "   "}, true},
		{"only the scheme", taqnyat.Config{Token: "Bearer  "}, true},
		{"token with a control character", taqnyat.Config{Token: testToken + "\x00x"}, true},
		{"unparsable BaseURL", taqnyat.Config{Token: testToken, BaseURL: "http://[::1"}, true},
		{"relative BaseURL", taqnyat.Config{Token: testToken, BaseURL: "api.taqnyat.sa/wa/v1"}, true},
		{"ftp BaseURL", taqnyat.Config{Token: testToken, BaseURL: "ftp://api.taqnyat.sa/wa/v1"}, true},
		{"BaseURL with a query", taqnyat.Config{Token: testToken, BaseURL: "https://api.taqnyat.sa/wa/v1/?token=x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := taqnyat.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && containsToken(err.Error()) {
				t.Errorf("New error %q contains the token", err)
			}
		})
	}
}
