package scheduler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The scheduler's Prometheus metrics, labelled by job id (from the
// configuration: bounded).
var (
	firesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_scheduler_fires_total",
		Help: "Occurrences of recurring jobs enqueued by this scheduler, by schedule (job id) and result (enqueued, error). Of several schedulers, one enqueues each occurrence.",
	}, []string{"schedule", "result"})
	expansionsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_scheduler_expansions_total",
		Help: "Occurrences expanded into messages by this process, by schedule (job id) and result (expanded, past_ttl, error: tried again).",
	}, []string{"schedule", "result"})
)
