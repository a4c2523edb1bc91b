package receipts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/receipts"
)

// FuzzDecodeTask: a payload DecodeTask accepts is a batch NewTask takes,
// and the task NewTask makes of it decodes back to the same batch.
// Seeded with the payloads the decoding tests use.
func FuzzDecodeTask(f *testing.F) {
	for _, s := range []string{
		wirePayload,
		`{"account":"tj","received":"2026-11-21T09:00:00Z","events":[]}`,
		`{"received":"2026-11-21T09:00:00Z","events":[]}`,
		`{"account":"tj","events":[]}`,
		`{"account":"tj","received":"2026-11-21T09:00:00+03:00","events":null}`,
		"not json", "", "null", `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, err := receipts.DecodeTask(payload)
		if err != nil {
			if b != nil {
				t.Fatalf("DecodeTask(%q) = %+v alongside error %v", payload, b, err)
			}
			return
		}
		task, err := receipts.NewTask(*b)
		if err != nil {
			t.Fatalf("DecodeTask(%q) accepted %+v, which NewTask refuses: %v", payload, b, err)
		}
		again, err := receipts.DecodeTask(task.Payload())
		if err != nil {
			t.Fatalf("payload %s of a decoded batch does not decode: %v", task.Payload(), err)
		}
		if diff := cmp.Diff(b, again); diff != "" {
			t.Fatalf("DecodeTask(NewTask(b)) != b (-b +again):\n%s", diff)
		}
	})
}
