package whatsapp

import "github.com/wabulk/wabulk/message"

// Contact is a contact card.
type Contact struct {
	Name   ContactName    `json:"name"`
	Phones []ContactPhone `json:"phones,omitempty"`
	Emails []ContactEmail `json:"emails,omitempty"`
	Org    *ContactOrg    `json:"org,omitempty"`
	URLs   []ContactURL   `json:"urls,omitempty"`
}

// ContactName is a contact's name.
type ContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
}

// ContactPhone is one phone number of a contact.
type ContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
}

// ContactEmail is one e-mail address of a contact.
type ContactEmail struct {
	Email string `json:"email"`
	Type  string `json:"type,omitempty"`
}

// ContactOrg is a contact's organisation.
type ContactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

// ContactURL is one web address of a contact.
type ContactURL struct {
	URL  string `json:"url"`
	Type string `json:"type,omitempty"`
}

// NewContacts builds the contact cards of in. WhatsApp wants at least one
// name part besides formatted_name, so a contact with neither a first nor
// a last name gets its formatted name as first_name.
func NewContacts(in []message.Contact) []Contact {
	out := make([]Contact, 0, len(in))
	for _, c := range in {
		w := Contact{Name: ContactName{
			FormattedName: c.Name.FormattedName,
			FirstName:     c.Name.FirstName,
			LastName:      c.Name.LastName,
		}}
		if w.Name.FirstName == "" && w.Name.LastName == "" {
			w.Name.FirstName = c.Name.FormattedName
		}
		for _, p := range c.Phones {
			w.Phones = append(w.Phones, ContactPhone{Phone: p.Phone, Type: p.Type, WaID: p.WaID})
		}
		for _, e := range c.Emails {
			w.Emails = append(w.Emails, ContactEmail{Email: e.Email, Type: e.Type})
		}
		if o := c.Org; o != nil {
			w.Org = &ContactOrg{Company: o.Company, Department: o.Department, Title: o.Title}
		}
		for _, u := range c.URLs {
			w.URLs = append(w.URLs, ContactURL{URL: u.URL, Type: u.Type})
		}
		out = append(out, w)
	}
	return out
}
