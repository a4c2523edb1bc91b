//go:build unix

package loadtest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used so far
// (getrusage RUSAGE_SELF): every goroutine's, the in-process simulator's
// and, on miniredis, the embedded Redis's too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
