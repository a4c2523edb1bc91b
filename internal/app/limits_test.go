package app

import (
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/config"
)

// The import and upload limits of the config reach the producer and the
// HTTP API.
func TestLimitsReachTheProducerAndTheAPI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(`
providers:
  - {name: tj, kind: tujenge, api_key: k}
import: {max_record_bytes: 4096, max_columns: 32}
serve: {max_upload_bytes: 1048576, upload_timeout: 10m, max_concurrent_uploads: 2}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if pc := ProducerConfig(cfg); pc.MaxRecordBytes != 4096 || pc.MaxColumns != 32 {
		t.Errorf("producer config: %+v", pc)
	}
	if ac := APIConfig(cfg, nil, zap.NewNop()); ac.MaxUploadBytes != 1<<20 || ac.LongRequestTimeout != 10*time.Minute || ac.MaxConcurrentUploads != 2 || ac.DefaultAccount != "tj" {
		t.Errorf("API config: %+v", ac)
	}
}
