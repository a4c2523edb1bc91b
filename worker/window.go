package worker

import (
	"context"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// windowOpen is the 24-hour window guard of a free-form message m at now,
// under its account's policy (Config.Windows); why says why not when it
// is closed.
//
// Under enforce, the window is open only when wabulk received an inbound
// message from the contact within store.Window. Under provider, wabulk
// does not see the account's inbound messages, so it sends unless it
// knows the window closed: the provider refused a free-form message to the
// contact for the window (store.CloseWindow, from onSendError or a failed
// receipt) less than store.Window ago, and no inbound message came since.
func (s *Sender) windowOpen(ctx context.Context, m *message.Message, now time.Time) (open bool, why string, err error) {
	if s.cfg.Windows[m.Account] == providers.WindowProvider {
		closed, err := s.store.WindowClosed(ctx, m.Account, m.From, m.To, now)
		if err != nil || !closed {
			return true, "", err
		}
		return false, "free-form message, and the provider refused the last one to this contact for the 24-hour window; none goes until the contact writes (or for 24 h)", nil
	}
	open, err = s.store.WindowOpen(ctx, m.Account, m.From, m.To, now)
	return open, "free-form message and no inbound message from the contact in the last 24 h", err
}
