package config

import (
	"errors"
	"fmt"

	"github.com/wabulk/wabulk/message"
)

// LogConfig sets the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error; defaults to info
	Format string `yaml:"format"` // console or json; defaults to console
}

func (l *LogConfig) applyDefaults() {
	if l.Level == "" {
		l.Level = "info"
	}
	if l.Format == "" {
		l.Format = "console"
	}
}

func (l *LogConfig) validate() error {
	var errs errList
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		errs.add("log.level %q: want debug, info, warn or error", l.Level)
	}
	if l.Format != "console" && l.Format != "json" {
		errs.add("log.format %q: want console or json", l.Format)
	}
	return errs.join()
}

func (c *Config) validateDefaultRegion() error {
	if c.DefaultRegion == "" {
		return nil
	}
	if _, err := message.NormalizePhone("+14155550100", c.DefaultRegion); err != nil || len(c.DefaultRegion) != 2 {
		return fmt.Errorf("default_region %q: want a two-letter ISO 3166 code such as TZ, KE, SA, NZ", c.DefaultRegion)
	}
	return nil
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
