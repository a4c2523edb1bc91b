package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/wabulk/wabulk/store"
)

// campaigns caches campaign states for the send guard, read at most once
// per AccountStateTTL per campaign. The cache only saves rate-limit slots
// and Redis calls: the claim itself reads the state atomically (store's
// CampaignHeldError), so a pause or cancel holds every claim after it
// returns, cached or not.
type campaigns struct {
	ttl   time.Duration
	store *store.Store

	mu    sync.Mutex
	cache map[string]cachedCampaign

	// specs are the parsed specs compact send tasks are rendered from
	// (rebuild.go).
	specs specCache
}

type cachedCampaign struct {
	state store.CampaignState
	at    time.Time
}

func newCampaigns(cfg Config, st *store.Store) *campaigns {
	return &campaigns{ttl: cfg.AccountStateTTL, store: st, cache: map[string]cachedCampaign{}}
}

// state returns campaign id's state; a campaign without a record (a
// message outside campaigns, or a record removed) is active.
func (c *campaigns) state(ctx context.Context, id string) (store.CampaignState, error) {
	if id == "" {
		return store.CampaignActive, nil
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.cache[id]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.state, nil
	}
	st, err := c.store.CampaignState(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st.State = store.CampaignActive
	case err != nil:
		return "", err
	}
	c.mu.Lock()
	if len(c.cache) > 10_000 {
		clear(c.cache)
	}
	c.cache[id] = cachedCampaign{state: st.State, at: now}
	c.mu.Unlock()
	return st.State, nil
}
