package decisiontelecom

import (
	"context"

	"github.com/wabulk/wabulk/providers"
)

var _ providers.Checker = (*Client)(nil)

// checkBody asks receive-whatsapp about an empty message_id: a status
// query (it changes nothing) that no message can answer.
const checkBody = `{"message_id":""}`

// Check makes the cheapest authenticated call DecisionTelecom documents:
// a receive-whatsapp status query for an empty message_id. Behind a key it
// accepts, DecisionTelecom refuses the id with "Invalid Parameter:
// message_id" (code 1, "Empty parameter or parameter validation error"),
// so that answer, like any status answer, means the base_url and the key
// work. Any other answer is classified as a send's: 401 a refused key,
// 404, 405 or a redirect a base_url that is not the API root (the host
// alone answers 404), code 3 or 402 no credit.
func (c *Client) Check(ctx context.Context) error {
	resp, err := c.post(ctx, c.pollURL, []byte(checkBody))
	if err != nil {
		return unambiguous(err)
	}
	a, _ := parseAnswer(resp.Body)
	if !a.failed() && resp.Status/100 == 2 {
		return nil
	}
	if p := a.problem(resp.Status); a.failed() && p.hasCode && p.code == 1 {
		return nil // past the key check: the empty id is what was refused
	}
	return unambiguous(c.failure(resp, a))
}
