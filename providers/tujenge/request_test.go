package tujenge_test

import (
	"context"
	"math"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		namespace string // Config.Namespace
		content   message.Content
		want      string
	}{
		{
			name:    "text",
			content: message.Content{Text: &message.Text{Body: "Habari <Amina> & karibu"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"text",
				"text":{"body":"Habari <Amina> & karibu"}}`,
		},
		{
			name:    "text with preview_url, top-level as the on-premises API has it",
			content: message.Content{Text: &message.Text{Body: "See https://tujenge.io", PreviewURL: true}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"text","preview_url":true,
				"text":{"body":"See https://tujenge.io"}}`,
		},
		{
			name:    "image",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpg", Caption: "Offer", MIME: "image/jpeg", Size: 1000, Filename: "ignored.jpg"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"image",
				"image":{"link":"https://cdn.example/a.jpg","caption":"Offer"}}`,
		},
		{
			name:    "image without caption",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.png"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"image",
				"image":{"link":"https://cdn.example/a.png"}}`,
		},
		{
			name:    "video",
			content: message.Content{Video: &message.Media{URL: "https://cdn.example/v.mp4", Caption: "Clip"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"video",
				"video":{"link":"https://cdn.example/v.mp4","caption":"Clip"}}`,
		},
		{
			name:    "audio",
			content: message.Content{Audio: &message.Media{URL: "https://cdn.example/a.ogg", MIME: "audio/ogg"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"audio",
				"audio":{"link":"https://cdn.example/a.ogg"}}`,
		},
		{
			name:    "document",
			content: message.Content{Document: &message.Media{URL: "https://cdn.example/i.pdf", Caption: "Invoice", Filename: "invoice-42.pdf"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"document",
				"document":{"link":"https://cdn.example/i.pdf","caption":"Invoice","filename":"invoice-42.pdf"}}`,
		},
		{
			name:    "sticker",
			content: message.Content{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"sticker",
				"sticker":{"link":"https://cdn.example/s.webp"}}`,
		},
		{
			name:    "location",
			content: message.Content{Location: &message.Location{Latitude: -6.7924, Longitude: 39.2083, Name: "Kariakoo", Address: "Dar es Salaam"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"location",
				"location":{"latitude":-6.7924,"longitude":39.2083,"name":"Kariakoo","address":"Dar es Salaam"}}`,
		},
		{
			name:    "location at 0,0 keeps its coordinates",
			content: message.Content{Location: &message.Location{}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"location",
				"location":{"latitude":0,"longitude":0}}`,
		},
		{
			name: "contacts",
			content: message.Content{Contacts: []message.Contact{{
				Name: message.ContactName{FormattedName: "Amina Juma", FirstName: "Amina", LastName: "Juma"},
				Phones: []message.ContactPhone{
					{Phone: "+1 (940) 555-1234", Type: "HOME"},
					{Phone: "+1 (650) 555-1234", Type: "WORK", WaID: "16505551234"},
				},
				Emails: []message.ContactEmail{{Email: "amina@example.com", Type: "WORK"}},
				Org:    &message.ContactOrg{Company: "Tujenge", Department: "Sales", Title: "Lead"},
				URLs:   []message.ContactURL{{URL: "https://tujenge.io", Type: "WORK"}},
			}}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"contacts","contacts":[{
				"name":{"formatted_name":"Amina Juma","first_name":"Amina","last_name":"Juma"},
				"phones":[{"phone":"+1 (940) 555-1234","type":"HOME"},{"phone":"+1 (650) 555-1234","type":"WORK","wa_id":"16505551234"}],
				"emails":[{"email":"amina@example.com","type":"WORK"}],
				"org":{"company":"Tujenge","department":"Sales","title":"Lead"},
				"urls":[{"url":"https://tujenge.io","type":"WORK"}]}]}`,
		},
		{
			name: "contacts with only formatted_name gain a first_name",
			content: message.Content{Contacts: []message.Contact{
				{Name: message.ContactName{FormattedName: "Duka la Mama"}},
				{Name: message.ContactName{FormattedName: "Juma", LastName: "Juma"}},
			}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"contacts","contacts":[
				{"name":{"formatted_name":"Duka la Mama","first_name":"Duka la Mama"}},
				{"name":{"formatted_name":"Juma","last_name":"Juma"}}]}`,
		},
		{
			name:      "template with every component, namespace from config",
			namespace: "cfg_ns",
			content: message.Content{Template: &message.Template{
				Name: "order_update", Language: "sw",
				Header: &message.TemplateHeader{Text: "Order 42"},
				Body:   []string{"Amina", "Tsh 12,000"},
				Buttons: []message.TemplateButton{
					{SubType: "url", Index: 0, Param: "orders/42"},
					{SubType: "quick_reply", Index: 1, Param: "STOP-42"},
				},
			}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"template","template":{
				"namespace":"cfg_ns","name":"order_update","language":{"policy":"deterministic","code":"sw"},
				"components":[
					{"type":"header","parameters":[{"type":"text","text":"Order 42"}]},
					{"type":"body","parameters":[{"type":"text","text":"Amina"},{"type":"text","text":"Tsh 12,000"}]},
					{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"orders/42"}]},
					{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP-42"}]}]}}`,
		},
		{
			name:      "template image header, message namespace wins",
			namespace: "cfg_ns",
			content: message.Content{Template: &message.Template{
				Name: "promo", Language: "en_US", Namespace: "msg_ns",
				Header: &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example/p.jpg"}},
			}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"template","template":{
				"namespace":"msg_ns","name":"promo","language":{"policy":"deterministic","code":"en_US"},
				"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://cdn.example/p.jpg"}}]}]}}`,
		},
		{
			name: "template video header",
			content: message.Content{Template: &message.Template{
				Name: "promo_video", Language: "en",
				Header: &message.TemplateHeader{Video: &message.Media{URL: "https://cdn.example/p.mp4"}},
			}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"template","template":{
				"name":"promo_video","language":{"policy":"deterministic","code":"en"},
				"components":[{"type":"header","parameters":[{"type":"video","video":{"link":"https://cdn.example/p.mp4"}}]}]}}`,
		},
		{
			name: "template document header with filename",
			content: message.Content{Template: &message.Template{
				Name: "invoice", Language: "en", Body: []string{"42"},
				Header: &message.TemplateHeader{Document: &message.Media{URL: "https://cdn.example/i.pdf", Filename: "invoice-42.pdf"}},
			}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"template","template":{
				"name":"invoice","language":{"policy":"deterministic","code":"en"},
				"components":[
					{"type":"header","parameters":[{"type":"document","document":{"link":"https://cdn.example/i.pdf","filename":"invoice-42.pdf"}}]},
					{"type":"body","parameters":[{"type":"text","text":"42"}]}]}}`,
		},
		{
			name:    "template without parameters or namespace",
			content: message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}},
			want: `{"recipient_type":"individual","to":"255712345678","type":"template","template":{
				"name":"hello_world","language":{"policy":"deterministic","code":"en"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, tujenge.Config{BaseURL: f.URL, Namespace: tt.namespace})
			r, err := c.Send(context.Background(), msg(tt.content))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Accepted}, r); diff != "" {
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
	for _, base := range []string{"/tenant-7/wa", "/tenant-7/wa/", "/tenant-7/wa/v1", "/tenant-7/wa/v1/"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusCreated, okBody))
			c := newClient(t, tujenge.Config{BaseURL: f.URL + base})
			if _, err := c.Send(context.Background(), msg(message.Content{Text: &message.Text{Body: "hi"}})); err != nil {
				t.Fatalf("Send: %v", err)
			}
			req := f.Only(t)
			got := map[string]string{
				"method":       req.Method,
				"path":         req.Path,
				"WA-API-KEY":   req.Header.Get("WA-API-KEY"),
				"Content-Type": req.Header.Get("Content-Type"),
				"Accept":       req.Header.Get("Accept"),
			}
			want := map[string]string{
				"method":       http.MethodPost,
				"path":         "/tenant-7/wa/v1/messages",
				"WA-API-KEY":   testKey,
				"Content-Type": "application/json",
				"Accept":       "application/json",
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
		{"bad recipient", &message.Message{ID: "x", Account: "a", To: "0712345678", Content: message.Content{Text: &message.Text{Body: "a"}}}},
		{"caption on audio", msg(message.Content{Audio: &message.Media{URL: "https://x.example/a.ogg", Caption: "no"}})},
		{"NaN latitude", msg(message.Content{Location: &message.Location{Latitude: math.NaN()}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
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
		cfg     tujenge.Config
		wantErr bool
	}{
		{"defaults", tujenge.Config{APIKey: testKey}, false},
		{"base path", tujenge.Config{APIKey: testKey, BaseURL: "http://gw.internal:8080/wa/"}, false},
		{"no key", tujenge.Config{BaseURL: "https://waba.tujenge.io"}, true},
		{"blank key", tujenge.Config{APIKey: "   "}, true},
		{"key with a newline", tujenge.Config{APIKey: testKey + "\n"}, false}, // trimmed
		{"key with a control character", tujenge.Config{APIKey: testKey + "\x00x"}, true},
		{"unparsable BaseURL", tujenge.Config{APIKey: testKey, BaseURL: "http://[::1"}, true},
		{"relative BaseURL", tujenge.Config{APIKey: testKey, BaseURL: "waba.tujenge.io"}, true},
		{"ftp BaseURL", tujenge.Config{APIKey: testKey, BaseURL: "ftp://waba.tujenge.io"}, true},
		{"BaseURL with a query", tujenge.Config{APIKey: testKey, BaseURL: "https://waba.tujenge.io/?key=x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tujenge.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && containsKey(err.Error()) {
				t.Errorf("New error %q contains the API key", err)
			}
		})
	}
}
