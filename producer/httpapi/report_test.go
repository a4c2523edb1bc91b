package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
)

// The report of a cancelled campaign through HTTP: one row per recipient,
// CSV (the default) or JSONL, and no other format.
func TestReport(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\nbad,C\n"})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	if g := a.do(t, http.MethodPost, "/v1/campaigns/spring/cancel", nil, nil); g.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", g.status, g.body)
	}

	rep := a.get(t, "/v1/campaigns/spring/report")
	wantCSV := "message_id,campaign_id,recipient,provider,status,error_code,error,attempts,provider_message_id,updated_at,fallback\n" +
		"spring:+255712345678,spring,+255712345678,tujenge-main,cancelled,cancelled,the campaign was cancelled,0,,2026-11-21T09:00:00.000Z,false\n" +
		"spring:+255712345679,spring,+255712345679,tujenge-main,cancelled,cancelled,the campaign was cancelled,0,,2026-11-21T09:00:00.000Z,false\n"
	if diff := cmp.Diff(wantCSV, string(rep.body)); rep.status != 200 || diff != "" {
		t.Errorf("CSV report: %d (-want +got):\n%s", rep.status, diff)
	}
	if ct := rep.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(rep.header.Get("Content-Disposition"), "spring.csv") {
		t.Errorf("CSV report headers %v", rep.header)
	}
	rep = a.get(t, "/v1/campaigns/spring/report?format=jsonl")
	lines := strings.Split(strings.TrimSpace(string(rep.body)), "\n")
	var row producer.ReportRow
	if err := json.Unmarshal([]byte(lines[0]), &row); rep.status != 200 || len(lines) != 2 || err != nil || row.Status != message.Cancelled || row.Recipient != "+255712345678" {
		t.Errorf("JSONL report: %d %q", rep.status, rep.body)
	}
	if g := a.get(t, "/v1/campaigns/spring/report?format=xlsx"); g.status != 422 || g.apiErr(t).Field != "format" {
		t.Errorf("report in xlsx: %d %s", g.status, g.body)
	}
}
