package httpapi_test

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// An upload imports like `wabulk import`: bad rows are listed with their
// line and the rest is imported; a re-upload resumes.
func TestCampaignUpload(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{MaxRejects: 2})
	csvBody := "phone,name\n+255712345678,Amina\n12345,Baraka\n0712345679,Chausiku\n+255712345678,Amina\n+255712345680,\n"
	got := a.upload(t, "", formPart{"spec", "spring.yaml", "application/yaml", apiSpec}, formPart{"recipients", "r.csv", "text/csv", csvBody})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	var up httpapi.CampaignUpload
	got.json(t, &up)
	want := httpapi.CampaignUpload{ID: "spring", Created: true, Lines: 5, Accepted: 2, Duplicate: 1, Rejected: 2, Rejects: []httpapi.Reject{
		{Line: 3, Reason: `phone "12345" is not a valid phone number`},
		{Line: 6, Reason: `column "name" is empty (the message uses {{name}})`},
	}}
	noEstimate := cmpopts.IgnoreFields(httpapi.CampaignUpload{}, "Admission")
	if diff := cmp.Diff(want, up, noEstimate); diff != "" {
		t.Errorf("upload answer (-want +got):\n%s", diff)
	}
	if e := up.Admission; e == nil || e.Account != "tujenge-main" || e.Rate != 80 || e.Rows != 2 || up.Warning != "" {
		t.Errorf("admission estimate %+v, warning %q; want 2 messages at 80/s, fitting", e, up.Warning)
	}
	if loc := got.header.Get("Location"); loc != "/v1/campaigns/spring" {
		t.Errorf("Location %q", loc)
	}
	var tos []string
	for _, m := range a.h.Pending(t, message.LaneNormal) {
		tos = append(tos, m.To+" "+m.Content.Text.Body)
	}
	if diff := cmp.Diff([]string{"+255712345678 Hi Amina", "+255712345679 Hi Chausiku"}, tos); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}

	// Again, as JSON spec and JSONL recipients: nothing new.
	specJSON := `{"id": "spring", "account": "tujenge-main", "message": {"text": {"body": "Hi {{name}}"}}}`
	jsonl := `{"phone": "+255712345678", "name": "Amina"}` + "\n" + `{"phone": "+255712345681", "name": "Dora"}` + "\n"
	got = a.upload(t, "", formPart{"spec", "", "", specJSON}, formPart{"recipients", "r.jsonl", "", jsonl})
	up = httpapi.CampaignUpload{}
	got.json(t, &up)
	want = httpapi.CampaignUpload{ID: "spring", Lines: 2, Accepted: 1, AlreadyPresent: 1, Rejects: []httpapi.Reject{}}
	if diff := cmp.Diff(want, up, noEstimate); got.status != http.StatusOK || diff != "" {
		t.Errorf("re-upload: %d (-want +got):\n%s", got.status, diff)
	}

	// The same id with another spec.
	got = a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "Hi", "Hello", 1)}, formPart{"recipients", "r.csv", "", csvBody})
	if e := got.apiErr(t); got.status != http.StatusConflict || e.Code != "campaign_conflict" || e.Field != "spec" {
		t.Errorf("another spec: %d %+v", got.status, e)
	}

	// The format part, and the cap on listed rejects.
	b := a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "spring", "capped", 1)}, formPart{"format", "", "", "csv"},
		formPart{"recipients", "r.txt", "", "phone,name\n1,a\n2,b\n3,c\n4,d\n"})
	up = httpapi.CampaignUpload{}
	b.json(t, &up)
	if b.status != http.StatusCreated || up.Rejected != 4 || len(up.Rejects) != 2 || !up.RejectsTruncated || up.Rejects[1].Line != 3 {
		t.Errorf("capped rejects: %d %+v", b.status, up)
	}
}

// Admission control: an upload that would not drain within its TTL is
// answered with a warning, or refused before anything is imported when
// strict.
func TestCampaignUploadAdmission(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{Rates: map[string]float64{"tujenge-main": 0.0001, "unlimited": -1}})
	spec := func(id string) formPart {
		return formPart{"spec", "", "", "ttl: 1h\n" + strings.Replace(apiSpec, "spring", id, 1)}
	}
	rows := formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\n"}

	got := a.upload(t, "?strict=true&rows=2", spec("strict"), rows)
	if e := got.apiErr(t); got.status != 422 || e.Code != "admission_refused" || !strings.Contains(e.Message, "past the 1h TTL") {
		t.Errorf("strict upload past its TTL: %d %+v", got.status, e)
	}
	if _, err := a.h.St.Campaign(bg, "strict"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused campaign was stored: %v", err)
	}
	got = a.upload(t, "?strict=true", spec("strict"), rows)
	if e := got.apiErr(t); got.status != 422 || e.Field != "rows" {
		t.Errorf("strict without rows: %d %+v", got.status, e)
	}

	got = a.upload(t, "", spec("lenient"), rows)
	var raw map[string]any
	got.json(t, &raw)
	adm, _ := raw["admission"].(map[string]any)
	if got.status != 201 || adm["fits"] != false || adm["rows"] != 2.0 || !strings.Contains(raw["warning"].(string), "past the 1h TTL") {
		t.Errorf("upload past its TTL: %d %s", got.status, got.body)
	}

	got = a.upload(t, "?strict=true&rows=2", formPart{"spec", "", "", strings.Replace(apiSpec, "tujenge-main", "unlimited", 1)}, rows)
	raw = nil
	got.json(t, &raw)
	if _, ok := raw["admission"]; got.status != 201 || ok {
		t.Errorf("an account without a limit: %d %s", got.status, got.body)
	}
}

func TestCampaignUploadErrors(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{MaxUploadBytes: 4 << 10})
	good := formPart{"spec", "", "", apiSpec}
	for _, c := range []struct {
		name, query string
		parts       []formPart
		status      int
		code, field string
		msg         string
	}{
		{"no spec", "", []formPart{{"recipients", "r.csv", "", "phone,name\n"}}, 422, "invalid_request", "spec", "must come before"},
		{"recipients before spec", "", []formPart{{"recipients", "r.csv", "", "phone,name\n"}, good}, 422, "invalid_request", "spec", "must come before"},
		{"no recipients", "", []formPart{good}, 422, "invalid_request", "recipients", "no recipients part"},
		{"bad spec", "", []formPart{{"spec", "", "", "id: x\naccount: tujenge-main\nmesage: {}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec", `unknown field "mesage"`},
		{"invalid spec", "", []formPart{{"spec", "", "", "id: x\nmessage: {text: {body: hi}}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec", "account is required"},
		{"unknown account", "", []formPart{{"spec", "", "", "id: x\naccount: nope\nmessage: {text: {body: hi}}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec.account", `no provider account "nope"`},
		{"no phone column", "", []formPart{good, {"recipients", "r.csv", "", "tel,name\n1,a\n"}}, 422, "invalid_request", "recipients", "header has no phone column"},
		{"missing placeholder column", "", []formPart{good, {"recipients", "r.csv", "", "phone\n+255712345678\n"}}, 422, "invalid_request", "recipients", "{{name}}"},
		{"unclosed quote", "", []formPart{good, {"recipients", "r.csv", "", "phone,name\n+255712345678,\"Amina\n+255712345679,B\n"}}, 422, "invalid_request", "recipients", "never closed"},
		{"bad format", "?format=xlsx", []formPart{good, {"recipients", "", "", "phone,name\n"}}, 422, "invalid_request", "format", `"xlsx": want csv or jsonl`},
		{"bad format part", "", []formPart{good, {"format", "", "", "tsv"}, {"recipients", "", "", "phone,name\n"}}, 422, "invalid_request", "format", "want csv or jsonl"},
		{"unknown part", "", []formPart{good, {"file", "", "", "x"}}, 422, "invalid_request", "file", `unknown part "file"`},
		{"too large", "", []formPart{good, {"recipients", "r.csv", "", "phone,name\n" + strings.Repeat("+255712345678,Amina\n", 1000)}}, 413, "too_large", "recipients", "over the limit"},
	} {
		got := a.upload(t, c.query, c.parts...)
		e := got.apiErr(t)
		if got.status != c.status || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %d %+v\nwant %d %s field %q message containing %q", c.name, got.status, e, c.status, c.code, c.field, c.msg)
		}
	}
	got := a.do(t, http.MethodPost, "/v1/campaigns", strings.NewReader(apiSpec), http.Header{"Content-Type": {"application/yaml"}})
	if e := got.apiErr(t); got.status != 415 || e.Code != "unsupported_media_type" {
		t.Errorf("not multipart: %d %+v", got.status, e)
	}
}

// An upload over Config.MaxConcurrentUploads is answered 429 with
// Retry-After while the others go on; once one ends, the next is taken.
func TestCampaignUploadConcurrencyLimit(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{MaxConcurrentUploads: 1})
	// The first upload's body is read by the API only once it holds its
	// slot: reading is the signal.
	reading := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Slow") != "" {
			r.Body = &signalBody{ReadCloser: r.Body, read: func() { once.Do(func() { close(reading) }) }}
		}
		a.api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	a.srv = srv

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/campaigns", pr)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Test-Slow", "1")
	first := make(chan int, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err != nil {
			first <- 0
			return
		}
		_ = resp.Body.Close()
		first <- resp.StatusCode
	}()
	spec, err := mw.CreateFormField("spec")
	must(t, err)
	_, err = io.WriteString(spec, apiSpec)
	must(t, err)
	<-reading

	got := a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "spring", "second", 1)}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345679,Baraka\n"})
	if e := got.apiErr(t); got.status != http.StatusTooManyRequests || e.Code != "too_many_uploads" || got.header.Get("Retry-After") == "" {
		t.Errorf("upload over the limit: %d %s (Retry-After %q); want 429 too_many_uploads with Retry-After", got.status, got.body, got.header.Get("Retry-After"))
	}

	rows, err := mw.CreateFormFile("recipients", "r.csv")
	must(t, err)
	_, err = io.WriteString(rows, "phone,name\n+255712345678,Amina\n")
	must(t, err)
	must(t, mw.Close())
	must(t, pw.Close())
	if status := <-first; status != http.StatusCreated {
		t.Errorf("the upload under way: %d; want 201", status)
	}

	got = a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "spring", "second", 1)}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345679,Baraka\n"})
	if got.status != http.StatusCreated {
		t.Errorf("upload after the first ended: %d %s; want 201", got.status, got.body)
	}
}

// signalBody calls read on every Read.
type signalBody struct {
	io.ReadCloser
	read func()
}

func (b *signalBody) Read(p []byte) (int, error) {
	b.read()
	return b.ReadCloser.Read(p)
}

// A row over the record limit in an upload is a rejected row with its
// line; the rows around it are imported.
func TestCampaignUploadRejectsAnOverlongRow(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "",
		"phone,name\n+255712345678,Amina\n+255712345679," + strings.Repeat("x", 1<<20) + "\n+255712345680,Chiku\n"})
	var up httpapi.CampaignUpload
	got.json(t, &up)
	want := []httpapi.Reject{{Line: 3, Reason: "row is longer than 65536 bytes"}}
	if got.status != http.StatusCreated || up.Accepted != 2 || up.Rejected != 1 || !cmp.Equal(want, up.Rejects) {
		t.Errorf("upload: %d %s", got.status, got.body)
	}
}
