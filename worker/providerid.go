package worker

import (
	"context"
	"errors"
	"sort"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/store"
)

// siblingAccounts maps each account to the other accounts of its kind
// (Config.AccountKinds), sorted by name.
func siblingAccounts(kinds map[string]string) map[string][]string {
	byKind := map[string][]string{}
	for account, kind := range kinds {
		if kind != "" {
			byKind[kind] = append(byKind[kind], account)
		}
	}
	out := map[string][]string{}
	for account, kind := range kinds {
		for _, other := range byKind[kind] {
			if other != account {
				out[account] = append(out[account], other)
			}
		}
		sort.Strings(out[account])
	}
	return out
}

// messageByProviderID finds the message a receipt received on account's
// endpoint names: in account's own provider-id index, else in those of
// the other accounts of its kind (a provider with one webhook for several
// accounts). owner is the account whose index held it; the error is
// store.ErrNotFound when none does.
func (h *Events) messageByProviderID(ctx context.Context, account, pmid string, log *zap.Logger) (id, owner string, err error) {
	id, err = h.store.MessageByProviderID(ctx, account, pmid)
	if !errors.Is(err, store.ErrNotFound) {
		return id, account, err
	}
	for _, other := range h.siblings[account] {
		id, otherErr := h.store.MessageByProviderID(ctx, other, pmid)
		switch {
		case otherErr == nil:
			log.Debug("receipt matched in another account of the same kind", zap.String("owner", other))
			return id, other, nil
		case !errors.Is(otherErr, store.ErrNotFound):
			return "", account, otherErr
		}
	}
	return "", account, err
}
