package socnet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/socnet"
)

func ExampleClient_Send() {
	// A stand-in for Socnet's api.php: the first number is on WhatsApp,
	// the second is not.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) == `{"api_key":"0123456789abcdef0123456789abcdef","msisdn":"256701234567","msg":"1234","template":"otp"}` {
			io.WriteString(w, `{"sent":"true","from":"256701234567@c.us","message_type":"chat","messageId":"3EB002BAE9545124A5B7B2","cost":"90"}`)
			return
		}
		io.WriteString(w, `{"status":"invalid"}`)
	}))
	defer srv.Close()

	c, err := socnet.New(socnet.Config{URL: srv.URL + "/api.php", APIKey: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := &message.Message{
		ID: "otp-42", Account: "socnet-main", To: "+256701234567",
		Content: message.Content{Template: &message.Template{Name: "otp", Language: "en", Body: []string{"1234"}}},
	}
	r, err := c.Send(context.Background(), m)
	fmt.Println(r.ProviderMessageID, r.Status, err)

	m.To = "+256772000111"
	_, err = c.Send(context.Background(), m)
	var se *providers.SendError
	if errors.As(err, &se) {
		fmt.Println(se.Class, se.Reason, se.Code)
	}

	m.To = "+255712345678" // Tanzania: refused before sending
	_, err = c.Send(context.Background(), m)
	if errors.As(err, &se) {
		fmt.Println(se.Class, se.Reason)
	}
	// Output:
	// 3EB002BAE9545124A5B7B2 sent <nil>
	// permanent invalid_recipient invalid
	// permanent invalid_recipient
}
