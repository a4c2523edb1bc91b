package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/term"
)

// NewLogger is the process's logger: JSON for machines, or a console
// format for people (coloured on a terminal). Times are ISO 8601,
// durations are written with their unit ("1.5s"), and nothing is
// sampled: a flood of refused webhooks or bad tokens is logged line by
// line. go-redis's own messages (Sentinel and pool events) go through it
// too, so a JSON log holds JSON lines only.
func NewLogger(lc config.LogConfig) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, err
	}
	var zc zap.Config
	if lc.Format == "json" {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.TimeKey = "time"
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	} else {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		if !term.IsTerminal(os.Stderr) {
			zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
		}
	}
	zc.Sampling = nil
	zc.DisableStacktrace = true // errors here are operational, not bugs
	zc.EncoderConfig.EncodeDuration = zapcore.StringDurationEncoder
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	log, err := zc.Build()
	if err != nil {
		return nil, err
	}
	redisLog.Store(log.Named("redis").WithOptions(zap.AddCallerSkip(2)))
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{}) })
	return log, nil
}

// go-redis has one logger per process: it forwards to the last logger
// NewLogger built.
var (
	redisLog     atomic.Pointer[zap.Logger]
	redisLogOnce sync.Once
)

// redisLogger takes go-redis's messages: failures as warnings, the rest
// (a Sentinel naming the master) as information.
type redisLogger struct{}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	log := redisLog.Load()
	if log == nil {
		return
	}
	msg := fmt.Sprintf(format, v...)
	if strings.Contains(msg, "fail") || strings.Contains(msg, "error") || strings.Contains(msg, "unreachable") {
		log.Warn(msg)
		return
	}
	log.Info(msg)
}
