package simulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
)

// The simulator in process: start it on a free loopback port, send to it
// with any HTTP client (here net/http; in wabulk, the Tujenge adapter) and
// read what it saw.
func Example() {
	sim, err := simulator.New(simulator.Config{
		APIKey:     "demo-key",
		RetryAfter: 2 * time.Second,
		Seed:       1,
	})
	if err != nil {
		log.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	// The first send to this recipient meets a 503, the retry goes through,
	// and a buggy third send shows up as a duplicate.
	sim.Script("+255712345678", 503)
	body := `{"recipient_type":"individual","to":"255712345678","type":"text","text":{"body":"Habari!"}}`
	for range 3 {
		req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("WA-API-KEY", "demo-key")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		line := resp.Status
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			line += ", Retry-After: " + ra
		}
		fmt.Println(line)
	}

	st := sim.Stats()
	fmt.Printf("requests=%d accepted=%d recipients=%d duplicates=%d by_code=%v\n",
		st.Requests, st.Accepted, st.Recipients, st.Duplicates, st.ByCode)
	fmt.Println("accepted for +255712345678:", sim.Accepted("+255712345678"))
	// Output:
	// 503 Service Unavailable, Retry-After: 2
	// 200 OK
	// 200 OK
	// requests=3 accepted=2 recipients=1 duplicates=1 by_code=map[200:2 503:1]
	// accepted for +255712345678: 2
}

func ExampleParseFaults() {
	faults, err := simulator.ParseFaults("503=0.02,429=0.01,470=0.005")
	fmt.Println(faults, err)

	_, err = simulator.ParseFaults("503=0.02,418=0.01")
	fmt.Println(err)
	// Output:
	// map[429:0.01 470:0.005 503:0.02] <nil>
	// faults "503=0.02,418=0.01": fault code 418 is not one the tujenge wire format answers with (known: 400, 401, 408, 429, 470, 500, 502, 503, 504, 1000, 1008, 1009, 1014, 2001)
}

// The 24 h window and the receipt timeline, with a clock the example moves:
// a free-form message needs an inbound message first, and an accepted
// message's status then advances whether or not callbacks are configured.
func ExampleSimulator_Inbound() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	sim, err := simulator.New(simulator.Config{
		Window:       true,
		ReceiptDelay: time.Second,
		Now:          func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	send := func() (status int, id string) {
		body := `{"to":"255712345678","type":"text","text":{"body":"Habari!"}}`
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
		req.Header.Set("WA-API-KEY", "any")
		rec := httptest.NewRecorder()
		sim.Handler().ServeHTTP(rec, req)
		var ans struct {
			Messages []struct{ ID string } `json:"messages"`
			Errors   []struct{ Code int }  `json:"errors"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &ans)
		switch {
		case len(ans.Messages) == 1:
			return rec.Code, ans.Messages[0].ID
		case len(ans.Errors) == 1:
			return ans.Errors[0].Code, ""
		}
		return rec.Code, ""
	}

	code, _ := send()
	fmt.Println("before any inbound message:", code)
	if err := sim.Inbound("+255712345678", "Habari, nina swali"); err != nil {
		log.Fatal(err)
	}
	code, id := send()
	fmt.Println("after the customer wrote:", code)
	st, _ := sim.MessageStatus(id)
	fmt.Println("status at once:", st)
	now = now.Add(time.Hour)
	st, _ = sim.MessageStatus(id)
	fmt.Println("status an hour later:", st)
	// Output:
	// before any inbound message: 470
	// after the customer wrote: 200
	// status at once: accepted
	// status an hour later: read
}
