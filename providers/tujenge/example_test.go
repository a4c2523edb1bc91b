package tujenge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/tujenge"
)

func ExampleClient_Send() {
	// A stand-in for https://waba.tujenge.io: the first message goes out,
	// the second is outside the 24-hour window.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			io.WriteString(w, `{"messages":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}],"meta":{"api_status":"stable"}}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"errors":[{"code":470,"title":"Re-engagement message","details":"more than 24 hours have passed"}]}`)
	}))
	defer srv.Close()

	c, err := tujenge.New(tujenge.Config{BaseURL: srv.URL, APIKey: "my-api-key"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "reminder-42", Account: "tujenge-main", To: "+255712345678",
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
	// gBEGkYiEB1VXAglK1ZEqA1YKPrU accepted <nil>
	// permanent window_closed 470
}
