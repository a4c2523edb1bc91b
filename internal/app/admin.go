package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sort"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// Version is the running binary's version, for wabulk_build_info (cmd
// sets it).
var Version = "unknown"

// AdminOptions says what one process's /metrics shows besides the
// metrics its packages register.
type AdminOptions struct {
	// Process names it: worker, scheduler or serve.
	Process string
	Health  *Health
	// Fleet, when set, adds the gauges read from Redis on each scrape:
	// queue sizes and latency per lane, active campaigns, status-poll
	// backlogs. They are the same in every process that shows them, so
	// aggregate them with max, not sum.
	Fleet *FleetGauges
}

// FleetGauges reads what the whole fleet shares from Redis.
type FleetGauges struct {
	Redis config.RedisConfig
	Store *store.Store
	// PollAccounts are the accounts whose statuses are polled.
	PollAccounts []string
	Log          *zap.Logger
}

// AdminHandler serves /healthz, /readyz and /metrics for one process.
func AdminHandler(o AdminOptions) http.Handler {
	mux := http.NewServeMux()
	MountAdmin(mux, o.Health, Gatherer(o))
	return mux
}

// Gatherer is what one process's /metrics shows: the metrics its
// packages registered, its build and readiness, and the fleet's gauges
// when o.Fleet is set.
func Gatherer(o AdminOptions) prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "wabulk_build_info",
		Help:        "1, labelled with the binary's version and Go version.",
		ConstLabels: prometheus.Labels{"version": Version, "goversion": runtime.Version()},
	}, func() float64 { return 1 }))
	if o.Health != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "wabulk_ready",
			Help:        "1 while this process can write to Redis (its /readyz answers 200), else 0.",
			ConstLabels: prometheus.Labels{"process": o.Process},
		}, func() float64 {
			if ok, _, _ := o.Health.Ready(); ok {
				return 1
			}
			return 0
		}))
	}
	if o.Fleet != nil {
		reg.MustRegister(o.Fleet.collector())
	}
	return prometheus.Gatherers{prometheus.DefaultGatherer, reg}
}

// MountAdmin adds /healthz, /readyz and /metrics to mux.
func MountAdmin(mux *http.ServeMux, h *Health, g prometheus.Gatherer) {
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if h != nil {
			if ok, reason, since := h.Ready(); !ok {
				rw.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(rw, "not ready since %s: %s\n", since.UTC().Format(time.RFC3339), reason)
				return
			}
		}
		_, _ = rw.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: nil}))
}

// ServeAdmin listens on addr and serves h until ctx ends. It returns the
// address it listens on (addr may end in :0) once listening.
func ServeAdmin(ctx context.Context, addr string, h http.Handler, log *zap.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("admin listener on %s (admin.listen): %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: zap.NewStdLog(log)}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", zap.Error(err))
		}
	}()
	return ln.Addr().String(), nil
}

// maxCampaignSeries bounds the campaigns labelled in wabulk_campaign_*:
// the newest ones with messages pending.
const maxCampaignSeries = 50

var (
	queueSizeDesc = prometheus.NewDesc("wabulk_queue_size",
		"Tasks in the lane's asynq queues (every shard), by state: pending, scheduled, retry (deferrals and retries), active, archived.",
		[]string{"lane", "state"}, nil)
	queueLatencyDesc = prometheus.NewDesc("wabulk_queue_latency_seconds",
		"Age of the lane's oldest pending task (0 when none waits).", []string{"lane"}, nil)
	campaignMessagesDesc = prometheus.NewDesc("wabulk_campaign_messages",
		"Messages of a campaign with messages pending, by state (the newest 50 such campaigns).", []string{"campaign", "state"}, nil)
	campaignRateDesc = prometheus.NewDesc("wabulk_campaign_outcomes_per_second",
		"Outcomes per second of a campaign with messages pending, over the last minute.", []string{"campaign"}, nil)
	pollBacklogDesc = prometheus.NewDesc("wabulk_poll_backlog",
		"Accepted messages of the account whose status waits to be polled (accounts whose provider pushes no receipts).", []string{"account"}, nil)
	scrapeErrorsDesc = prometheus.NewDesc("wabulk_fleet_scrape_errors",
		"1 when this scrape could not read part of the fleet's state from Redis (the log says what).", nil, nil)
)

type fleetCollector struct{ f *FleetGauges }

func (f *FleetGauges) collector() prometheus.Collector { return fleetCollector{f} }

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueSizeDesc, queueLatencyDesc, campaignMessagesDesc, campaignRateDesc, pollBacklogDesc, scrapeErrorsDesc} {
		ch <- d
	}
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f := c.f
	failed := 0.0
	fail := func(what string, err error) {
		failed = 1
		f.Log.Warn("metrics: could not read "+what, zap.Error(err))
	}
	insp := asynq.NewInspectorFromRedisClient(f.Store.Redis())
	lanes := map[string][]string{"events": receipts.Queues(f.Redis.Prefix, f.Redis.QueueShards)}
	for _, l := range message.Lanes {
		lanes[string(l)] = message.LaneQueues(f.Redis.Prefix, l, f.Redis.QueueShards)
	}
	known, err := insp.Queues()
	if err != nil {
		fail("the queues", err)
	}
	exists := map[string]bool{}
	for _, q := range known {
		exists[q] = true
	}
	for lane, qs := range lanes {
		var sizes [5]int
		var latency time.Duration
		for _, q := range qs {
			if !exists[q] {
				continue
			}
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				fail("queue "+q, err)
				continue
			}
			sizes[0] += info.Pending
			sizes[1] += info.Scheduled
			sizes[2] += info.Retry
			sizes[3] += info.Active
			sizes[4] += info.Archived
			latency = max(latency, info.Latency)
		}
		for i, st := range []string{"pending", "scheduled", "retry", "active", "archived"} {
			ch <- prometheus.MustNewConstMetric(queueSizeDesc, prometheus.GaugeValue, float64(sizes[i]), lane, st)
		}
		ch <- prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, latency.Seconds(), lane)
	}

	{
		ids, err := f.Store.Campaigns(ctx)
		if err != nil {
			fail("the campaigns", err)
		}
		shown := 0
		for i := len(ids) - 1; i >= 0 && shown < maxCampaignSeries && ctx.Err() == nil; i-- {
			counts, err := f.Store.CampaignCounts(ctx, ids[i])
			if err != nil {
				fail("campaign "+ids[i], err)
				break
			}
			if counts[message.Queued]+counts[message.Sending] <= 0 {
				continue
			}
			shown++
			states := make([]string, 0, len(counts))
			for st := range counts {
				states = append(states, string(st))
			}
			sort.Strings(states)
			for _, st := range states {
				ch <- prometheus.MustNewConstMetric(campaignMessagesDesc, prometheus.GaugeValue, float64(counts[message.Status(st)]), ids[i], st)
			}
			if rate, err := f.Store.CampaignRate(ctx, ids[i], time.Minute); err == nil {
				ch <- prometheus.MustNewConstMetric(campaignRateDesc, prometheus.GaugeValue, rate, ids[i])
			}
		}
		for _, a := range f.PollAccounts {
			n, err := f.Store.PendingPolls(ctx, a)
			if err != nil {
				fail("the poll backlog of "+a, err)
				continue
			}
			ch <- prometheus.MustNewConstMetric(pollBacklogDesc, prometheus.GaugeValue, float64(n), a)
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.GaugeValue, failed)
}

// StartAdmin starts the admin listener of a worker or scheduler on
// listen (admin.listen, or the --admin-listen flag) unless it is "off",
// and returns its address ("" when off). When listen is the default
// (explicit false) and taken, by another wabulk process on the same
// host, it says so and goes on without one; a listener asked for that
// cannot start is an error.
func StartAdmin(ctx context.Context, listen string, explicit bool, o AdminOptions, log *zap.Logger) (string, error) {
	if listen == "off" {
		return "", nil
	}
	addr, err := ServeAdmin(ctx, listen, AdminHandler(o), log)
	if err != nil && !explicit {
		log.Warn("no admin listener (/healthz, /readyz, /metrics): its default address is taken; give each process its own with admin.listen or --admin-listen",
			zap.String("listen", listen), zap.Error(err))
		return "", nil
	}
	if err != nil {
		return "", err
	}
	log.Info("admin listener", zap.String("listen", addr), zap.Strings("paths", []string{"/healthz", "/readyz", "/metrics"}))
	return addr, nil
}
