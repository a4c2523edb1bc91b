package producer_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/producertest"
)

// t0 is where the tests' clock stands.
var t0 = producertest.T0

// harness is one test's Redis, store, queues and clock (producertest).
type harness = producertest.Harness

func newHarness(t *testing.T) *harness { return producertest.New(t) }

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

// textSpec is a campaign whose text message uses {{name}} and {{code}}.
func textSpec(id string) *producer.Spec {
	return &producer.Spec{
		ID:      id,
		Account: "tujenge-main",
		Message: message.Content{Text: &message.Text{Body: "Hi {{name}}, your code is {{ code }}"}},
	}
}
