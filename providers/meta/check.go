package meta

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

var _ providers.Checker = (*Client)(nil)

// Check reads the business phone number's node, GET
// BASE/{PhoneNumberID}?fields=id, with the token: a Graph read that
// changes nothing. A 2xx means the base_url, the token and the phone
// number id work. Graph's "Unsupported get request" (code 100, subcode
// 33: no such object, or the token may not see it) is read as a
// configuration error naming phone_number_id; any other answer is
// classified as a send's (190 a refused token, a 404 without a Graph
// error a base_url that is not the Graph API).
func (c *Client) Check(ctx context.Context) error {
	node := strings.TrimSuffix(c.messages, "/messages")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, node+"?fields=id", nil)
	if err != nil {
		return &providers.SendError{Class: providers.Permanent, Reason: providers.ReasonConfig, Message: "the check URL cannot be requested"}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := providers.Do(c.http, req)
	if err != nil {
		se := providers.AsSendError(err)
		se.Ambiguous = false // a read: nothing was sent
		return se
	}
	a, _ := parseAnswer(resp.Body)
	if resp.Status/100 == 2 && a.Error == nil {
		return nil
	}
	se := c.failure(resp, a)
	se.Ambiguous = false
	if e := a.Error; e != nil && string(e.Code) == "100" && string(e.Subcode) == "33" {
		se.Class, se.Reason = providers.Account, providers.ReasonConfig
		se.Message = fmt.Sprintf("phone_number_id %s: no such phone number for this token: %s", node[strings.LastIndex(node, "/")+1:], se.Message)
	}
	return se
}
