// Package httpapi is the /v1 HTTP face of the producer: transactional
// messages and campaigns over bearer-token authenticated JSON, as
// documented by openapi.yaml (embedded as OpenAPI and served at
// GET /v1/openapi.yaml).
//
// It owns:
//
//   - routing: the route table (API.Routes), and JSON 404 and 405
//     answers for what it does not serve (api.go);
//   - authentication: bearer tokens, kept only as hashes and compared in
//     constant time (auth.go);
//   - errors: every answer that is not a success is an ErrorResponse with
//     a stable code, a message for people and the field at fault; JSON
//     bodies are read strictly (one value, no unknown field, a size
//     limit) and a decoding error names its field (errors.go);
//   - messages: POST and GET /v1/messages (messages.go);
//   - campaigns: their progress and the pause, resume, cancel and
//     retry-failed actions (campaigns.go), the multipart upload streamed
//     into an import with its rejected rows and admission control
//     (upload.go), and the streamed report (report.go);
//   - the OpenAPI document and the JSON types of the API's own answers
//     (CampaignUpload, Reject, CampaignAction, PauseRequest,
//     ErrorResponse). A contract test checks the document's routes against
//     the server both ways and its schemas against the Go types.
//
// It must never send anything or talk to a provider: a message or
// campaign becomes records and tasks through package producer, and
// package worker sends them. It holds no business rule either: what a
// valid message is, whether a campaign id is taken, how admission control
// estimates, what a report row holds, what pause, cancel and retry-failed
// do, all belong to producer. This package reads requests, calls the
// producer and turns its answers and errors into HTTP. It reads no
// environment or global config: internal/app builds its Config from the config file.
//
// Usage (internal/app does the wiring):
//
//	p := producer.New(st, asynqClient, producer.Config{DefaultRegion: "TZ"})
//	api, err := httpapi.New(p, httpapi.Config{
//		Tokens:         []string{token},
//		DefaultAccount: "tujenge-main",
//		Rates:          map[string]float64{"tujenge-main": 80},
//		Logger:         log.Named("api"),
//	})
//	if err != nil { ... } // httpapi.ErrNoTokens without a token
//	mux := http.NewServeMux()
//	mux.Handle("/v1/", api)
//	mux.Handle("/", webhooks)
//	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
package httpapi
