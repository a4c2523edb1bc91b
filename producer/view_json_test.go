package producer_test

import (
	"encoding/json"
	"testing"

	"github.com/wabulk/wabulk/producer"
)

// A detail's JSON holds its progress's fields and its own, in one object:
// the embedded CampaignProgress's MarshalJSON does not swallow them.
func TestCampaignDetailJSON(t *testing.T) {
	t.Parallel()
	d := producer.CampaignDetail{CampaignProgress: producer.CampaignProgress{ID: "c1", Pending: 2}, Funnel: producer.Funnel{Total: 3, Accepted: 1}, Resendable: 4}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for _, k := range []string{"id", "pending", "eta_seconds", "done", "spec", "funnel", "codes", "waiting", "resendable"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	var back producer.CampaignDetail
	if err := json.Unmarshal(b, &back); err != nil || back.ID != "c1" || back.Pending != 2 || back.Funnel.Accepted != 1 || back.Resendable != 4 {
		t.Errorf("read back %+v (%v) from %s", back, err, b)
	}
}
