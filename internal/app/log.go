package app

import (
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/term"
)

// NewLogger is the process's logger: JSON for machines, or a console
// format for people (coloured on a terminal).
func NewLogger(lc config.LogConfig) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, err
	}
	var zc zap.Config
	if lc.Format == "json" {
		zc = zap.NewProductionConfig()
	} else {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		if !term.IsTerminal(os.Stderr) {
			zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
		}
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	return zc.Build()
}
