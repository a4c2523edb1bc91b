package message_test

import (
	"math"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
)

const (
	imageURL = "https://cdn.example.com/spring.jpg"
	docURL   = "https://cdn.example.com/invoice.pdf"
)

// validContents has one valid Content of every kind.
func validContents() map[message.Kind]message.Content {
	return map[message.Kind]message.Content{
		message.KindText:     {Text: &message.Text{Body: "Habari Amina", PreviewURL: true}},
		message.KindImage:    {Image: &message.Media{URL: imageURL, Caption: "Spring sale", MIME: "image/jpeg", Size: 5 << 20}},
		message.KindVideo:    {Video: &message.Media{URL: "http://cdn.example.com/clip.mp4", Caption: "Watch", MIME: "video/mp4", Size: 16 << 20}},
		message.KindAudio:    {Audio: &message.Media{URL: "https://cdn.example.com/voice.ogg", MIME: "audio/ogg"}},
		message.KindDocument: {Document: &message.Media{URL: docURL, Caption: "Your invoice", Filename: "invoice.pdf", MIME: "application/pdf"}},
		message.KindSticker:  {Sticker: &message.Media{URL: "https://cdn.example.com/smile.webp", MIME: "image/webp", Size: 100 << 10}},
		message.KindLocation: {Location: &message.Location{Latitude: -6.7924, Longitude: 39.2083, Name: "Dar es Salaam"}},
		message.KindContacts: {Contacts: []message.Contact{{
			Name:   message.ContactName{FormattedName: "Amina Juma", FirstName: "Amina"},
			Phones: []message.ContactPhone{{Phone: "+255 712 345 678", WaID: "255712345678"}},
		}}},
		message.KindTemplate: {Template: &message.Template{
			Name:     "spring_sale",
			Language: "sw",
			Header:   &message.TemplateHeader{Image: &message.Media{URL: imageURL}},
			Body:     []string{"Amina", "20%"},
			Buttons:  []message.TemplateButton{{SubType: "url", Index: 0, Param: "spring"}, {SubType: "quick_reply", Index: 1, Param: "STOP"}},
		}},
	}
}

func TestContentKindAndValidateEveryKind(t *testing.T) {
	t.Parallel()
	all := []message.Kind{
		message.KindText, message.KindImage, message.KindVideo, message.KindAudio, message.KindDocument,
		message.KindSticker, message.KindLocation, message.KindContacts, message.KindTemplate,
	}
	contents := validContents()
	for _, k := range all {
		c, ok := contents[k]
		if !ok {
			t.Fatalf("no valid content for kind %s", k)
		}
		if got := c.Kind(); got != k {
			t.Errorf("Kind() = %q, want %q", got, k)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", k, err)
		}
	}
}

func TestContentKindNoneOrSeveral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    message.Content
	}{
		{"none", message.Content{}},
		{"empty contacts slice", message.Content{Contacts: []message.Contact{}}},
		{"text and image", message.Content{Text: &message.Text{Body: "hi"}, Image: &message.Media{URL: imageURL}}},
		{"template and location", message.Content{
			Template: &message.Template{Name: "t", Language: "en"},
			Location: &message.Location{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if k := tt.c.Kind(); k != "" {
				t.Errorf("Kind() = %q, want \"\"", k)
			}
			err := tt.c.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			if !strings.Contains(err.Error(), "exactly one") {
				t.Errorf("Validate() = %q, want it to say exactly one kind", err)
			}
		})
	}
}

func TestContentValidate(t *testing.T) {
	t.Parallel()
	media := func(m message.Media) *message.Media { return &m }
	tmpl := func(edit func(*message.Template)) message.Content {
		t := &message.Template{Name: "order_update", Language: "en_US", Body: []string{"Amina"}}
		edit(t)
		return message.Content{Template: t}
	}
	const euro = "€" // 3 bytes, 1 character: proves limits count characters
	tests := []struct {
		name    string
		c       message.Content
		wantErr string // "" means valid; otherwise a piece of the error text
	}{
		// text
		{"text empty", message.Content{Text: &message.Text{}}, "text: body is empty"},
		{"text blank", message.Content{Text: &message.Text{Body: " \n\t "}}, "text: body is empty"},
		{"text at limit in multi-byte characters", message.Content{Text: &message.Text{Body: strings.Repeat(euro, message.MaxTextLen)}}, ""},
		{"text over limit", message.Content{Text: &message.Text{Body: strings.Repeat(euro, message.MaxTextLen+1)}}, "text: body is 4097 characters"},

		// media URL
		{"image ftp URL", message.Content{Image: media(message.Media{URL: "ftp://cdn.example.com/a.jpg"})}, "image: url"},
		{"image relative URL", message.Content{Image: media(message.Media{URL: "/media/a.jpg"})}, "image: url"},
		{"image URL without host", message.Content{Image: media(message.Media{URL: "https:///a.jpg"})}, "image: url"},
		{"image unparsable URL", message.Content{Image: media(message.Media{URL: "https://cdn.example.com/%zz"})}, "image: url"},
		{"image empty URL", message.Content{Image: media(message.Media{})}, "image: url"},
		{"document no scheme", message.Content{Document: media(message.Media{URL: "cdn.example.com/a.pdf"})}, "document: url"},

		// captions
		{"audio caption", message.Content{Audio: media(message.Media{URL: imageURL, Caption: "listen"})}, "audio messages carry no caption"},
		{"sticker caption", message.Content{Sticker: media(message.Media{URL: imageURL, Caption: "hi"})}, "sticker messages carry no caption"},
		{"caption at limit in multi-byte characters", message.Content{Image: media(message.Media{URL: imageURL, Caption: strings.Repeat(euro, message.MaxCaptionLen)})}, ""},
		{"caption over limit", message.Content{Image: media(message.Media{URL: imageURL, Caption: strings.Repeat("a", message.MaxCaptionLen+1)})}, "image: caption is 1025 characters"},
		{"video caption over limit", message.Content{Video: media(message.Media{URL: imageURL, Caption: strings.Repeat(euro, message.MaxCaptionLen+1)})}, "video: caption"},

		// MIME
		{"image/gif not an image kind", message.Content{Image: media(message.Media{URL: imageURL, MIME: "image/gif"})}, `image: content type "image/gif"`},
		{"image/webp is for stickers", message.Content{Image: media(message.Media{URL: imageURL, MIME: "image/webp"})}, "content type"},
		{"video/mp4 as audio", message.Content{Audio: media(message.Media{URL: imageURL, MIME: "video/mp4"})}, "audio: content type"},
		{"MIME with parameters", message.Content{Image: media(message.Media{URL: imageURL, MIME: "image/jpeg; charset=binary"})}, ""},
		{"MIME in capitals", message.Content{Image: media(message.Media{URL: imageURL, MIME: "Image/PNG"})}, ""},
		{"image MIME as document", message.Content{Document: media(message.Media{URL: docURL, MIME: "image/png"})}, ""},
		{"zip as document", message.Content{Document: media(message.Media{URL: docURL, MIME: "application/zip"})}, "document: content type"},

		// size
		{"image at size limit", message.Content{Image: media(message.Media{URL: imageURL, Size: 5 << 20})}, ""},
		{"image over size limit", message.Content{Image: media(message.Media{URL: imageURL, Size: 5<<20 + 1})}, "image: size 5242881 bytes"},
		{"sticker over size limit", message.Content{Sticker: media(message.Media{URL: imageURL, Size: 100<<10 + 1})}, "sticker: size 102401 bytes"},
		{"document over size limit", message.Content{Document: media(message.Media{URL: docURL, Size: 100<<20 + 1})}, "document: size"},
		{"negative size", message.Content{Video: media(message.Media{URL: imageURL, Size: -1})}, "video: size -1"},

		// location
		{"location at the edges", message.Content{Location: &message.Location{Latitude: -90, Longitude: 180}}, ""},
		{"latitude 91", message.Content{Location: &message.Location{Latitude: 91}}, "latitude 91"},
		{"latitude -90.5", message.Content{Location: &message.Location{Latitude: -90.5}}, "latitude"},
		{"longitude -181", message.Content{Location: &message.Location{Longitude: -181}}, "longitude -181"},
		{"latitude NaN", message.Content{Location: &message.Location{Latitude: math.NaN()}}, "location: latitude and longitude must be numbers"},
		{"longitude +Inf", message.Content{Location: &message.Location{Longitude: math.Inf(1)}}, "location: latitude and longitude must be numbers"},
		{"latitude -Inf", message.Content{Location: &message.Location{Latitude: math.Inf(-1)}}, "must be numbers"},

		// contacts
		{"contact without formatted name", message.Content{Contacts: []message.Contact{{Name: message.ContactName{FirstName: "Amina"}}}}, "contacts[0]: name.formatted_name"},
		{"second contact blank formatted name", message.Content{Contacts: []message.Contact{
			{Name: message.ContactName{FormattedName: "Amina"}},
			{Name: message.ContactName{FormattedName: "  "}},
		}}, "contacts[1]: name.formatted_name"},

		// templates
		{"template minimal", message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}}, ""},
		{"template without name", tmpl(func(t *message.Template) { t.Name = "" }), "template: name is required"},
		{"template blank name", tmpl(func(t *message.Template) { t.Name = "  " }), "template: name is required"},
		{"template name over limit", tmpl(func(t *message.Template) { t.Name = strings.Repeat("a", message.MaxTemplateNameLen+1) }), "template: name is 513"},
		{"template without language", tmpl(func(t *message.Template) { t.Language = "" }), "template: language is required"},
		{"template utility category", tmpl(func(t *message.Template) { t.Category = "utility" }), ""},
		{"template category in capitals", tmpl(func(t *message.Template) { t.Category = "AUTHENTICATION" }), ""},
		{"template unknown category", tmpl(func(t *message.Template) { t.Category = "service" }), `template: category "service" is none of marketing, utility, authentication`},
		{"template empty body parameter", tmpl(func(t *message.Template) { t.Body = []string{"Amina", " "} }), "template: body parameter 2 is empty"},
		{"template parameter at limit", tmpl(func(t *message.Template) { t.Body = []string{strings.Repeat(euro, message.MaxTemplateParam)} }), ""},
		{"template parameter over limit", tmpl(func(t *message.Template) { t.Body = []string{strings.Repeat(euro, message.MaxTemplateParam+1)} }), "template: body parameter 1 is 1025 characters"},
		{"template text header", tmpl(func(t *message.Template) { t.Header = &message.TemplateHeader{Text: "Order 42"} }), ""},
		{"template document header", tmpl(func(t *message.Template) {
			t.Header = &message.TemplateHeader{Document: &message.Media{URL: docURL, Filename: "invoice.pdf"}}
		}), ""},
		{"template empty header", tmpl(func(t *message.Template) { t.Header = &message.TemplateHeader{} }), "template: header must set exactly one"},
		{"template header with two media", tmpl(func(t *message.Template) {
			t.Header = &message.TemplateHeader{Image: &message.Media{URL: imageURL}, Video: &message.Media{URL: imageURL}}
		}), "template: header must set exactly one"},
		{"template header with text and media", tmpl(func(t *message.Template) {
			t.Header = &message.TemplateHeader{Text: "Order 42", Document: &message.Media{URL: docURL}}
		}), "template: header must set exactly one"},
		{"template header invalid media URL", tmpl(func(t *message.Template) {
			t.Header = &message.TemplateHeader{Image: &message.Media{URL: "file:///etc/passwd"}}
		}), "template: header image: url"},
		{"template header media MIME", tmpl(func(t *message.Template) {
			t.Header = &message.TemplateHeader{Video: &message.Media{URL: imageURL, MIME: "image/png"}}
		}), "template: header video: content type"},
		{"template button bad sub_type", tmpl(func(t *message.Template) {
			t.Buttons = []message.TemplateButton{{SubType: "call", Param: "x"}}
		}), `template: button 0: sub_type must be url or quick_reply, not "call"`},
		{"template button empty param", tmpl(func(t *message.Template) {
			t.Buttons = []message.TemplateButton{{SubType: "url", Param: "ok"}, {SubType: "quick_reply", Index: 1}}
		}), "template: button 1: param is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.Validate()
			checkValidateErr(t, err, tt.wantErr)
		})
	}
}

func TestContentFreeForm(t *testing.T) {
	t.Parallel()
	for k, c := range validContents() {
		want := k != message.KindTemplate
		if got := c.FreeForm(); got != want {
			t.Errorf("%s: FreeForm() = %v, want %v", k, got, want)
		}
	}
}

func TestContentMediaOf(t *testing.T) {
	t.Parallel()
	contents := validContents()
	want := map[message.Kind]*message.Media{
		message.KindImage:    contents[message.KindImage].Image,
		message.KindVideo:    contents[message.KindVideo].Video,
		message.KindAudio:    contents[message.KindAudio].Audio,
		message.KindDocument: contents[message.KindDocument].Document,
		message.KindSticker:  contents[message.KindSticker].Sticker,
	}
	for k, c := range contents {
		if got := c.MediaOf(); got != want[k] { // the same pointer, or nil for non-media kinds
			t.Errorf("%s: MediaOf() = %p, want %p", k, got, want[k])
		}
	}
	several := message.Content{Image: &message.Media{URL: imageURL}, Video: &message.Media{URL: imageURL}}
	if got := several.MediaOf(); got != nil {
		t.Errorf("MediaOf() with two media set = %+v, want nil", got)
	}
}

// A template counts as marketing unless it declares another category.
func TestTemplateMarketing(t *testing.T) {
	t.Parallel()
	for category, want := range map[string]bool{
		"": true, "marketing": true, " MARKETING ": true,
		"utility": false, "Utility": false, "authentication": false,
	} {
		tm := message.Template{Name: "n", Language: "en", Category: category}
		if got := tm.Marketing(); got != want {
			t.Errorf("Template{Category: %q}.Marketing() = %v, want %v", category, got, want)
		}
	}
}
