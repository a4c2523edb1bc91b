package tujenge

import (
	"context"
	"net/http"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

var _ providers.Checker = (*Client)(nil)

// Check makes the authenticated call Tujenge's document gives as its
// example of one, GET /v1/stickerpacks with the WA-API-KEY header, which
// reads the sticker packs and changes nothing. A 2xx without an error
// means the base_url and the key work; any other answer is classified as
// a send's (401 or 1005 a refused key, 404 or a redirect a base_url where
// the API does not answer).
func (c *Client) Check(ctx context.Context) error {
	u := strings.TrimSuffix(c.messages, "/messages") + "/stickerpacks"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &providers.SendError{Class: providers.Permanent, Reason: providers.ReasonConfig, Message: "the check URL cannot be requested"}
	}
	req.Header.Set("Accept", "application/json")
	req.Header["WA-API-KEY"] = []string{c.apiKey}
	resp, err := providers.Do(c.http, req)
	if err != nil {
		se := providers.AsSendError(err)
		se.Ambiguous = false // a read: nothing was sent
		return se
	}
	a, _ := parseAnswer(resp.Body)
	if resp.Status/100 == 2 && !a.failed() {
		return nil
	}
	se := c.failure(resp, a)
	se.Ambiguous = false
	return se
}
