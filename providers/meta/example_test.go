package meta_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
)

func ExampleClient_Send() {
	// A stand-in for https://graph.facebook.com/v21.0: the template goes
	// out, the free-form message is outside the 24-hour window.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"+255712345678","wa_id":"255712345678"}],"messages":[{"id":"wamid.HBgMMjU1NzEyMzQ1Njc4","message_status":"accepted"}]}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AbCd"}}`)
	}))
	defer srv.Close()

	c, err := meta.New(meta.Config{BaseURL: srv.URL + "/v21.0", Token: "EAAG...", PhoneNumberID: "106540352242922"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "reminder-42", Account: "meta-main", To: "+255712345678",
		Content: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "en", Body: []string{"Amina"}}},
	}
	r, err := c.Send(context.Background(), m)
	fmt.Println(r.ProviderMessageID, r.Status, err)

	m.Content = message.Content{Text: &message.Text{Body: "Are you still there?"}}
	_, err = c.Send(context.Background(), m)
	var se *providers.SendError
	if errors.As(err, &se) {
		fmt.Println(se.Class, se.Reason, se.Code)
	}
	// Output:
	// wamid.HBgMMjU1NzEyMzQ1Njc4 accepted <nil>
	// permanent window_closed 131047
}

func ExampleVerifyChallenge() {
	// GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...
	q, _ := url.ParseQuery("hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444")
	challenge, err := meta.VerifyChallenge(q, "my-verify-token")
	fmt.Println(challenge, err)

	_, err = meta.VerifyChallenge(q, "another-token")
	fmt.Println(err)
	// Output:
	// 1158201444 <nil>
	// meta webhook: hub.verify_token does not match
}

func ExampleClient_ParseCallback() {
	c, _ := meta.New(meta.Config{Token: "EAAG...", PhoneNumberID: "106540352242922"})
	body := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"statuses":[{"id":"wamid.HBgMMjU1NzEyMzQ1Njc4","status":"delivered","timestamp":"1739321024","recipient_id":"255712345678"}],
		"messages":[{"from":"255712345678","id":"wamid.in","timestamp":"1739321030","type":"text","text":{"body":"STOP"}}]}}]}]}`
	events, err := c.ParseCallback(http.Header{}, []byte(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		switch e.Kind {
		case providers.EventStatus:
			fmt.Println(e.Kind, e.ProviderMessageID, e.Status, e.Recipient, e.Time.Format("15:04:05"))
		case providers.EventInbound:
			fmt.Println(e.Kind, e.From, "→", e.To, e.Text)
		}
	}
	// Output:
	// status wamid.HBgMMjU1NzEyMzQ1Njc4 delivered +255712345678 00:43:44
	// inbound +255712345678 → +15550783881 STOP
}
