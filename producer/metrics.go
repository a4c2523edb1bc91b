package producer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// sweptTotal counts the queued messages Sweep gave their task back.
	sweptTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "wabulk_sweep_reenqueued_total",
		Help: "Campaign messages found queued without a task (an importer killed mid-batch, a failed enqueue) and enqueued again by the sweep.",
	})
	// sweptDirectTotal counts the API messages SweepDirect settled.
	sweptDirectTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "wabulk_sweep_settled_total",
		Help: "API messages found queued without a task (their send stopped between record and task) and settled failed with code no_task by the sweep.",
	})
)
