package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// When Redis does not answer, the API says 503 and asks for a retry.
func TestStoreDownIs503(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.Config{Prefix: "down:"})
	client := asynq.NewClientFromRedisClient(rdb)
	a, err := httpapi.New(producer.New(st, client, producer.Config{}), httpapi.Config{Tokens: []string{apiToken}})
	must(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	x := &apiEnv{srv: srv}
	for _, r := range []struct {
		method, path, body string
		header             http.Header
	}{
		{"POST", "/v1/messages", `{"account": "a", "to": "+255712345678", "content": ` + apiTextContent + `}`, http.Header{"Idempotency-Key": {"k"}, "Content-Type": {"application/json"}}},
		{"POST", "/v1/messages", `{"account": "a", "to": "+255712345678", "content": ` + apiTextContent + `}`, http.Header{"Content-Type": {"application/json"}}},
		{"GET", "/v1/messages/api:k", "", nil},
		{"GET", "/v1/campaigns/c", "", nil},
		{"POST", "/v1/campaigns/c/pause", "", nil},
		{"POST", "/v1/campaigns/c/retry-failed", "", nil},
		{"GET", "/v1/campaigns/c/report", "", nil},
	} {
		g := x.do(t, r.method, r.path, strings.NewReader(r.body), r.header)
		if e := g.apiErr(t); g.status != 503 || e.Code != "unavailable" || g.header.Get("Retry-After") == "" || strings.Contains(e.Message, "127.0.0.1") {
			t.Errorf("%s %s with Redis down: %d %+v", r.method, r.path, g.status, e)
		}
	}
	body, header := apiMultipart(t, formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,A\n"})
	g := x.do(t, "POST", "/v1/campaigns", body, header)
	if e := g.apiErr(t); g.status != 503 || e.Code != "unavailable" {
		t.Errorf("upload with Redis down: %d %+v", g.status, e)
	}
}
