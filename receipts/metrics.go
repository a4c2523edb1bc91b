package receipts

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// webhookRequests counts callbacks by account (only configured accounts:
// an unknown name in the path counts as "unknown") and HTTP status.
var webhookRequests = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "wabulk_webhook_requests_total",
	Help: "Provider callbacks answered, by account (\"unknown\" for a path naming none) and HTTP status.",
}, []string{"account", "code"})

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// countWebhook runs h and counts its answer under account.
func countWebhook(account string, rw http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request)) {
	sw := &statusWriter{ResponseWriter: rw}
	h(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	webhookRequests.WithLabelValues(account, strconv.Itoa(sw.status)).Inc()
}
