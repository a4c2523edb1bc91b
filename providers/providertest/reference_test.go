package providertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
)

const referenceToken = "ref-token-5f4dcc3b5aa765d6"

// reference is the smallest adapter the suite accepts: it posts JSON with
// a bearer token to /messages, reads {"id": ...} from a 2xx, classifies
// every failure by its HTTP status alone, and reads callbacks of the
// form {"id": ..., "status": "delivered"}.
type reference struct {
	url  string
	http *http.Client
}

func (r *reference) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if k := m.Content.Kind(); k != message.KindText && k != message.KindTemplate {
		return providers.Receipt{}, &providers.SendError{Class: providers.Permanent, Reason: providers.ReasonUnsupported,
			Message: string(k) + " messages are not supported"}
	}
	body, _ := json.Marshal(map[string]string{"to": m.To})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+"/messages", bytes.NewReader(body))
	if err != nil {
		return providers.Receipt{}, &providers.SendError{Class: providers.Transient, Message: "building the request"}
	}
	req.Header.Set("Authorization", "Bearer "+referenceToken)
	resp, err := providers.Do(r.http, req)
	if err != nil {
		return providers.Receipt{}, err
	}
	code := strconv.Itoa(resp.Status)
	if resp.Status/100 == 2 {
		var a struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(resp.Body, &a) == nil && a.ID != "" {
			return providers.Receipt{ProviderMessageID: a.ID, Status: message.Accepted}, nil
		}
		return providers.Receipt{}, &providers.SendError{Class: providers.Transient, Reason: providers.ReasonMalformed,
			Code: code, HTTPStatus: resp.Status, Ambiguous: true, Message: "answer carries no id"}
	}
	class, reason := providers.ClassifyHTTPStatus(resp.Status)
	text := providers.Snippet(resp.Body)
	if text == "" {
		text = http.StatusText(resp.Status)
	}
	return providers.Receipt{}, &providers.SendError{Class: class, Reason: reason, Code: code, HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()), Message: text}
}

func parseReferenceCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	var cb struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, err
	}
	if cb.ID == "" {
		return nil, errors.New("callback without an id")
	}
	return []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: cb.ID, Status: message.Status(cb.Status), ProviderStatus: cb.Status}}, nil
}

func newReference(_ *testing.T, baseURL string) providers.Provider {
	return &reference{url: baseURL, http: providers.NewHTTPClient(providers.HTTPConfig{})}
}

// sendReference sends a text message through the reference adapter.
func sendReference(t *testing.T, baseURL string) error {
	_, err := newReference(t, baseURL).Send(context.Background(), &message.Message{ID: "c:+255712345678", Account: "acct",
		To: "+255712345678", Content: message.Content{Text: &message.Text{Body: "Habari"}}})
	return err
}

// TestRunAcceptsAReferenceAdapter runs every area of the suite against the
// reference adapter.
func TestRunAcceptsAReferenceAdapter(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New:      newReference,
		Secret:   referenceToken,
		Accept:   providertest.Reply{Status: 201, Body: `{"id":"ref-1"}`},
		AcceptID: "ref-1",
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			if r.URL.Path != "/messages" || r.Header.Get("Authorization") != "Bearer "+referenceToken {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
			if diff := providertest.JSONDiff(t, `{"to":"+255712345678"}`, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "400", Reply: providertest.Reply{Status: 400, Body: `{"error":"bad"}`}, Class: providers.Permanent, Code: "400"},
			{Name: "401", Reply: providertest.Reply{Status: 401}, Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "503", Reply: providertest.Reply{Status: 503}, Class: providers.Transient, Code: "503"},
		},
		Throttle:      providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}},
		Unsupported:   []message.Content{{Image: &message.Media{URL: "https://cdn.example/a.jpg"}}},
		ParseCallback: parseReferenceCallback,
		Callbacks: []providertest.CallbackCase{
			{Name: "delivered", Body: `{"id":"ref-1","status":"delivered"}`,
				Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "ref-1", Status: message.Delivered, ProviderStatus: "delivered"}}},
			{Name: "no id", Body: `{"status":"delivered"}`, WantErr: true},
		},
	})
}

func TestStatusClasses(t *testing.T) {
	t.Parallel()
	providertest.StatusClasses(t, sendReference, []providertest.StatusCase{
		{Status: 400, Body: "Bad Request", Class: providers.Permanent},
		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 404, Body: "<h1>Not Found</h1>", Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 404, Body: `{"error":"not found"}`, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 429, Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 503, Body: "<h1>503 Service Unavailable</h1>", Class: providers.Transient},
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	providertest.RetryAfter(t, sendReference, []providertest.RetryAfterCase{
		{Name: "seconds, status defaulted", RetryAfter: "7", Reason: providers.ReasonThrottled, Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "seconds on 503", Status: 503, RetryAfter: "120", Min: 2 * time.Minute, Max: 2 * time.Minute},
		{Name: "HTTP date", Status: 429, RetryAfter: time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat),
			Min: time.Minute + time.Nanosecond, Max: 2 * time.Minute},
		{Name: "further headers are sent", Status: 429, Header: []string{"X-Wait", "7"}, Min: 0, Max: 0},
		{Name: "absent", Status: 429, Body: `{"error":"slow down"}`, Min: 0, Max: 0},
	})
}
