package whatsapp_test

import (
	"encoding/json"
	"fmt"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// The two APIs build the same objects but for preview_url (inside text in
// the Cloud API; the on-premises envelope carries it) and the template's
// language policy and namespace (on-premises only).
func ExampleNewContent() {
	text := message.Content{Text: &message.Text{Body: "See https://wabulk.example", PreviewURL: true}}
	tmpl := message.Content{Template: &message.Template{Name: "promo", Language: "sw", Body: []string{"Amina"}}}
	for _, api := range []whatsapp.API{whatsapp.OnPremises, whatsapp.Cloud} {
		for _, c := range []message.Content{text, tmpl} {
			b, _ := json.Marshal(whatsapp.NewContent(api, &c, "acct_ns"))
			fmt.Println(string(b))
		}
	}
	// Output:
	// {"text":{"body":"See https://wabulk.example"}}
	// {"template":{"namespace":"acct_ns","name":"promo","language":{"policy":"deterministic","code":"sw"},"components":[{"type":"body","parameters":[{"type":"text","text":"Amina"}]}]}}
	// {"text":{"preview_url":true,"body":"See https://wabulk.example"}}
	// {"template":{"name":"promo","language":{"code":"sw"},"components":[{"type":"body","parameters":[{"type":"text","text":"Amina"}]}]}}
}

// A contact without a first or last name gets its formatted name as
// first_name: WhatsApp wants one name part besides formatted_name.
func ExampleNewContacts() {
	cards := whatsapp.NewContacts([]message.Contact{{
		Name:   message.ContactName{FormattedName: "Amina Juma"},
		Phones: []message.ContactPhone{{Phone: "+255712345678", Type: "CELL", WaID: "255712345678"}},
	}})
	b, _ := json.Marshal(cards)
	fmt.Println(string(b))
	// Output:
	// [{"name":{"formatted_name":"Amina Juma","first_name":"Amina Juma"},"phones":[{"phone":"+255712345678","type":"CELL","wa_id":"255712345678"}]}]
}
