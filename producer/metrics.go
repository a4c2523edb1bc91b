package producer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// sweptTotal counts the queued messages Sweep gave their task back.
var sweptTotal = promauto.NewCounter(prometheus.CounterOpts{
	Name: "wabulk_sweep_reenqueued_total",
	Help: "Queued messages found without a task (an importer killed mid-batch, a failed enqueue) and enqueued again by the sweep.",
})
