// Package console is wabulk's web console: server-rendered pages under
// /ui/ for the people who run campaigns. It shows the campaigns (list
// with progress, rate and ETA; one campaign's outcomes per second, funnel,
// states, error codes with their meaning, why it waits, rejected rows),
// previews and imports a new campaign, and shows the provider accounts,
// the opt-out lists and the recurring schedules, each with its actions.
//
// It is a room of its own, not a part of producer/httpapi, because it is
// the face of several rooms at once: campaigns (producer), accounts,
// opt-outs and schedules (internal/fleet, which reads the scheduler's
// jobs). It owns sign-in, sessions, CSRF, pages and their small script;
// it reads and acts only through the same calls the HTTP API and the CLI
// use (producer.Producer.ListCampaigns, CampaignDetail, CampaignSeries,
// Preview, Import, Report, PauseCampaign...; fleet.Fleet.Accounts,
// SearchOptOuts, Schedules...), so the three always tell one story, and
// every view is read from counters: a campaign of a million recipients
// costs what one of a hundred does.
//
// Security: a browser signs in with one of the API tokens (compared in
// constant time); the session lives in Redis (several serve replicas
// share it, a sign-out ends it everywhere) and keeps a fingerprint of the
// token, never the token, checked against the configured tokens on every
// request. The cookie is HttpOnly and SameSite=Strict; every change is a
// POST carrying the session's CSRF token and, where the browser says, a
// same-origin Origin. A read-only token sees everything and every action
// of it is refused with 403. Pages are html/template (every value
// escaped), under a Content-Security-Policy without inline script or
// style; the script writes data with textContent only.
//
// It must never query Redis for campaign data itself, hold a token in
// clear beyond New, or fetch anything at run time (every asset is
// embedded).
//
// Usage (serve mounts it when the API is on):
//
//	c, err := console.New(console.Config{Producer: p, Fleet: f, Rates: rates,
//		Tokens: tokens, Redis: rdb, Prefix: "wabulk:"})
//	mux.Handle("/ui/", c)
//	mux.Handle("/ui", c) // redirects to /ui/
package console
