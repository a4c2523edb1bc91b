package producer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// ReportColumns are the columns of a campaign report, in order: the CSV
// header and the JSONL keys.
var ReportColumns = []string{"message_id", "campaign_id", "recipient", "provider", "status", "error_code", "error",
	"attempts", "provider_message_id", "updated_at", "fallback"}

// ReportRow is one JSONL line of a campaign report.
type ReportRow struct {
	MessageID         string         `json:"message_id"`
	CampaignID        string         `json:"campaign_id"`
	Recipient         string         `json:"recipient"`
	Provider          string         `json:"provider"`
	Status            message.Status `json:"status"`
	ErrorCode         string         `json:"error_code"`
	Error             string         `json:"error"`
	Attempts          int            `json:"attempts"`
	ProviderMessageID string         `json:"provider_message_id"`
	UpdatedAt         string         `json:"updated_at"` // RFC 3339 in UTC with milliseconds; "" if never updated
	Fallback          bool           `json:"fallback"`
}

func reportRow(r *store.Record) ReportRow {
	updated := ""
	if !r.UpdatedAt.IsZero() {
		updated = r.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return ReportRow{MessageID: r.ID, CampaignID: r.CampaignID, Recipient: r.To, Provider: r.Account, Status: r.Status,
		ErrorCode: r.ErrorCode, Error: r.Error, Attempts: r.Attempts, ProviderMessageID: r.ProviderMessageID,
		UpdatedAt: updated, Fallback: r.Fallback}
}

// WriteReport writes one row per recipient of campaign id to w, in import
// order, as CSV (with a header of ReportColumns) or JSONL (one ReportRow
// per line), streamed a page of records at a time. It is what
// `wabulk campaign report` and GET /v1/campaigns/{id}/report write.
func WriteReport(ctx context.Context, st *store.Store, id string, f Format, w io.Writer) error {
	return WriteReportOpts(ctx, st, id, f, w, ReportOptions{})
}

// ReportOptions change how a report is written.
type ReportOptions struct {
	// RawCSV writes CSV cells as stored. By default a cell a spreadsheet
	// would evaluate as a formula is neutralised (SafeCell); a program
	// reading the CSV may want them raw.
	RawCSV bool
}

// WriteReportOpts is WriteReport with options.
func WriteReportOpts(ctx context.Context, st *store.Store, id string, f Format, w io.Writer, o ReportOptions) error {
	switch f {
	case FormatCSV, FormatJSONL:
	default:
		return fmt.Errorf("report format %q: want csv or jsonl", f)
	}
	cw := &safeWriter{Writer: csv.NewWriter(w), raw: o.RawCSV}
	enc := json.NewEncoder(w)
	if f == FormatCSV {
		if err := cw.Write(ReportColumns); err != nil {
			return err
		}
	}
	err := st.EachMember(ctx, id, 1000, func(recs []*store.Record) error {
		for _, r := range recs {
			row := reportRow(r)
			if f == FormatJSONL {
				if err := enc.Encode(&row); err != nil {
					return err
				}
				continue
			}
			if err := cw.Write([]string{row.MessageID, row.CampaignID, row.Recipient, row.Provider, string(row.Status),
				row.ErrorCode, row.Error, strconv.Itoa(row.Attempts), row.ProviderMessageID, row.UpdatedAt,
				strconv.FormatBool(row.Fallback)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

// Report writes campaign id's report to w, as WriteReport does, once it
// knows the campaign: store.ErrNotFound (wrapped), with nothing written,
// when there is no such campaign.
func (p *Producer) Report(ctx context.Context, id string, f Format, w io.Writer, o ReportOptions) error {
	if _, err := p.st.Campaign(ctx, id); err != nil {
		return err
	}
	return WriteReportOpts(ctx, p.st, id, f, w, o)
}
