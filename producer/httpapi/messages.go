package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// sendBody is POST /v1/messages's body: a producer.SendRequest whose ttl
// and send_at are read here, so that a bad one is named.
type sendBody struct {
	producer.SendRequest
	TTL    *string `json:"ttl"`
	SendAt *string `json:"send_at"`
}

// postMessage sends one message: producer.Producer.Send checks and stores
// it; 202 for a new message, 200 for an idempotent replay.
func (a *API) postMessage(w http.ResponseWriter, r *http.Request) {
	var body sendBody
	if e := a.decodeJSON(w, r, &body); e != nil {
		a.fail(w, e)
		return
	}
	req := body.SendRequest
	if body.TTL != nil {
		var d producer.Duration
		if err := d.UnmarshalText([]byte(*body.TTL)); err != nil {
			a.fail(w, invalid("ttl", "ttl: %v", err))
			return
		}
		req.TTL = d
	}
	if body.SendAt != nil && *body.SendAt != "" {
		t, err := time.Parse(time.RFC3339, *body.SendAt)
		if err != nil {
			a.fail(w, invalid("send_at", "send_at: %q is not an RFC 3339 time (e.g. 2026-11-21T09:00:00+03:00)", *body.SendAt))
			return
		}
		req.SendAt = t
	}
	if hk := strings.TrimSpace(r.Header.Get("Idempotency-Key")); hk != "" {
		if req.IdempotencyKey != "" && req.IdempotencyKey != hk {
			a.fail(w, invalid("idempotency_key", "idempotency_key: the Idempotency-Key header says %q and the body %q; send one, or the same in both", hk, req.IdempotencyKey))
			return
		}
		req.IdempotencyKey = hk
	}
	if strings.TrimSpace(req.Account) == "" {
		req.Account = a.cfg.DefaultAccount
	}
	if e := a.checkAccount("account", strings.TrimSpace(req.Account)); e != nil {
		a.fail(w, e)
		return
	}
	res, err := a.p.Send(r.Context(), req)
	var fe *producer.FieldError
	switch {
	case errors.As(err, &fe):
		a.fail(w, invalid(fe.Field, "%v", fe))
		return
	case errors.Is(err, producer.ErrIdempotencyConflict):
		a.fail(w, &httpError{status: http.StatusConflict, code: "idempotency_conflict", field: "idempotency_key", msg: err.Error()})
		return
	case err != nil:
		a.unavailable(w, r, "message not stored", err)
		return
	}
	a.log.Debug("api: message", zap.String("id", res.ID), zap.String("status", string(res.Status)), zap.Bool("replay", res.IdempotentReplay))
	w.Header().Set("Location", "/v1/messages/"+url.PathEscape(res.ID))
	status := http.StatusAccepted
	if res.IdempotentReplay {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

// getMessage answers a message as the store has it (producer.MessageInfo).
func (a *API) getMessage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m, err := a.p.Message(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "", fmt.Sprintf("no message %q", id))
	case err != nil:
		a.unavailable(w, r, "message not read", err)
	default:
		writeJSON(w, http.StatusOK, m)
	}
}
