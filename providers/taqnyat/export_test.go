package taqnyat

import "time"

// SetNow replaces c's clock, so tests of the ttl need no sleeps and no
// timing assertions.
func SetNow(c *Client, now func() time.Time) { c.now = now }
