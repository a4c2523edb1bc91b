// Package config is wabulk's configuration file: its schema, ${VAR}
// expansion, defaults and validation, one file per section (redis, log,
// providers, worker, serve, schedules).
//
// It owns what the file says and checks it whole, reporting every problem
// at once with the file's line numbers. It never opens a connection, starts
// anything or reads the environment except through the lookup it is given;
// internal/app turns a Config into running parts.
//
// Provider accounts are checked against the kinds registered in package
// providers (providers.LookupKind): a kind's own fields (api_key, token,
// source, ...) are declared by its adapter, not here, so a new provider
// needs no change to this package.
//
//	cfg, err := config.Load("wabulk.yaml") // expanded, defaulted, validated
//	if err != nil {
//		return err // e.g. "wabulk.yaml: line 4: unknown field "concurency""
//	}
//	if err := cfg.RequireCredentials(); err != nil { // commands that send
//		return err
//	}
//	if err := cfg.ValidateSending(); err != nil { // processes that send: worker, demo, load tests
//		return err
//	}
package config
