package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/jsonkeys"
)

// ErrorResponse is the body of every answer that is not a success.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what was wrong with a request (the APIError schema of
// the OpenAPI document).
type ErrorDetail struct {
	// Code is stable, for programs: invalid_json, invalid_request,
	// unauthorized, not_found, no_such_endpoint, method_not_allowed,
	// idempotency_conflict, campaign_conflict, campaign_cancelled,
	// admission_refused, too_large, unsupported_media_type, unavailable,
	// internal.
	Code string `json:"code"`
	// Message is for people: what was wrong and how to fix it.
	Message string `json:"message"`
	// Field names the request field (JSON field, multipart part or query
	// parameter) that is wrong, when one is.
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, ErrorResponse{Error: ErrorDetail{Code: code, Message: msg, Field: field}})
}

// httpError is an answer a handler's step decided on.
type httpError struct {
	status      int
	code, field string
	msg         string
}

func (e *httpError) Error() string { return e.msg }

func (a *API) fail(w http.ResponseWriter, e *httpError) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeError(w, e.status, e.code, e.field, e.msg)
}

// unavailable answers a store failure: logged with its cause, answered
// without it.
func (a *API) unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.Error("api: "+what, zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "unavailable", "", what+": the store (Redis) did not answer; try again")
}

func invalid(field, format string, a ...any) *httpError {
	return &httpError{status: http.StatusUnprocessableEntity, code: "invalid_request", field: field, msg: fmt.Sprintf(format, a...)}
}

// StoreDown reports whether err comes from Redis failing rather than from
// the request (the web console tells its 503s from its 422s with it too).
func StoreDown(err error) bool {
	var (
		ne net.Error
		re redis.Error
	)
	return errors.As(err, &ne) || errors.As(err, &re) || errors.Is(err, redis.ErrClosed) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// decodeJSON reads r's body into v: JSON (Content-Type application/json
// or none), at most MaxBody bytes, no unknown fields, one value.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				msg: fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		return a.jsonError(err)
	}
	// encoding/json keeps the last of duplicate keys and ignores case:
	// {"to":A,"TO":B} must not quietly pick one.
	if err := jsonkeys.Check(body); err != nil {
		return &httpError{status: http.StatusBadRequest, code: "invalid_json", msg: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return a.jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return a.jsonError(err)
		}
		return &httpError{status: http.StatusBadRequest, code: "invalid_json", msg: "body holds more than one JSON value"}
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func (a *API) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		return a.jsonError(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return a.decodeJSON(w, r, v)
}

// jsonError turns a decoding error into an answer that names the field
// at fault, when there is one.
func (a *API) jsonError(err error) *httpError {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	bad := func(field, format string, args ...any) *httpError {
		return &httpError{status: http.StatusBadRequest, code: "invalid_json", field: field, msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case errors.As(err, &tooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: fmt.Sprintf("body is over the limit of %d bytes", a.cfg.MaxBody)}
	case errors.Is(err, io.EOF):
		return bad("", "body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("", "body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return bad("", "body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return bad("", "body must be a JSON object, not %s", typ.Value)
		}
		return bad(field, "%s: want %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for it.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return bad(name, "unknown field %q (GET /v1/openapi.yaml lists the fields)", name)
	}
	return bad("", "body is not valid JSON: %v", err)
}

// jsonPath drops the Go names of embedded structs ("SendRequest.to") from
// a decoding error's field path: JSON names are lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 0 && parts[0] != "" && parts[0][0] >= 'A' && parts[0][0] <= 'Z' {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}
