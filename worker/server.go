package worker

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/receipts"
)

// Server runs the send handler and the event handler on asynq.
type Server struct {
	cfg    Config
	srv    *asynq.Server
	mux    *asynq.ServeMux
	sender *Sender
}

// NewServer builds an asynq server on rdb for the lanes' queues and the
// callback events' queue under cfg.Prefix, with wabulk's retry semantics.
// Events are applied to the sender's store.
func NewServer(rdb redis.UniversalClient, cfg Config, sender *Sender) *Server {
	cfg = cfg.WithDefaults()
	queues := map[string]int{receipts.Queue(cfg.Prefix): cfg.EventsWeight}
	for lane, w := range cfg.LaneWeights {
		if w > 0 {
			queues[message.QueueName(cfg.Prefix, lane)] = w
		}
	}
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   queues,
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
	return &Server{cfg: cfg, srv: srv, mux: mux, sender: sender}
}

// Run processes tasks until ctx is done, then shuts down gracefully:
// no new tasks are taken and in-flight sends get ShutdownTimeout to finish.
func (s *Server) Run(ctx context.Context) error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	s.cfg.Logger.Info("shutting down: waiting for in-flight sends", zap.Duration("up_to", s.cfg.ShutdownTimeout))
	s.srv.Shutdown()
	return nil
}

// asynqLogger routes asynq's log lines through zap.
type asynqLogger struct{ s *zap.SugaredLogger }

func (l asynqLogger) Debug(args ...any) { l.s.Debug(args...) }
func (l asynqLogger) Info(args ...any)  { l.s.Info(args...) }
func (l asynqLogger) Warn(args ...any)  { l.s.Warn(args...) }
func (l asynqLogger) Error(args ...any) { l.s.Error(args...) }
func (l asynqLogger) Fatal(args ...any) { l.s.Fatal(args...) }
