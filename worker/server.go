package worker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/receipts"
)

// Server runs the send handler and the event handler on asynq.
type Server struct {
	cfg    Config
	rdb    redis.UniversalClient
	srv    *asynq.Server
	mux    asynq.Handler
	sender *Sender
}

// NewServer builds an asynq server on rdb for the lanes' queues (every
// shard of each) and the callback events' queue under cfg.Prefix, with
// wabulk's retry semantics. Events are applied to the sender's store.
func NewServer(rdb redis.UniversalClient, cfg Config, sender *Sender) *Server {
	cfg = cfg.WithDefaults()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   queueWeights(cfg),
		StrictPriority:           cfg.StrictPriority,
		RetryDelayFunc:           RetryDelay,
		IsFailure:                IsFailure,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.DelayedTaskCheckInterval,
		TaskCheckInterval:        cfg.TaskCheckInterval,
		Logger:                   asynqLogger{cfg.Logger.Sugar().Named("asynq")},
		LogLevel:                 asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(message.TypeSend, sender)
	mux.Handle(receipts.TypeEvents, NewEvents(cfg, sender.store))
	return &Server{cfg: cfg, rdb: rdb, srv: srv, mux: knownTypes(mux, cfg.Logger), sender: sender}
}

// knownTypes runs mux's handlers and archives a task of a type none
// handles, saying why, instead of asynq's "handler not found", which is
// retried for ever.
func knownTypes(mux *asynq.ServeMux, log *zap.Logger) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if _, pattern := mux.Handler(t); pattern == "" {
			log.Error("archiving a task of a type this worker does not handle", zap.String("type", t.Type()))
			return fmt.Errorf("task type %q: this worker handles %s and %s only (a newer wabulk, or another program, wrote it to wabulk's queues; run it again from the archive with a worker that knows it): %w",
				t.Type(), message.TypeSend, receipts.TypeEvents, asynq.SkipRetry)
		}
		return mux.ProcessTask(ctx, t)
	})
}

// queueWeights is the asynq queue configuration: every shard of every lane
// with a weight, and the events queue.
//
// Each shard gets its lane's weight. asynq looks at the queues in an order
// it draws with chances proportional to the weights, so a lane's N shards
// weigh N times its weight together; as every lane has the same N shards,
// the lanes keep their relative weights (high 6 : normal 3 : low 1 is
// 6N : 3N : N), and the events queues, split alike, N × the events weight. With
// StrictPriority asynq sorts the queues by weight once: every shard of a
// higher lane still comes before any of a lower one, and the shards of one
// lane come in an order that differs from process to process (asynq
// builds it from a map), so the workers do not all drain the same shard,
// on the same Cluster master, first.
func queueWeights(cfg Config) map[string]int {
	queues := map[string]int{}
	for _, q := range receipts.Queues(cfg.Prefix, cfg.QueueShards) {
		queues[q] = cfg.EventsWeight
	}
	for lane, w := range cfg.LaneWeights {
		if w <= 0 {
			continue
		}
		for _, q := range message.LaneQueues(cfg.Prefix, lane, cfg.QueueShards) {
			queues[q] = w
		}
	}
	return queues
}

// Run processes tasks until ctx is done, then shuts down gracefully:
// no new tasks are taken and in-flight sends get ShutdownTimeout to finish.
// At start it logs an error when shards beyond QueueShards of its lanes
// hold tasks (checkShards).
func (s *Server) Run(ctx context.Context) error {
	s.checkShards()
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if s.cfg.LeaseCheckInterval > 0 {
		lctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); s.leases().run(lctx, s.cfg.LeaseCheckInterval) }()
		defer func() { stop(); <-done }()
	}
	<-ctx.Done()
	s.cfg.Logger.Info("shutting down: waiting for in-flight sends", zap.Duration("up_to", s.cfg.ShutdownTimeout))
	s.srv.Shutdown()
	return nil
}

// leases is the recoverer of the tasks of this worker's queues whose
// worker died.
func (s *Server) leases() *leaseRecoverer {
	queues := make([]string, 0, len(queueWeights(s.cfg)))
	for q := range queueWeights(s.cfg) {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	// asynq writes leases by the wall clock, whatever Config.Now says.
	return &leaseRecoverer{rdb: s.rdb, queues: queues, grace: s.cfg.LeaseGrace, now: time.Now, log: s.cfg.Logger}
}

// checkShards looks for queues of the worker's lanes whose shard is
// QueueShards or above: a producer with a higher queue_shards put tasks
// there, and this worker never takes them. Those that hold tasks are
// logged as an error, empty ones (left by a lowered queue_shards) as a
// warning. Failing to look is a warning too: the worker runs either way.
func (s *Server) checkShards() {
	log := s.cfg.Logger
	insp := asynq.NewInspectorFromRedisClient(s.rdb)
	names, err := insp.Queues()
	if err != nil {
		log.Warn("cannot list the queues to check their shards", zap.Error(err))
		return
	}
	type stray struct {
		name  string
		lane  int // index in message.Lanes
		shard int
	}
	var strays []stray
	for _, q := range names {
		lane, shard, ok := message.ParseShardQueue(s.cfg.Prefix, q)
		if ok && shard >= s.cfg.QueueShards && s.cfg.LaneWeights[lane] > 0 {
			strays = append(strays, stray{q, slices.Index(message.Lanes, lane), shard})
		}
	}
	slices.SortFunc(strays, func(a, b stray) int { return cmp.Or(cmp.Compare(a.lane, b.lane), cmp.Compare(a.shard, b.shard)) })
	var holding, empty []string
	for _, st := range strays {
		q := st.name
		info, err := insp.GetQueueInfo(q)
		switch {
		case err != nil:
			holding = append(holding, fmt.Sprintf("%s (unknown: %v)", q, err))
		case info.Pending+info.Scheduled+info.Retry+info.Active > 0:
			holding = append(holding, fmt.Sprintf("%s (%d pending, %d scheduled, %d retry, %d active)",
				q, info.Pending, info.Scheduled, info.Retry, info.Active))
		default:
			empty = append(empty, q)
		}
	}
	if len(holding) > 0 {
		log.Error("queues beyond this worker's queue shards hold tasks it never takes: give every worker and producer the same redis.queue_shards (raise it on the workers first)",
			zap.Int("queue_shards", s.cfg.QueueShards), zap.Strings("queues", holding))
	}
	if len(empty) > 0 {
		log.Warn("empty queues beyond this worker's queue shards (left by a higher redis.queue_shards): nothing waits there; they may be deleted",
			zap.Int("queue_shards", s.cfg.QueueShards), zap.Strings("queues", empty))
	}
}

// asynqLogger routes asynq's log lines through zap.
type asynqLogger struct{ s *zap.SugaredLogger }

func (l asynqLogger) Debug(args ...any) { l.s.Debug(args...) }
func (l asynqLogger) Info(args ...any)  { l.s.Info(args...) }
func (l asynqLogger) Warn(args ...any)  { l.s.Warn(args...) }
func (l asynqLogger) Error(args ...any) { l.s.Error(args...) }
func (l asynqLogger) Fatal(args ...any) { l.s.Fatal(args...) }
