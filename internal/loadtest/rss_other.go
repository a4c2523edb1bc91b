//go:build !unix

package loadtest

import "os"

// maxRSSKiB is 0 where the system does not say.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
