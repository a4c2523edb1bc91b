package app

import (
	"time"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/store"
)

// StoreConfig is the store's Config from the redis section.
func StoreConfig(r config.RedisConfig) store.Config {
	keep := func(d config.Duration) time.Duration {
		if d == config.Off {
			return -1
		}
		return time.Duration(d)
	}
	return store.Config{
		Prefix:            r.Prefix,
		Retention:         keep(r.Retention),
		CampaignRetention: keep(r.CampaignRetention),
		ConfirmReplicas:   r.Replicas(),
		ConfirmTimeout:    time.Duration(r.ConfirmTimeout),
		CampaignParts:     r.CampaignParts,
	}
}
