package meta_test

import (
	"context"
	"math"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendRequestBody(t *testing.T) {
	t.Parallel()
	const head = `"messaging_product":"whatsapp","recipient_type":"individual","to":"255712345678"`
	tests := []struct {
		name    string
		content message.Content
		want    string
	}{
		{
			name:    "text",
			content: message.Content{Text: &message.Text{Body: "Habari <Amina> & karibu"}},
			want:    `{` + head + `,"type":"text","text":{"body":"Habari <Amina> & karibu"}}`,
		},
		{
			name:    "text with preview_url, inside text as the Cloud API has it",
			content: message.Content{Text: &message.Text{Body: "See https://duka.example", PreviewURL: true}},
			want:    `{` + head + `,"type":"text","text":{"preview_url":true,"body":"See https://duka.example"}}`,
		},
		{
			name:    "image",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.jpg", Caption: "Offer", MIME: "image/jpeg", Size: 1000, Filename: "ignored.jpg"}},
			want:    `{` + head + `,"type":"image","image":{"link":"https://cdn.example/a.jpg","caption":"Offer"}}`,
		},
		{
			name:    "image without caption",
			content: message.Content{Image: &message.Media{URL: "https://cdn.example/a.png"}},
			want:    `{` + head + `,"type":"image","image":{"link":"https://cdn.example/a.png"}}`,
		},
		{
			name:    "video",
			content: message.Content{Video: &message.Media{URL: "https://cdn.example/v.mp4", Caption: "Clip"}},
			want:    `{` + head + `,"type":"video","video":{"link":"https://cdn.example/v.mp4","caption":"Clip"}}`,
		},
		{
			name:    "audio",
			content: message.Content{Audio: &message.Media{URL: "https://cdn.example/a.ogg", MIME: "audio/ogg"}},
			want:    `{` + head + `,"type":"audio","audio":{"link":"https://cdn.example/a.ogg"}}`,
		},
		{
			name:    "document",
			content: message.Content{Document: &message.Media{URL: "https://cdn.example/i.pdf", Caption: "Invoice", Filename: "invoice-42.pdf"}},
			want:    `{` + head + `,"type":"document","document":{"link":"https://cdn.example/i.pdf","caption":"Invoice","filename":"invoice-42.pdf"}}`,
		},
		{
			name:    "sticker",
			content: message.Content{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}},
			want:    `{` + head + `,"type":"sticker","sticker":{"link":"https://cdn.example/s.webp"}}`,
		},
		{
			name:    "location",
			content: message.Content{Location: &message.Location{Latitude: -6.7924, Longitude: 39.2083, Name: "Kariakoo", Address: "Dar es Salaam"}},
			want:    `{` + head + `,"type":"location","location":{"latitude":-6.7924,"longitude":39.2083,"name":"Kariakoo","address":"Dar es Salaam"}}`,
		},
		{
			name:    "location at 0,0 keeps its coordinates",
			content: message.Content{Location: &message.Location{}},
			want:    `{` + head + `,"type":"location","location":{"latitude":0,"longitude":0}}`,
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
				Org:    &message.ContactOrg{Company: "Duka", Department: "Sales", Title: "Lead"},
				URLs:   []message.ContactURL{{URL: "https://duka.example", Type: "WORK"}},
			}}},
			want: `{` + head + `,"type":"contacts","contacts":[{
				"name":{"formatted_name":"Amina Juma","first_name":"Amina","last_name":"Juma"},
				"phones":[{"phone":"+1 (940) 555-1234","type":"HOME"},{"phone":"+1 (650) 555-1234","type":"WORK","wa_id":"16505551234"}],
				"emails":[{"email":"amina@example.com","type":"WORK"}],
				"org":{"company":"Duka","department":"Sales","title":"Lead"},
				"urls":[{"url":"https://duka.example","type":"WORK"}]}]}`,
		},
		{
			name: "contacts with only formatted_name gain a first_name",
			content: message.Content{Contacts: []message.Contact{
				{Name: message.ContactName{FormattedName: "Duka la Mama"}},
				{Name: message.ContactName{FormattedName: "Juma", LastName: "Juma"}},
			}},
			want: `{` + head + `,"type":"contacts","contacts":[
				{"name":{"formatted_name":"Duka la Mama","first_name":"Duka la Mama"}},
				{"name":{"formatted_name":"Juma","last_name":"Juma"}}]}`,
		},
		{
			name: "template with every component; the namespace is not sent",
			content: message.Content{Template: &message.Template{
				Name: "order_update", Language: "sw", Namespace: "on_prem_ns",
				Header: &message.TemplateHeader{Text: "Order 42"},
				Body:   []string{"Amina", "Tsh 12,000"},
				Buttons: []message.TemplateButton{
					{SubType: "url", Index: 0, Param: "orders/42"},
					{SubType: "quick_reply", Index: 1, Param: "STOP-42"},
				},
			}},
			want: `{` + head + `,"type":"template","template":{
				"name":"order_update","language":{"code":"sw"},
				"components":[
					{"type":"header","parameters":[{"type":"text","text":"Order 42"}]},
					{"type":"body","parameters":[{"type":"text","text":"Amina"},{"type":"text","text":"Tsh 12,000"}]},
					{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"orders/42"}]},
					{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP-42"}]}]}}`,
		},
		{
			name: "template image header",
			content: message.Content{Template: &message.Template{
				Name: "promo", Language: "en_US",
				Header: &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example/p.jpg"}},
			}},
			want: `{` + head + `,"type":"template","template":{"name":"promo","language":{"code":"en_US"},
				"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://cdn.example/p.jpg"}}]}]}}`,
		},
		{
			name: "template video header",
			content: message.Content{Template: &message.Template{
				Name: "promo_video", Language: "en",
				Header: &message.TemplateHeader{Video: &message.Media{URL: "https://cdn.example/p.mp4"}},
			}},
			want: `{` + head + `,"type":"template","template":{"name":"promo_video","language":{"code":"en"},
				"components":[{"type":"header","parameters":[{"type":"video","video":{"link":"https://cdn.example/p.mp4"}}]}]}}`,
		},
		{
			name: "template document header with filename",
			content: message.Content{Template: &message.Template{
				Name: "invoice", Language: "en", Body: []string{"42"},
				Header: &message.TemplateHeader{Document: &message.Media{URL: "https://cdn.example/i.pdf", Filename: "invoice-42.pdf"}},
			}},
			want: `{` + head + `,"type":"template","template":{"name":"invoice","language":{"code":"en"},
				"components":[
					{"type":"header","parameters":[{"type":"document","document":{"link":"https://cdn.example/i.pdf","filename":"invoice-42.pdf"}}]},
					{"type":"body","parameters":[{"type":"text","text":"42"}]}]}}`,
		},
		{
			name:    "template without parameters",
			content: message.Content{Template: &message.Template{Name: "hello_world", Language: "en_US"}},
			want:    `{` + head + `,"type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := clientFor(t, f)
			r, err := c.Send(context.Background(), msg(tt.content))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: testWamid, Status: message.Accepted}, r); diff != "" {
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
	for _, base := range []string{"/v21.0", "/v21.0/", "/proxy/graph/v21.0"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			c := newClient(t, meta.Config{BaseURL: f.URL + base})
			if _, err := c.Send(context.Background(), msg(message.Content{Text: &message.Text{Body: "hi"}})); err != nil {
				t.Fatalf("Send: %v", err)
			}
			req := f.Only(t)
			got := map[string]string{
				"method":        req.Method,
				"path":          req.Path,
				"Authorization": req.Header.Get("Authorization"),
				"Content-Type":  req.Header.Get("Content-Type"),
				"Accept":        req.Header.Get("Accept"),
				"query":         "",
			}
			want := map[string]string{
				"method":        http.MethodPost,
				"path":          stripSlash(base) + "/" + testPhoneID + "/messages",
				"Authorization": "Bearer " + testToken,
				"Content-Type":  "application/json",
				"Accept":        "application/json",
				"query":         "",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func stripSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
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
		{"caption on a sticker", msg(message.Content{Sticker: &message.Media{URL: "https://x.example/s.webp", Caption: "no"}})},
		{"image of the wrong type", msg(message.Content{Image: &message.Media{URL: "https://x.example/a.gif", MIME: "image/gif"}})},
		{"template without language", msg(message.Content{Template: &message.Template{Name: "promo"}})},
		{"NaN latitude", msg(message.Content{Location: &message.Location{Latitude: math.NaN()}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, okBody))
			se := sendErr(t, clientFor(t, f), tt.m)
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
		cfg     meta.Config
		wantErr bool
	}{
		{"defaults", meta.Config{Token: testToken, PhoneNumberID: testPhoneID}, false},
		{"with app secret and base path", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, AppSecret: testSecret, BaseURL: "http://graph.internal:8080/v21.0/"}, false},
		{"token with a trailing newline", meta.Config{Token: testToken + "\n", PhoneNumberID: testPhoneID}, false}, // trimmed
		{"no token", meta.Config{PhoneNumberID: testPhoneID}, true},
		{"blank token", meta.Config{Token: "  ", PhoneNumberID: testPhoneID}, true},
		{"token with a control character", meta.Config{Token: testToken + "\x00x", PhoneNumberID: testPhoneID}, true},
		{"no phone number id", meta.Config{Token: testToken}, true},
		{"phone number id with a slash", meta.Config{Token: testToken, PhoneNumberID: "1065/messages"}, true},
		{"phone number id with a space", meta.Config{Token: testToken, PhoneNumberID: "+1 555 078 3881"}, true},
		{"unparsable BaseURL", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, BaseURL: "http://[::1"}, true},
		{"unparsable BaseURL with a token", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, BaseURL: "http://[::1/?access_token=" + testToken}, true},
		{"relative BaseURL", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, BaseURL: "graph.facebook.com/v21.0"}, true},
		{"ftp BaseURL", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, BaseURL: "ftp://graph.facebook.com"}, true},
		{"BaseURL with a query", meta.Config{Token: testToken, PhoneNumberID: testPhoneID, BaseURL: "https://graph.facebook.com/v21.0?access_token=" + testToken}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := meta.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && containsSecret(err.Error()) {
				t.Errorf("New error %q contains a secret", err)
			}
		})
	}
}
