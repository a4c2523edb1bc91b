package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets a streamed report reach the client as it is written.
func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// measure counts and times one request under route.
func measure(route string, w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	h(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	apiRequests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
	apiSeconds.WithLabelValues(route).Observe(time.Since(start).Seconds())
}
