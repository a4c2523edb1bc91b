package taqnyat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

func ExampleClient_Send() {
	// A stand-in for https://api.taqnyat.sa/wa/v1/: the first message is
	// queued, the second goes to a number that never opted in.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusCreated)
		if calls == 1 {
			io.WriteString(w, `{"type":"whatsapp","statuses":[{"message_id":"01DPNXZ0WCF9XD19MH84XD0P62","recipient":"966501234567","status":"success","state":"queued"}]}`)
			return
		}
		io.WriteString(w, `{"type":"whatsapp","statuses":[{"message_id":"01DPNXZ0WCF9XD19MH84XD0P63","recipient":"966501234568","status":"failure","state":"no_opt_in"}]}`)
	}))
	defer srv.Close()

	c, err := taqnyat.New(taqnyat.Config{BaseURL: srv.URL + "/wa/v1/", Token: "my-bearer-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "reminder-42", Account: "taqnyat-main", To: "+966501234567",
		Content: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "ar", Body: []string{"Amina"}}},
	}
	r, err := c.Send(context.Background(), m)
	fmt.Println(r.ProviderMessageID, r.Status, err)

	m.To = "+966501234568"
	_, err = c.Send(context.Background(), m)
	var se *providers.SendError
	if errors.As(err, &se) {
		fmt.Println(se.Class, se.Code)
	}
	// Output:
	// 01DPNXZ0WCF9XD19MH84XD0P62 accepted <nil>
	// permanent no_opt_in
}

func ExampleClient_ParseCallback() {
	c, err := taqnyat.New(taqnyat.Config{Token: "my-bearer-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := `{"type":"whatsapp",
		"statuses":[{"status":"success","state":"read","message_id":"01DPNXZ0WCF9XD19MH84XD0P62","recipient":"966501234567","timestamp":"2020-05-02T18:40:42Z"}],
		"contacts":[{"profile":{"name":"Amina"},"wa_id":"966501234567"}],
		"notifications":[{"from":"966501234567","to":"taqnyatbot","message_id":"ABGG1","message":{"type":"text","body":"Thank you"},"timestamp":"2020-05-02T18:41:00Z"}]}`
	events, err := c.ParseCallback(http.Header{}, []byte(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		switch e.Kind {
		case providers.EventStatus:
			fmt.Println(e.Kind, e.ProviderMessageID, e.Status, e.Time.Format("15:04:05"))
		case providers.EventInbound:
			fmt.Println(e.Kind, e.From, e.Text)
		}
	}
	// Output:
	// status 01DPNXZ0WCF9XD19MH84XD0P62 read 18:40:42
	// inbound +966501234567 Thank you
}
