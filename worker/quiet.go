package worker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// holdForQuietHours defers a message whose recipient is inside its quiet
// hours (Message.QuietHours) until the window ends there, burning no
// attempt; when the TTL passes first it ends expired at once. held says
// whether the message was held; err is then what the task returns.
//
// The recipient's local time comes from their number (see recipientZones);
// with several possible zones the message waits until it is outside the
// window in all of them (message.QuietHours.Wait).
func (s *Sender) holdForQuietHours(ctx context.Context, ref store.Ref, m *message.Message, now time.Time, log *zap.Logger) (held bool, err error) {
	if m.QuietHours == nil {
		return false, nil
	}
	zones := recipientZones(m.To)
	wait := m.QuietHours.Wait(now, zones)
	if wait <= 0 {
		return false, nil
	}
	until := now.Add(wait)
	why := fmt.Errorf("quiet hours %s–%s at the recipient (%s) until %s", m.QuietHours.Start, m.QuietHours.End,
		zoneNames(zones), until.UTC().Format(time.RFC3339))
	log.Debug("held for quiet hours", zap.Duration("for", wait), zap.Time("until", until))
	return true, s.deferUntil(ctx, ref, m, wait, deferQuiet, why, log)
}

// zoneCache maps a list of zone names (as phonenumbers gives them for a
// number's prefix, joined) to the loaded locations. Few lists exist, and
// loading a zone reads the zone database.
var zoneCache sync.Map // string → []*time.Location

// recipientZones returns the time zones the E.164 number e164 may be in,
// from phonenumbers' prefix data (libphonenumber's geocoding). A number
// it cannot place, or whose zones this process cannot load, gets none:
// QuietHours.Wait then reads the window in UTC.
func recipientZones(e164 string) []*time.Location {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil
	}
	names, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(names) == 0 || (len(names) == 1 && names[0] == phonenumbers.UNKNOWN_TIMEZONE) {
		return nil
	}
	key := strings.Join(names, ",")
	if v, ok := zoneCache.Load(key); ok {
		return v.([]*time.Location)
	}
	locs := make([]*time.Location, 0, len(names))
	for _, n := range names {
		if loc, err := time.LoadLocation(n); err == nil {
			locs = append(locs, loc)
		}
	}
	zoneCache.Store(key, locs)
	return locs
}

// zoneNames names zones for a log line or an error, briefly.
func zoneNames(zones []*time.Location) string {
	switch {
	case len(zones) == 0:
		return "UTC: zone unknown"
	case len(zones) > 3:
		return fmt.Sprintf("%s and %d other zones", zones[0], len(zones)-1)
	}
	names := make([]string, len(zones))
	for i, z := range zones {
		names[i] = z.String()
	}
	return strings.Join(names, ", ")
}
