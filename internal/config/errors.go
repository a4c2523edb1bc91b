package config

import (
	"errors"
	"fmt"
)

// errList gathers a section's problems, one error each.
type errList []error

func (e *errList) add(format string, a ...any) { *e = append(*e, fmt.Errorf(format, a...)) }

func (e errList) join() error {
	if len(e) == 0 {
		return nil
	}
	return joinErrs(e)
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
