package receipts

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/wabulk/wabulk/internal/httpstatus"
)

// webhookRequests counts callbacks by account (only configured accounts:
// an unknown name in the path counts as "unknown") and HTTP status.
var webhookRequests = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "wabulk_webhook_requests_total",
	Help: "Provider callbacks answered, by account (\"unknown\" for a path naming none) and HTTP status.",
}, []string{"account", "code"})

// countWebhook runs h and counts its answer under account.
func countWebhook(account string, rw http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request)) {
	rec := httpstatus.NewRecorder(rw)
	h(rec, r)
	webhookRequests.WithLabelValues(account, strconv.Itoa(rec.Status())).Inc()
}
