package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/fleet"
)

type providersData struct {
	Accounts []fleet.Account
}

// providersPage shows each provider account: rates, breaker, pause, load.
func (c *Console) providersPage(w http.ResponseWriter, r *http.Request) {
	as, err := c.cfg.Fleet.Accounts(r.Context())
	if err != nil {
		c.storeFailed(w, r, "accounts not read", err)
		return
	}
	c.render(w, r, http.StatusOK, "providers", pageData{Title: "Providers", Page: "providers", Data: providersData{Accounts: as}})
}

func (c *Console) apiProviders(w http.ResponseWriter, r *http.Request) {
	as, err := c.cfg.Fleet.Accounts(r.Context())
	if err != nil {
		c.jsonFailed(w, r, "accounts not read", err)
		return
	}
	writeJSON(w, as)
}

// providerAction pauses, resumes or checks an account.
func (c *Console) providerAction(w http.ResponseWriter, r *http.Request) {
	name, action := r.PathValue("name"), r.PathValue("action")
	ctx := r.Context()
	var err error
	switch action {
	case "pause":
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if err = c.cfg.Fleet.PauseAccount(ctx, name, reason); err == nil {
			c.setFlash(r, "ok", fmt.Sprintf("Account %s paused: its messages wait (deferred, never failed) until it is resumed.", name))
		}
	case "resume":
		if err = c.cfg.Fleet.ResumeAccount(ctx, name); err == nil {
			c.setFlash(r, "ok", fmt.Sprintf("Account %s resumed.", name))
		}
	case "check":
		var res fleet.CheckResult
		if res, err = c.cfg.Fleet.Check(ctx, name); err == nil {
			kind := "ok"
			if !res.OK {
				kind = "error"
			}
			c.setFlash(r, kind, fmt.Sprintf("Check of %s: %s. %s", name, res.Verdict, res.Detail))
		}
	default:
		c.notFound(w, r, "There is no such action.")
		return
	}
	switch {
	case errors.Is(err, fleet.ErrUnknownAccount):
		c.notFound(w, r, fmt.Sprintf("There is no provider account %q.", name))
		return
	case err != nil:
		c.storeFailed(w, r, "account "+action, err)
		return
	}
	c.log.Info("console: account "+action, zap.String("account", name))
	http.Redirect(w, r, Prefix+"providers", http.StatusSeeOther)
}

type optOutsData struct {
	Accounts []string
	Account  string
	Query    string
	List     fleet.OptOuts
	Error    string
	Number   string
	Reason   string
}

// maxShownOptOuts is how many entries a search lists.
const maxShownOptOuts = 200

// optOutsPage searches one account's opt-outs.
func (c *Console) optOutsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := optOutsData{Accounts: c.cfg.Accounts, Account: q.Get("account"), Query: q.Get("q")}
	c.optOuts(w, r, http.StatusOK, d)
}

func (c *Console) optOuts(w http.ResponseWriter, r *http.Request, status int, d optOutsData) {
	if d.Account == "" && len(d.Accounts) > 0 {
		d.Account = d.Accounts[0]
	}
	if d.Account != "" {
		list, err := c.cfg.Fleet.SearchOptOuts(r.Context(), d.Account, d.Query, maxShownOptOuts)
		switch {
		case errors.Is(err, fleet.ErrUnknownAccount):
			c.notFound(w, r, fmt.Sprintf("There is no provider account %q.", d.Account))
			return
		case err != nil:
			c.storeFailed(w, r, "opt-outs not read", err)
			return
		}
		d.List = list
	}
	c.render(w, r, status, "optouts", pageData{Title: "Opt-outs", Page: "optouts", Data: d})
}

// optOutAction adds a number to an account's opt-outs or takes it off.
func (c *Console) optOutAction(w http.ResponseWriter, r *http.Request) {
	account, number := r.PostFormValue("account"), strings.TrimSpace(r.PostFormValue("number"))
	d := optOutsData{Accounts: c.cfg.Accounts, Account: account, Query: r.PostFormValue("q")}
	var (
		to  string
		err error
	)
	switch r.PathValue("action") {
	case "add":
		d.Number, d.Reason = number, r.PostFormValue("reason")
		if to, err = c.cfg.Fleet.OptOut(r.Context(), account, number, "", d.Reason); err == nil {
			c.setFlash(r, "ok", fmt.Sprintf("%s opted out of %s: no campaign message goes to it.", to, account))
		}
	case "remove":
		if to, err = c.cfg.Fleet.OptIn(r.Context(), account, number, ""); err == nil {
			c.setFlash(r, "ok", fmt.Sprintf("%s taken off %s's opt-outs.", to, account))
		}
	default:
		c.notFound(w, r, "There is no such action.")
		return
	}
	var bad *fleet.InvalidNumberError
	switch {
	case errors.As(err, &bad):
		d.Error = fmt.Sprintf("%q is not a phone number this console can read (%v). Write it in international form, e.g. +255712345678. Nothing was changed.", bad.Number, bad.Err)
		c.optOuts(w, r, http.StatusUnprocessableEntity, d)
		return
	case errors.Is(err, fleet.ErrUnknownAccount):
		c.notFound(w, r, fmt.Sprintf("There is no provider account %q.", account))
		return
	case err != nil:
		c.storeFailed(w, r, "opt-out not changed", err)
		return
	}
	c.log.Info("console: opt-out "+r.PathValue("action"), zap.String("account", account))
	http.Redirect(w, r, Prefix+"optouts?"+url.Values{"account": {account}, "q": {d.Query}}.Encode(), http.StatusSeeOther)
}

type schedulesData struct {
	Jobs []fleet.Job
}

// schedulesPage shows the recurring jobs, their next fire times and last
// occurrences.
func (c *Console) schedulesPage(w http.ResponseWriter, r *http.Request) {
	jobs, err := c.cfg.Fleet.Schedules(r.Context(), 5, 5)
	if err != nil {
		c.storeFailed(w, r, "schedules not read", err)
		return
	}
	c.render(w, r, http.StatusOK, "schedules", pageData{Title: "Schedules", Page: "schedules", Data: schedulesData{Jobs: jobs}})
}
