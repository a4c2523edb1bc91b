package config

import (
	"strings"
	"testing"
	"time"
)

// The input and upload limits are read, and values that cannot be are
// refused with the field's name.
func TestImportAndUploadLimits(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	good := "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"
	cfg, err := Parse([]byte(good+"import: {max_record_bytes: 4096, max_columns: 32}\nserve: {max_upload_bytes: 1048576, upload_timeout: 10m, max_concurrent_uploads: 2}\n"), none)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Import != (ImportConfig{MaxRecordBytes: 4096, MaxColumns: 32}) || cfg.Serve.MaxUploadBytes != 1<<20 ||
		time.Duration(cfg.Serve.UploadTimeout) != 10*time.Minute || cfg.Serve.MaxConcurrentUploads != 2 {
		t.Errorf("limits: import %+v serve %+v", cfg.Import, cfg.Serve)
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"record too large", "import: {max_record_bytes: 100000000}\n", "import.max_record_bytes 100000000: want 1 to 16777216 bytes"},
		{"negative columns", "import: {max_columns: -1}\n", "import.max_columns -1: want a positive count"},
		{"unknown import field", "import: {max_rows: 1}\n", `line 3: unknown field "max_rows"`},
		{"negative upload size", "serve: {max_upload_bytes: -1}\n", "serve.max_upload_bytes -1"},
		{"upload timeout off", "serve: {upload_timeout: off}\n", "serve.upload_timeout: cannot be off"},
		{"negative concurrency", "serve: {max_concurrent_uploads: -2}\n", "serve.max_concurrent_uploads -2"},
	} {
		if _, err := Parse([]byte(good+c.yaml), none); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
