package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// CampaignList is the answer of GET /v1/campaigns.
type CampaignList struct {
	Campaigns []producer.CampaignProgress `json:"campaigns"`
}

// listCampaigns answers every campaign's progress that passes the filter
// (?state=active|paused|cancelled|running|done, ?account=), newest first.
func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := producer.CampaignFilter{State: q.Get("state"), Account: q.Get("account")}
	switch f.State {
	case "", "active", "paused", "cancelled", "running", "done":
	default:
		a.fail(w, invalid("state", "state %q: want active, paused, cancelled, running or done", f.State))
		return
	}
	cs, err := a.p.ListCampaigns(r.Context(), f)
	if err != nil {
		a.unavailable(w, r, "campaigns not read", err)
		return
	}
	writeJSON(w, http.StatusOK, CampaignList{Campaigns: cs})
}

// getCampaignDetail answers producer.CampaignDetail.
func (a *API) getCampaignDetail(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pr, err := a.p.CampaignProgress(r.Context(), id)
	if err == nil {
		var d producer.CampaignDetail
		d, err = a.p.CampaignDetail(r.Context(), id, a.cfg.Rates[pr.Account])
		if err == nil {
			writeJSON(w, http.StatusOK, d)
			return
		}
	}
	a.campaignReadError(w, r, id, err)
}

// CampaignSeries is the answer of GET /v1/campaigns/{id}/series.
type CampaignSeries struct {
	ID string `json:"id"`
	// StepSeconds is the width of each point: its outcomes per second are
	// outcomes / step_seconds.
	StepSeconds float64             `json:"step_seconds"`
	Points      []store.SeriesPoint `json:"points"`
}

func (a *API) getCampaignSeries(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			a.fail(w, invalid("since", "since %q: want an RFC 3339 time such as 2026-12-06T10:00:00Z", v))
			return
		}
		since = t
	}
	pts, err := a.p.CampaignSeries(r.Context(), id, since)
	if err != nil {
		a.campaignReadError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, CampaignSeries{ID: id, StepSeconds: store.SeriesStep.Seconds(), Points: pts})
}

// CampaignRejects is the answer of GET /v1/campaigns/{id}/rejects.
type CampaignRejects struct {
	ID string `json:"id"`
	// Rejected counts every row its imports rejected; Rejects holds the
	// first of them (at most store.MaxKeptRejects are kept).
	Rejected int64          `json:"rejected"`
	Rejects  []store.Reject `json:"rejects"`
}

func (a *API) getCampaignRejects(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			a.fail(w, invalid("limit", "limit %q: want a count", v))
			return
		}
		limit = n
	}
	pr, err := a.p.CampaignProgress(r.Context(), id)
	if err != nil {
		a.campaignReadError(w, r, id, err)
		return
	}
	rs, err := a.p.CampaignRejects(r.Context(), id, limit)
	if err != nil {
		a.campaignReadError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, CampaignRejects{ID: id, Rejected: pr.Import.Rejected, Rejects: rs})
}

// campaignReadError answers an error reading campaign id: 404 when there
// is no such campaign, 503 when the store failed.
func (a *API) campaignReadError(w http.ResponseWriter, r *http.Request, id string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		a.noCampaign(w, id)
		return
	}
	a.unavailable(w, r, "campaign not read", err)
}

// postPreview reads an upload as POST /v1/campaigns does and answers what
// its import would do (producer.Preview), writing nothing.
func (a *API) postPreview(w http.ResponseWriter, r *http.Request) {
	release, ok := a.uploadSlot(w)
	if !ok {
		return
	}
	defer release()
	a.lift(w)
	a.readUpload(w, r, func(spec *producer.Spec, format producer.Format, recipients io.Reader) {
		body := &trackedReader{r: recipients}
		pv, err := a.p.Preview(r.Context(), spec, body, producer.PreviewOptions{Format: format, Rate: a.cfg.Rates[spec.Account], MaxRejects: a.cfg.MaxRejects})
		var conflict *producer.CampaignConflictError
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, pv)
		case errors.As(err, &conflict):
			a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_conflict", field: "spec",
				msg: conflict.Error() + "; an upload of this spec would be refused: use a new id"})
		case body.err != nil && errors.Is(err, body.err):
			e := a.bodyError(body.err)
			e.field = "recipients"
			a.fail(w, e)
		case StoreDown(err):
			a.unavailable(w, r, "upload not previewed", err)
		default:
			a.fail(w, invalid("recipients", "recipients: %v", err))
		}
	})
}
