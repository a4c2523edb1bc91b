package fleet

import (
	"context"
	"fmt"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// OptOuts is a page of one account's suppression list.
type OptOuts struct {
	Account string              `json:"account"`
	Query   string              `json:"query,omitempty"`
	Total   int64               `json:"total"`
	Entries []store.OptOutEntry `json:"entries"`
}

// SearchOptOuts returns up to limit of account's opted-out contacts whose
// number contains query's digits (every one when query is empty).
func (f *Fleet) SearchOptOuts(ctx context.Context, account, query string, limit int) (OptOuts, error) {
	if _, err := f.accountConfig(account); err != nil {
		return OptOuts{}, err
	}
	q := digits(query)
	es, total, err := f.st.SearchOptOuts(ctx, account, q, limit)
	if err != nil {
		return OptOuts{}, err
	}
	if es == nil {
		es = []store.OptOutEntry{}
	}
	return OptOuts{Account: account, Query: q, Total: total, Entries: es}, nil
}

// digits keeps the digits of a search (a number written with spaces,
// dashes or a leading +).
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// InvalidNumberError is a number that cannot be read as a phone number.
type InvalidNumberError struct {
	Number string
	Err    error
}

func (e *InvalidNumberError) Error() string { return fmt.Sprintf("number %q: %v", e.Number, e.Err) }
func (e *InvalidNumberError) Unwrap() error { return e.Err }

// OptOut puts number (E.164, or national in region) on account's
// suppression list with reason, and returns it in E.164. The provider's
// own opt-in registry, where it has one, is not changed here ('wabulk
// optout add' does that with the account's credentials).
func (f *Fleet) OptOut(ctx context.Context, account, number, region, reason string) (string, error) {
	if _, err := f.accountConfig(account); err != nil {
		return "", err
	}
	to, err := message.NormalizePhone(number, region)
	if err != nil {
		return "", &InvalidNumberError{Number: number, Err: err}
	}
	if strings.TrimSpace(reason) == "" {
		reason = "added by an operator"
	}
	return to, f.st.OptOut(ctx, account, to, reason)
}

// OptIn takes number off account's suppression list; a number not on it
// is no error.
func (f *Fleet) OptIn(ctx context.Context, account, number, region string) (string, error) {
	if _, err := f.accountConfig(account); err != nil {
		return "", err
	}
	to, err := message.NormalizePhone(number, region)
	if err != nil {
		return "", &InvalidNumberError{Number: number, Err: err}
	}
	return to, f.st.OptIn(ctx, account, to)
}
