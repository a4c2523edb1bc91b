package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/wabulk/wabulk/internal/httpstatus"
)

// The API's Prometheus metrics, labelled by route pattern ("POST
// /v1/messages"; "unmatched" for a path it does not serve), never by raw
// path.
var (
	apiRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_api_requests_total",
		Help: "HTTP API requests answered, by route pattern and HTTP status.",
	}, []string{"route", "code"})
	apiSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wabulk_api_request_duration_seconds",
		Help:    "Time to answer an HTTP API request, by route pattern (a campaign upload includes its import).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60, 600},
	}, []string{"route"})
)

// measure counts and times one request under route.
func measure(route string, w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	rec := httpstatus.NewRecorder(w)
	h(rec, r)
	apiRequests.WithLabelValues(route, strconv.Itoa(rec.Status())).Inc()
	apiSeconds.WithLabelValues(route).Observe(time.Since(start).Seconds())
}
