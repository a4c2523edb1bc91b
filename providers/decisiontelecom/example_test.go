package decisiontelecom_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
)

func ExampleClient_Send() {
	// A stand-in for https://web.it-decision.com/v1/api: the template goes
	// out, the free-form text is outside the 24-hour window (code 7).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"message_type":4`) {
			io.WriteString(w, `{"message_id":554}`)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"name":"Service Unavailable","message":"Message failed to send because more than 24 hours have passed since the customer last replied to this number. In this case, you can only send a template message","code":7,"status":503}`)
	}))
	defer srv.Close()

	c, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: srv.URL, APIKey: "my-user-hash-key", Source: "Custom Company"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "reminder-42", Account: "dt-main", To: "+380631234567",
		Content: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "uk", Body: []string{"Олена"}}},
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
	// 554 accepted <nil>
	// permanent window_closed 7
}

func ExampleClient_PollStatus() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"message_id":554,"status":7}`)
	}))
	defer srv.Close()

	c, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: srv.URL, APIKey: "my-user-hash-key", Source: "Custom Company"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := c.PollStatus(context.Background(), "554")
	fmt.Println(ev.ProviderMessageID, ev.Status, ev.ProviderStatus, err)
	// Output:
	// 554 read seen <nil>
}

func ExampleClient_ParseCallback() {
	c, err := decisiontelecom.New(decisiontelecom.Config{APIKey: "my-user-hash-key", Source: "Custom Company",
		CallbackURL: "https://hooks.example/whatsapp-callback"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// What DecisionTelecom posts to callback_url.
	events, err := c.ParseCallback(http.Header{"Content-Type": {"application/json"}}, []byte(`{"message_id":554,"status":2}`))
	for _, ev := range events {
		fmt.Println(ev.ProviderMessageID, ev.Status, ev.ProviderStatus, ev.ErrorCode)
	}
	fmt.Println(err)
	// Output:
	// 554 failed rejected rejected
	// <nil>
}
