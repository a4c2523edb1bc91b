//go:build unix

package loadtest

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB is an ended child's peak resident set in KiB (ru_maxrss, in
// KiB on Linux and in bytes on macOS).
func maxRSSKiB(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}
