package config

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
