package modica_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
)

func Example() {
	// A stand-in for api.modicagroup.com: the first send is queued, the
	// second is refused.
	sent := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !sent {
			sent = true
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `[4815162342]`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: destination"}`)
	}))
	defer srv.Close()

	c, err := modica.New(modica.Config{BaseURL: srv.URL, Username: "my-app", Password: "my-password"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "reply-42", Account: "modica-nz", To: "+64211234567",
		Content: message.Content{Text: &message.Text{Body: "Your order is ready"}},
	}
	r, err := c.Send(context.Background(), m)
	fmt.Println(r.ProviderMessageID, r.Status, err)

	_, err = c.Send(context.Background(), m)
	var se *providers.SendError
	if errors.As(err, &se) {
		fmt.Println(se.Class, se.Reason, se.Code)
	}

	// Modica's DLR callback for the first message.
	events, err := c.ParseCallback(http.Header{}, []byte(`{"id":"4815162342","status":"received","reference":"reply-42"}`))
	fmt.Println(events[0].ProviderMessageID, events[0].Status, err)
	// Output:
	// 4815162342 accepted <nil>
	// permanent invalid_recipient invalid_attrib
	// 4815162342 delivered <nil>
}
