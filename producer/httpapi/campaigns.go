package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// CampaignAction is what pause, resume or cancel did.
type CampaignAction struct {
	ID            string              `json:"id"`
	State         store.CampaignState `json:"state"`
	PreviousState store.CampaignState `json:"previous_state"`
	// Changed is false when the campaign was in that state already.
	Changed bool `json:"changed"`
	// Cancel only: how many queued messages it ended cancelled, and how
	// many sends that started before it were still under way when it
	// stopped waiting (their outcome is the provider's answer).
	Cancelled *int64 `json:"cancelled,omitempty"`
	InFlight  *int64 `json:"in_flight,omitempty"`
}

// PauseRequest is the optional body of POST /v1/campaigns/{id}/pause.
type PauseRequest struct {
	Reason string `json:"reason,omitempty"`
}

// getCampaign answers where a campaign stands (producer.CampaignProgress).
func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pr, err := a.p.CampaignProgress(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.noCampaign(w, id)
	case err != nil:
		a.unavailable(w, r, "campaign not read", err)
	default:
		writeJSON(w, http.StatusOK, pr)
	}
}

func (a *API) noCampaign(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "not_found", "", fmt.Sprintf("no campaign %q", id))
}

// campaignAction pauses, resumes or cancels a campaign through the
// producer's operation of that name, and answers a CampaignAction.
func (a *API) campaignAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		ctx := r.Context()
		res := CampaignAction{ID: id}
		var err error
		switch action {
		case "pause":
			var body PauseRequest
			if e := a.decodeOptionalJSON(w, r, &body); e != nil {
				a.fail(w, e)
				return
			}
			res.State = store.CampaignPaused
			res.PreviousState, err = a.p.PauseCampaign(ctx, id, strings.TrimSpace(body.Reason))
		case "resume":
			res.State = store.CampaignActive
			res.PreviousState, err = a.p.ResumeCampaign(ctx, id)
		case "cancel":
			a.lift(w) // it settles every queued message of the campaign
			var cr producer.CancelResult
			cr, err = a.p.CancelCampaign(ctx, id, a.cfg.CancelWait)
			res.State, res.PreviousState = store.CampaignCancelled, cr.Previous
			res.Cancelled, res.InFlight = &cr.Cancelled, &cr.InFlight
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.noCampaign(w, id)
			return
		case errors.Is(err, store.ErrCampaignCancelled):
			a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_cancelled",
				msg: fmt.Sprintf("campaign %s is cancelled, which is final: it cannot be %sd", id, action)})
			return
		case err != nil:
			a.unavailable(w, r, "campaign not "+pastTense(action), err)
			return
		}
		res.Changed = res.PreviousState != res.State
		a.log.Info("api: campaign "+pastTense(action), zap.String("campaign", id), zap.String("previous", string(res.PreviousState)))
		writeJSON(w, http.StatusOK, res)
	}
}

// retryFailed sends again what of a campaign ended in a retryable failure
// or expired (producer.Producer.RetryFailed).
func (a *API) retryFailed(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a.lift(w) // it reads every message of the campaign
	res, err := a.p.RetryFailed(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.noCampaign(w, id)
	case errors.Is(err, store.ErrCampaignCancelled):
		a.fail(w, &httpError{status: http.StatusConflict, code: "campaign_cancelled",
			msg: fmt.Sprintf("campaign %s is cancelled, which is final: nothing of it is sent again", id)})
	case err != nil && StoreDown(err):
		a.unavailable(w, r, "campaign not retried", err)
	case err != nil:
		a.log.Error("api: retry-failed", zap.String("campaign", id), zap.Error(err))
		writeError(w, http.StatusInternalServerError, "internal", "", err.Error())
	default:
		a.log.Info("api: campaign retried", zap.String("campaign", id), zap.Int64("requeued", res.Requeued))
		writeJSON(w, http.StatusOK, res)
	}
}

func pastTense(action string) string {
	if action == "cancel" {
		return "cancelled"
	}
	return strings.TrimSuffix(action, "e") + "ed"
}
