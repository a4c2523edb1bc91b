package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// phases a campaign is filtered and shown by (producer.CampaignFilter).
var phases = []string{"running", "paused", "cancelled", "done"}

// Phase is how the console names where a campaign is: running, paused,
// cancelled or done (active with nothing pending).
func Phase(pr producer.CampaignProgress) string {
	switch {
	case pr.State == store.CampaignActive && pr.Done():
		return "done"
	case pr.State == store.CampaignActive:
		return "running"
	}
	return string(pr.State)
}

// CampaignRow is one campaign of the list, as the page and its script
// read it.
type CampaignRow struct {
	producer.CampaignProgress
	Phase string `json:"phase"`
	// Failed counts the outcomes that are not a send (failed, expired,
	// window_closed, opted_out, invalid, cancelled).
	Failed int64 `json:"failed"`
	Sent   int64 `json:"sent"`
}

// MarshalJSON writes the progress under "progress": CampaignProgress's
// own MarshalJSON would otherwise stand for the whole row.
func (r CampaignRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Progress producer.CampaignProgress `json:"progress"`
		Phase    string                    `json:"phase"`
		Failed   int64                     `json:"failed"`
		Sent     int64                     `json:"sent"`
	}{r.CampaignProgress, r.Phase, r.Failed, r.Sent})
}

func rowOf(pr producer.CampaignProgress) CampaignRow {
	f := producer.FunnelOf(pr.Counts)
	return CampaignRow{CampaignProgress: pr, Phase: Phase(pr), Sent: f.Accepted, Failed: pr.Outcomes - f.Accepted}
}

type campaignsData struct {
	Rows     []CampaignRow
	State    string
	Account  string
	Phases   []string
	Accounts []string
}

func (c *Console) filter(r *http.Request) producer.CampaignFilter {
	q := r.URL.Query()
	f := producer.CampaignFilter{Account: q.Get("account"), State: q.Get("state")}
	if f.State == "all" {
		f.State = ""
	}
	return f
}

func (c *Console) campaignRows(r *http.Request, f producer.CampaignFilter) ([]CampaignRow, error) {
	list, err := c.cfg.Producer.ListCampaigns(r.Context(), f)
	if err != nil {
		return nil, err
	}
	rows := make([]CampaignRow, 0, len(list))
	for _, pr := range list {
		rows = append(rows, rowOf(pr))
	}
	return rows, nil
}

// campaignsPage lists the campaigns, filtered by state and account.
func (c *Console) campaignsPage(w http.ResponseWriter, r *http.Request) {
	f := c.filter(r)
	rows, err := c.campaignRows(r, f)
	if err != nil {
		c.storeFailed(w, r, "campaigns not listed", err)
		return
	}
	c.render(w, r, http.StatusOK, "campaigns", pageData{Title: "Campaigns", Page: "campaigns",
		Data: campaignsData{Rows: rows, State: f.State, Account: f.Account, Phases: phases, Accounts: c.cfg.Accounts}})
}

func (c *Console) apiCampaigns(w http.ResponseWriter, r *http.Request) {
	rows, err := c.campaignRows(r, c.filter(r))
	if err != nil {
		c.jsonFailed(w, r, "campaigns not listed", err)
		return
	}
	writeJSON(w, rows)
}

// CampaignView is one campaign as its page and its script read it.
type CampaignView struct {
	producer.CampaignDetail
	Phase string `json:"phase"`
	// Why says, for people, why its messages are not moving (empty when
	// nothing holds them).
	Why []string `json:"why"`
	// States are its counts by state, in the message package's order.
	States []StateCount `json:"states"`
}

// StateCount is how many of a campaign's messages are in one state.
type StateCount struct {
	State message.Status `json:"state"`
	Count int64          `json:"count"`
	Final bool           `json:"final"`
}

// MarshalJSON writes the progress under "progress" and the detail's
// other parts beside it (CampaignProgress's own MarshalJSON would
// otherwise stand for the whole view).
func (v CampaignView) MarshalJSON() ([]byte, error) {
	d := v.CampaignDetail
	return json.Marshal(struct {
		Progress   producer.CampaignProgress `json:"progress"`
		Phase      string                    `json:"phase"`
		Funnel     producer.Funnel           `json:"funnel"`
		Codes      []producer.CodeInfo       `json:"codes"`
		Waiting    producer.Waiting          `json:"waiting"`
		Resendable int64                     `json:"resendable"`
		Why        []string                  `json:"why"`
		States     []StateCount              `json:"states"`
	}{d.CampaignProgress, v.Phase, d.Funnel, d.Codes, d.Waiting, d.Resendable, v.Why, v.States})
}

// Why says why campaign d's messages wait.
func Why(d producer.CampaignDetail) []string {
	why := []string{}
	for _, h := range d.Waiting.Holds {
		why = append(why, h.Text)
	}
	if d.Waiting.AtRateLimit {
		why = append(why, fmt.Sprintf("draining at account %s's rate limit (%s/s)", d.Account, trimFloat(d.Waiting.Limit)))
	}
	return why
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

func (c *Console) view(r *http.Request, id string) (CampaignView, error) {
	// The account, and so its rate, is known only once the campaign is
	// read: read its progress first (counters only).
	pr, err := c.cfg.Producer.CampaignProgress(r.Context(), id)
	if err != nil {
		return CampaignView{}, err
	}
	d, err := c.cfg.Producer.CampaignDetail(r.Context(), id, c.cfg.Rates[pr.Account])
	if err != nil {
		return CampaignView{}, err
	}
	v := CampaignView{CampaignDetail: d, Phase: Phase(d.CampaignProgress), Why: Why(d), States: []StateCount{}}
	for _, s := range message.Statuses {
		v.States = append(v.States, StateCount{State: s, Count: d.Counts[s], Final: s.Outcome()})
	}
	return v, nil
}

type campaignData struct {
	V        CampaignView
	Rejects  []store.Reject
	ReadOnly bool
}

// maxShownRejects is how many rejected rows a campaign's page lists.
const maxShownRejects = 100

// campaignPage shows one campaign.
func (c *Console) campaignPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := c.view(r, id)
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(w, r, fmt.Sprintf("There is no campaign %q (or it was purged).", id))
		return
	}
	if err != nil {
		c.storeFailed(w, r, "campaign not read", err)
		return
	}
	rejects, err := c.cfg.Producer.CampaignRejects(r.Context(), id, maxShownRejects)
	if err != nil {
		c.storeFailed(w, r, "rejects not read", err)
		return
	}
	c.render(w, r, http.StatusOK, "campaign", pageData{Title: "Campaign " + id, Page: "campaigns",
		Data: campaignData{V: v, Rejects: rejects}})
}

func (c *Console) apiCampaign(w http.ResponseWriter, r *http.Request) {
	v, err := c.view(r, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such campaign", http.StatusNotFound)
		return
	}
	if err != nil {
		c.jsonFailed(w, r, "campaign not read", err)
		return
	}
	writeJSON(w, v)
}

// chartSVG draws the campaign's outcomes per second over its life.
func (c *Console) chartSVG(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pts, err := c.cfg.Producer.CampaignSeries(r.Context(), id, time.Time{})
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such campaign", http.StatusNotFound)
		return
	}
	if err != nil {
		c.log.Error("console: series not read", zap.String("campaign", id), zap.Error(err))
		http.Error(w, "the store (Redis) did not answer", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(Chart(pts, r.URL.Query().Get("size") == "narrow"))
}

// campaignActions are the changes a campaign's page offers.
var campaignActions = map[string]string{
	"pause":        "Pause",
	"resume":       "Resume",
	"cancel":       "Cancel",
	"retry-failed": "Retry failed",
}

type confirmData struct {
	ID, Action, Label, Question string
	Pause                       bool
	Reason                      string
	Resendable                  int64
}

// campaignAction pauses, resumes, cancels or retries a campaign, through
// the producer's operation of that name as the API does, after a
// confirmation page.
func (c *Console) campaignAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	label, ok := campaignActions[action]
	if !ok {
		c.notFound(w, r, "There is no such action.")
		return
	}
	ctx := r.Context()
	if r.PostFormValue("confirm") != "yes" {
		d := confirmData{ID: id, Action: action, Label: label, Pause: action == "pause", Reason: r.PostFormValue("reason")}
		v, err := c.view(r, id)
		if errors.Is(err, store.ErrNotFound) {
			c.notFound(w, r, fmt.Sprintf("There is no campaign %q.", id))
			return
		}
		if err != nil {
			c.storeFailed(w, r, "campaign not read", err)
			return
		}
		switch action {
		case "pause":
			d.Question = fmt.Sprintf("Pause campaign %s? Its queued messages (%s) wait, deferred, until it is resumed.", id, num(v.Pending))
		case "resume":
			d.Question = fmt.Sprintf("Resume campaign %s? Its queued messages (%s) go out again at the account's rate.", id, num(v.Pending))
		case "cancel":
			d.Question = fmt.Sprintf("Cancel campaign %s? Its queued messages (%s) end cancelled. This is final: a cancelled campaign cannot be resumed.", id, num(v.Pending))
		case "retry-failed":
			d.Resendable = v.Resendable
			d.Question = fmt.Sprintf("Send again what of campaign %s ended in a retryable failure or expired (about %s messages)?", id, num(v.Resendable))
		}
		c.render(w, r, http.StatusOK, "confirm", pageData{Title: label + " " + id, Page: "campaigns", Data: d})
		return
	}
	var (
		msg string
		err error
	)
	switch action {
	case "pause":
		var prev store.CampaignState
		prev, err = c.cfg.Producer.PauseCampaign(ctx, id, strings.TrimSpace(r.PostFormValue("reason")))
		msg = changed(id, prev, store.CampaignPaused, "paused")
	case "resume":
		var prev store.CampaignState
		prev, err = c.cfg.Producer.ResumeCampaign(ctx, id)
		msg = changed(id, prev, store.CampaignActive, "resumed")
	case "cancel":
		lift(w, c.cfg.LongRequestTimeout)
		var cr producer.CancelResult
		cr, err = c.cfg.Producer.CancelCampaign(ctx, id, c.cfg.CancelWait)
		msg = fmt.Sprintf("Campaign %s cancelled: %s queued messages ended cancelled, %s sends were under way.", id, num(cr.Cancelled), num(cr.InFlight))
	case "retry-failed":
		lift(w, c.cfg.LongRequestTimeout)
		var rr producer.RetryResult
		rr, err = c.cfg.Producer.RetryFailed(ctx, id)
		msg = fmt.Sprintf("Campaign %s: %s messages queued to be sent again.", id, num(rr.Requeued))
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.notFound(w, r, fmt.Sprintf("There is no campaign %q.", id))
		return
	case errors.Is(err, store.ErrCampaignCancelled):
		c.setFlash(r, "error", fmt.Sprintf("Campaign %s is cancelled, which is final: it cannot be %s.", id, strings.ToLower(label)+"d"))
	case err != nil:
		c.storeFailed(w, r, "campaign "+action, err)
		return
	default:
		c.log.Info("console: campaign "+action, zap.String("campaign", id))
		c.setFlash(r, "ok", msg)
	}
	http.Redirect(w, r, Prefix+"campaigns/"+url.PathEscape(id), http.StatusSeeOther)
}

func changed(id string, prev, now store.CampaignState, verb string) string {
	if prev == now {
		return fmt.Sprintf("Campaign %s was %s already: nothing changed.", id, now)
	}
	return fmt.Sprintf("Campaign %s %s (it was %s).", id, verb, prev)
}

// report streams the campaign's report through producer.Report with the
// options GET /v1/campaigns/{id}/report and `wabulk campaign report` use
// by default: the same bytes.
func (c *Console) report(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := producer.FormatCSV
	if q := r.URL.Query().Get("format"); q != "" {
		var err error
		if f, err = httpapi.ParseFormat(q); err != nil {
			c.errorPage(w, r, http.StatusBadRequest, "No such format", "A report is csv or jsonl.")
			return
		}
	}
	lift(w, c.cfg.LongRequestTimeout)
	httpapi.StreamReport(w, r, c.cfg.Producer, id, f, producer.ReportOptions{}, c.log, func(err error) {
		if errors.Is(err, store.ErrNotFound) {
			c.notFound(w, r, fmt.Sprintf("There is no campaign %q.", id))
			return
		}
		c.storeFailed(w, r, "report not written", err)
	})
}

// lift replaces the server's read and write timeouts for a request that
// takes as long as its data.
func lift(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(d))
	_ = rc.SetWriteDeadline(time.Now().Add(d))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func (c *Console) jsonFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.log.Error("console: "+what, zap.String("path", r.URL.Path), zap.Error(err))
	w.Header().Set("Retry-After", "5")
	http.Error(w, "the store (Redis) did not answer", http.StatusServiceUnavailable)
}
