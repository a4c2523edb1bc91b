package socnet

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

var _ providers.Checker = (*Client)(nil)

// Check makes Socnet's Authentication method: the account's URL is posted
// {"api_key":"..."} alone, and Socnet answers {"status":"valid"} for a
// key it knows, {"message":"Invalid user credentials","status":401} for
// one it does not and 403 "Insufficient credit" for an account without
// credit. It sends nothing. Any other answer is classified as a send's
// (a web server's 404 page: the URL is not the API's); an answer the
// document does not give to this method, e.g. a send's "The msisdn field
// is required." (422), is a failure that says so.
func (c *Client) Check(ctx context.Context) error {
	body, err := json.Marshal(struct {
		APIKey string `json:"api_key"`
	}{c.apiKey})
	if err != nil {
		return &providers.SendError{Class: providers.Permanent, Message: "building the request", Err: err}
	}
	resp, err := c.post(ctx, body)
	if err != nil {
		se := providers.AsSendError(err)
		se.Ambiguous = false // an authentication request: nothing was sent
		return se
	}
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 == 2 && strings.EqualFold(string(a.Status), "valid") {
		return nil
	}
	code := a.errorCode()
	if code == "" && resp.Status/100 != 2 {
		code = strconv.Itoa(resp.Status)
	}
	if code != "" {
		se := c.failure(resp, a, ok, code)
		se.Ambiguous = false
		return se
	}
	return wire.Malformed(resp, `the authentication answer is not {"status":"valid"}`, false, c.redactions...)
}
