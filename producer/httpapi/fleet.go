package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/fleet"
)

// AccountList is the answer of GET /v1/accounts.
type AccountList struct {
	Accounts []fleet.Account `json:"accounts"`
}

// withFleet answers 404 when the API was built without a Fleet.
func (a *API) withFleet(w http.ResponseWriter, r *http.Request) bool {
	if a.cfg.Fleet == nil {
		writeError(w, http.StatusNotFound, "no_such_endpoint", "", fmt.Sprintf("no endpoint %s %s on this server", r.Method, r.URL.Path))
		return false
	}
	return true
}

// fleetError answers an error of the fleet: 404 for an unknown account,
// 422 for a number that is not one, 503 for the store.
func (a *API) fleetError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var bad *fleet.InvalidNumberError
	switch {
	case errors.Is(err, fleet.ErrUnknownAccount):
		writeError(w, http.StatusNotFound, "not_found", "", err.Error())
	case errors.As(err, &bad):
		a.fail(w, invalid("number", "%v", err))
	default:
		a.unavailable(w, r, what, err)
	}
}

func (a *API) listAccounts(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	as, err := a.cfg.Fleet.Accounts(r.Context())
	if err != nil {
		a.fleetError(w, r, "accounts not read", err)
		return
	}
	writeJSON(w, http.StatusOK, AccountList{Accounts: as})
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	acc, err := a.cfg.Fleet.Account(r.Context(), r.PathValue("name"))
	if err != nil {
		a.fleetError(w, r, "account not read", err)
		return
	}
	writeJSON(w, http.StatusOK, acc)
}

// accountAction pauses or resumes an account and answers it as it stands
// after.
func (a *API) accountAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.withFleet(w, r) {
			return
		}
		name, ctx := r.PathValue("name"), r.Context()
		var err error
		switch action {
		case "pause":
			var body PauseRequest
			if e := a.decodeOptionalJSON(w, r, &body); e != nil {
				a.fail(w, e)
				return
			}
			err = a.cfg.Fleet.PauseAccount(ctx, name, strings.TrimSpace(body.Reason))
		case "resume":
			err = a.cfg.Fleet.ResumeAccount(ctx, name)
		}
		if err != nil {
			a.fleetError(w, r, "account not "+pastTense(action), err)
			return
		}
		a.log.Info("api: account "+pastTense(action), zap.String("account", name))
		acc, err := a.cfg.Fleet.Account(ctx, name)
		if err != nil {
			a.fleetError(w, r, "account not read", err)
			return
		}
		writeJSON(w, http.StatusOK, acc)
	}
}

func (a *API) checkAccountRoute(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	res, err := a.cfg.Fleet.Check(r.Context(), r.PathValue("name"))
	if err != nil {
		a.fleetError(w, r, "account not checked", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ScheduleList is the answer of GET /v1/schedules.
type ScheduleList struct {
	Jobs []fleet.Job `json:"jobs"`
}

func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	jobs, err := a.cfg.Fleet.Schedules(r.Context(), 5, 5)
	if err != nil {
		a.fleetError(w, r, "schedules not read", err)
		return
	}
	writeJSON(w, http.StatusOK, ScheduleList{Jobs: jobs})
}

func (a *API) listOptOuts(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 10000 {
			a.fail(w, invalid("limit", "limit %q: want a count from 1 to 10000", v))
			return
		}
		limit = n
	}
	res, err := a.cfg.Fleet.SearchOptOuts(r.Context(), r.PathValue("account"), q.Get("q"), limit)
	if err != nil {
		a.fleetError(w, r, "opt-outs not read", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// OptOutRequest is the body of POST /v1/optouts/{account}.
type OptOutRequest struct {
	// Number is the contact, in E.164 (or national, with Region).
	Number string `json:"number"`
	Region string `json:"region,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// OptOutChange is what adding or removing an opt-out did.
type OptOutChange struct {
	Account  string `json:"account"`
	Contact  string `json:"contact"`
	OptedOut bool   `json:"opted_out"`
}

func (a *API) addOptOut(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	var body OptOutRequest
	if e := a.decodeJSON(w, r, &body); e != nil {
		a.fail(w, e)
		return
	}
	account := r.PathValue("account")
	to, err := a.cfg.Fleet.OptOut(r.Context(), account, body.Number, body.Region, body.Reason)
	if err != nil {
		a.fleetError(w, r, "opt-out not recorded", err)
		return
	}
	a.log.Info("api: opt-out added", zap.String("account", account))
	writeJSON(w, http.StatusOK, OptOutChange{Account: account, Contact: to, OptedOut: true})
}

func (a *API) removeOptOut(w http.ResponseWriter, r *http.Request) {
	if !a.withFleet(w, r) {
		return
	}
	account := r.PathValue("account")
	to, err := a.cfg.Fleet.OptIn(r.Context(), account, r.PathValue("number"), r.URL.Query().Get("region"))
	if err != nil {
		a.fleetError(w, r, "opt-out not removed", err)
		return
	}
	a.log.Info("api: opt-out removed", zap.String("account", account))
	writeJSON(w, http.StatusOK, OptOutChange{Account: account, Contact: to, OptedOut: false})
}
