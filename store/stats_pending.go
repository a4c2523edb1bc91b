package store

import (
	"context"
	"time"

	"github.com/wabulk/wabulk/message"
)

// CodeCount is how many of a campaign's messages ended in Status with
// error Code.
type CodeCount struct {
	Status    message.Status `json:"status"`
	Code      string         `json:"code"`
	Retryable bool           `json:"retryable"`
	Count     int64          `json:"count"`
	Example   string         `json:"example,omitempty"`
}

// CampaignCodes returns campaign id's terminal failures by code.
func (s *Store) CampaignCodes(ctx context.Context, id string) ([]CodeCount, error) { return nil, nil }

// SeriesPoint is the outcomes of one 10-second bucket.
type SeriesPoint struct {
	At       time.Time `json:"at"`
	Outcomes int64     `json:"outcomes"`
	Failures int64     `json:"failures"`
}

// SeriesStep is the width of a SeriesPoint.
const SeriesStep = 10 * time.Second

// CampaignSeries returns campaign id's outcome series.
func (s *Store) CampaignSeries(ctx context.Context, id string, since time.Time) ([]SeriesPoint, error) {
	return nil, nil
}

// Reject is one import row refused.
type Reject struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Row    string `json:"row,omitempty"`
}

// MaxKeptRejects is how many rejected rows a campaign keeps.
const MaxKeptRejects = 1000

// AddCampaignRejects appends rs to campaign id's kept rejects.
func (s *Store) AddCampaignRejects(ctx context.Context, id string, rs []Reject) error { return nil }

// CampaignRejects returns campaign id's kept rejects.
func (s *Store) CampaignRejects(ctx context.Context, id string, limit int) ([]Reject, error) {
	return nil, nil
}
