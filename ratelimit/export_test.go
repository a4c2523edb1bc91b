package ratelimit

import "time"

// SetClock makes s read the time from now instead of Redis TIME, so tests
// can move time. Production never sets it. Keys then expire when the
// server's clock reaches the instants now gave.
func SetClock(s *Shared, now func() time.Time) { s.now = now }

// PairEntries is how many recipients l's pair map holds for account.
func PairEntries(l *Local, account string) int {
	a := l.account(account)
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pairs.next)
}
