package wire

import (
	"bytes"
	"context"
	"net/http"

	"github.com/wabulk/wabulk/providers"
)

// JSONRequest builds a request that sends body as JSON and asks for JSON
// back; the caller adds its credentials and hands it to providers.Do.
// Failing to build it is a Transient *providers.SendError that does not
// quote the URL.
func JSONRequest(ctx context.Context, method, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, &providers.SendError{Class: providers.Transient, Message: "building the request", Err: scrub(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req, nil
}
