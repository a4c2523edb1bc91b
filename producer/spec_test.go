package producer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
)

const head = "id: c1\naccount: tujenge-main\n"

func TestParseSpecReadsEveryContentKind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, yaml string
		want       message.Content
	}{
		{"text", `
message:
  text:
    body: "Hi {{name}} 👋"
    preview_url: true
`, message.Content{Text: &message.Text{Body: "Hi {{name}} 👋", PreviewURL: true}}},
		{"image", `
message:
  image:
    url: https://cdn.example.com/{{file}}.jpg
    caption: For {{name}}
    mime: image/jpeg
    size: 204800
`, message.Content{Image: &message.Media{URL: "https://cdn.example.com/{{file}}.jpg", Caption: "For {{name}}", MIME: "image/jpeg", Size: 204800}}},
		{"document", `
message:
  document: {url: "https://cdn.example.com/terms.pdf", filename: terms.pdf}
`, message.Content{Document: &message.Media{URL: "https://cdn.example.com/terms.pdf", Filename: "terms.pdf"}}},
		{"template with body params, header and button", `
message:
  template:
    name: spring_sale
    language: en_US
    header: {image: {url: "https://cdn.example.com/sale.png"}}
    body: ["{{name}}", "{{ discount }}%"]
    buttons:
      - {sub_type: url, index: 0, param: "{{code}}"}
`, message.Content{Template: &message.Template{
			Name: "spring_sale", Language: "en_US",
			Header:  &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example.com/sale.png"}},
			Body:    []string{"{{name}}", "{{ discount }}%"},
			Buttons: []message.TemplateButton{{SubType: "url", Index: 0, Param: "{{code}}"}},
		}}},
		{"location", `
message:
  location: {latitude: -6.7924, longitude: 39.2083, name: Kariakoo, address: "Dar es Salaam"}
`, message.Content{Location: &message.Location{Latitude: -6.7924, Longitude: 39.2083, Name: "Kariakoo", Address: "Dar es Salaam"}}},
		{"contacts", `
message:
  contacts:
    - name: {formatted_name: Support Desk, first_name: Support}
      phones: [{phone: "+255 712 345 678", type: WORK, wa_id: "255712345678"}]
      emails: [{email: help@example.com}]
      org: {company: Example Ltd}
`, message.Content{Contacts: []message.Contact{{
			Name:   message.ContactName{FormattedName: "Support Desk", FirstName: "Support"},
			Phones: []message.ContactPhone{{Phone: "+255 712 345 678", Type: "WORK", WaID: "255712345678"}},
			Emails: []message.ContactEmail{{Email: "help@example.com"}},
			Org:    &message.ContactOrg{Company: "Example Ltd"},
		}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := producer.ParseSpec([]byte(head + c.yaml))
			must(t, err)
			if diff := cmp.Diff(c.want, s.Message); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSpecReadsTheOtherFields(t *testing.T) {
	t.Parallel()
	s, err := producer.ParseSpec([]byte(head + `
sender: "+255 700 000 001"
ttl: 2d12h
send_at: 2026-11-21T09:00:00+03:00
priority: low
default_region: tz
message: {text: {body: hello}}
`))
	must(t, err)
	want := &producer.Spec{
		ID: "c1", Account: "tujenge-main", Sender: "+255 700 000 001",
		TTL:      producer.Duration(60 * time.Hour),
		SendAt:   time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC),
		Priority: "low", DefaultRegion: "tz",
		Message: message.Content{Text: &message.Text{Body: "hello"}},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestParseSpecNamesEveryProblem(t *testing.T) {
	t.Parallel()
	text := "message: {text: {body: hi}}\n"
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"unknown top-level field", head + "colour: blue\n" + text, `line 3: unknown field "colour"`},
		{"unknown nested field", head + "message:\n  text:\n    body: hi\n    bold: true\n", `line 6: unknown field "bold"`},
		{"bad duration", head + "ttl: soon\n" + text, `line 3: bad duration "soon": want a Go duration such as 24h, 90m or 1h30m, or days such as 2d`},
		{"zero duration", head + "ttl: 0\n" + text, `line 3: duration "0" must be greater than zero`},
		{"negative duration", head + "ttl: -1h\n" + text, `line 3: duration "-1h" must be greater than zero`},
		{"duration as a map", head + "ttl: {hours: 1}\n" + text, `line 3: want a duration such as 24h or 2d`},
		{"bad send_at", head + "send_at: tomorrow morning\n" + text, `line 3: send_at "tomorrow morning" is not an RFC 3339 time (e.g. 2026-11-21T09:00:00+03:00)`},
		{"not YAML", "id: [c1\n", "spec is not valid YAML: yaml: line 1: did not find expected ',' or ']'"},
		{"empty", "", "spec is empty"},
		{"two documents", head + text + "---\n" + head + text, "spec holds more than one YAML document"},
		{"no id, no account", text, "invalid spec: id is required; account is required"},
		{"bad id", "id: spring sale\naccount: a\n" + text, `invalid spec: id "spring sale" must be 1–64 letters, digits, '.', '_' or '-'`},
		{"bad sender", head + "sender: \"0712345678\"\n" + text,
			`invalid spec: sender: "0712345678": number has no country code and no default region is set (write it in international form, e.g. +255712345678)`},
		{"bad priority", head + "priority: urgent\n" + text, `invalid spec: priority "urgent": want high, normal or low`},
		{"bad region", head + "default_region: XX\n" + text, `invalid spec: default_region: "XX" is not a known ISO 3166 region code (e.g. TZ, KE, SA)`},
		{"no content", head, "invalid spec: message: content must set exactly one of text, image, video, audio, document, sticker, location, contacts, template"},
		{"two kinds", head + "message:\n  text: {body: hi}\n  location: {latitude: 1, longitude: 2}\n",
			"invalid spec: message: content must set exactly one of text, image, video, audio, document, sticker, location, contacts, template"},
		{"templated link without scheme", head + "message: {image: {url: \"{{link}}\"}}\n",
			`invalid spec: message: image: url "{{link}}" must start with http:// or https:// before any placeholder`},
		{"templated header link without scheme", head + "message: {template: {name: t, language: en, header: {document: {url: \"cdn/{{f}}\"}}}}\n",
			`invalid spec: message: template: header document: url "cdn/{{f}}" must start with http:// or https:// before any placeholder`},
		{"bad literal link", head + "message: {video: {url: \"ftp://x/{{f}}.mp4\"}}\n",
			`invalid spec: message: video: url "ftp://x/{{f}}.mp4" must start with http:// or https:// before any placeholder`},
		{"empty placeholder", head + "message: {text: {body: \"hi {{ }}\"}}\n",
			"invalid spec: message: empty placeholder {{ }}: write {{column}} with a column name"},
		{"template without language", head + "message: {template: {name: t, body: [\"{{name}}\"]}}\n",
			"invalid spec: message: template: language is required (e.g. en, en_US)"},
		{"location out of range", head + "message: {location: {latitude: 91, longitude: 0}}\n",
			"invalid spec: message: location: latitude 91 is outside -90..90"},
		{"fallback for a template", head + "message: {template: {name: t, language: en}}\nfallback_template: {name: f, language: en}\n",
			"invalid spec: fallback_template: the message is a template already, which may go out outside the 24-hour window; a fallback is for free-form messages"},
		{"fallback without language", head + text + "fallback_template: {name: f, body: [\"{{name}}\"]}\n",
			"invalid spec: fallback_template: template: language is required (e.g. en, en_US)"},
		{"fallback header link without scheme", head + text + "fallback_template: {name: f, language: en, header: {image: {url: \"{{pic}}\"}}}\n",
			`invalid spec: fallback_template: header image: url "{{pic}}" must start with http:// or https:// before any placeholder`},
		{"several problems", "account: a\npriority: top\nmessage: {contacts: [{name: {first_name: X}}]}\n",
			`invalid spec: id is required; priority "top": want high, normal or low; message: contacts[0]: name.formatted_name is required`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := producer.ParseSpec([]byte(c.yaml))
			if err == nil || err.Error() != c.want {
				t.Errorf("err = %v\nwant  %s", err, c.want)
			}
		})
	}
}

// Placeholders are validated with a dummy value, so a template parameter
// or a link that is only a placeholder after its scheme is fine.
func TestValidateFillsPlaceholdersWithADummy(t *testing.T) {
	t.Parallel()
	s := &producer.Spec{ID: "c1", Account: "a", Message: message.Content{Template: &message.Template{
		Name: "{{tpl}}", Language: "en",
		Header:  &message.TemplateHeader{Video: &message.Media{URL: "https://{{host}}/clip.mp4"}},
		Body:    []string{"{{name}}"},
		Buttons: []message.TemplateButton{{SubType: "quick_reply", Param: "{{ code }}"}},
	}}}
	must(t, s.Validate())
}

func TestLoadSpecNamesTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	must(t, os.WriteFile(good, []byte(head+"message: {text: {body: hi}}\n"), 0o600))
	s, err := producer.LoadSpec(good)
	must(t, err)
	if s.ID != "c1" {
		t.Errorf("spec = %+v", s)
	}
	bad := filepath.Join(dir, "bad.yaml")
	must(t, os.WriteFile(bad, []byte(head+"mesage: {}\n"), 0o600))
	if _, err := producer.LoadSpec(bad); err == nil || err.Error() != bad+`: line 3: unknown field "mesage"` {
		t.Errorf("err = %v", err)
	}
	if _, err := producer.LoadSpec(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "read spec: ") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestDurationForms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want time.Duration
		text string
	}{
		{"24h", 24 * time.Hour, "24h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"45s", 45 * time.Second, "45s"},
		{"2d", 48 * time.Hour, "48h"},
		{"1d6h30m", 30*time.Hour + 30*time.Minute, "30h30m"},
		{" 7d ", 7 * 24 * time.Hour, "168h"},
	} {
		var d producer.Duration
		if err := d.UnmarshalText([]byte(c.in)); err != nil || time.Duration(d) != c.want || d.String() != c.text {
			t.Errorf("%q → %v (%q), %v; want %v (%q)", c.in, time.Duration(d), d.String(), err, c.want, c.text)
		}
	}
	for _, in := range []string{"", "0", "0s", "-5m", "d", "2d-1h", "1.5d", "3 days", "100001d"} {
		var d producer.Duration
		if err := d.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q → %v, want an error", in, time.Duration(d))
		}
	}
	// JSON round trip, as the spec is stored with its campaign.
	b, err := json.Marshal(struct{ TTL producer.Duration }{producer.Duration(36 * time.Hour)})
	must(t, err)
	if string(b) != `{"TTL":"36h"}` {
		t.Errorf("json = %s", b)
	}
	var back struct{ TTL producer.Duration }
	must(t, json.Unmarshal(b, &back))
	if time.Duration(back.TTL) != 36*time.Hour {
		t.Errorf("back = %v", back.TTL)
	}
}
