package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
)

// Config is the whole of wabulk's configuration file. See
// examples/wabulk.yaml for every field with its default.
type Config struct {
	Redis         RedisConfig      `yaml:"redis"`
	DefaultRegion string           `yaml:"default_region"`
	Log           LogConfig        `yaml:"log"`
	Providers     []ProviderConfig `yaml:"providers"`
	Worker        WorkerConfig     `yaml:"worker"`
	Serve         ServeConfig      `yaml:"serve"`
	Import        ImportConfig     `yaml:"import"`
	Admin         AdminConfig      `yaml:"admin"`
	Schedules     []ScheduleConfig `yaml:"schedules"` // recurring reminder jobs (`wabulk scheduler`)

	unsetCredentials []string // ${VAR}s in credential fields that were not set
	path             string   // the file Load read, for errors found after it
}

// Load reads, expands and validates a config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(b, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.path = path
	return cfg, nil
}

// Parse parses a config, expanding ${VAR} and ${VAR:-default} in every
// value with lookup, and validates it. Credentials may be missing here;
// RequireCredentials checks them.
func Parse(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	cfg := &Config{}
	if len(root.Content) > 0 {
		if err := expandNode(&root, "", lookup, &cfg.unsetCredentials, false); err != nil {
			return nil, err
		}
		// Decoding the node keeps the file's line numbers in errors.
		if err := root.Decode(cfg); err != nil {
			return nil, err
		}
		if err := checkKnownFields(&root); err != nil {
			return nil, err
		}
		cfg.noteProviderLines(&root)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ApplyDefaults fills every unset field that has a default. Parse calls
// it; a Config built in code (the demo, the load tests) calls it too.
func (c *Config) ApplyDefaults() {
	c.Redis.applyDefaults()
	c.Log.applyDefaults()
	c.Serve.applyDefaults()
	c.Admin.applyDefaults()
	for i := range c.Providers {
		c.Providers[i].applyDefaults()
	}
}

// Validate reports every problem at once, one per line. What only a
// process that sends needs is ValidateSending's.
func (c *Config) Validate() error {
	return errors.Join(
		c.Redis.validate(),
		c.validateDefaultRegion(),
		c.Log.validate(),
		c.validateProviders(),
		c.Worker.validate(),
		c.Serve.validate(),
		c.Import.validate(),
		c.Admin.validate(),
	)
}

// UnsetCredentials names the environment variables of credential fields
// that were not set, for hints in errors.
func (c *Config) UnsetCredentials() []string { return c.unsetCredentials }

// unsetHint is " (environment variable X is not set)" when some were not.
func (c *Config) unsetHint() string {
	if len(c.unsetCredentials) == 0 {
		return ""
	}
	return fmt.Sprintf(" (environment variable %s is not set)", strings.Join(c.unsetCredentials, ", "))
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
