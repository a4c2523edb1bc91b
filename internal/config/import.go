package config

// ImportConfig bounds what one input row of an import may hold, for
// `wabulk import` and the HTTP API's uploads alike (producer.Config).
type ImportConfig struct {
	// MaxRecordBytes bounds one row (a CSV record, quoted line breaks
	// included; a JSONL line): a longer row is rejected with its line and
	// the import goes on. Defaults to 65536 (64 KiB).
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// MaxColumns bounds the columns of one CSV row: more is a rejected
	// row. Defaults to 256.
	MaxColumns int `yaml:"max_columns"`
}

// maxRecordBytesCap is the most max_record_bytes may be: an import holds
// a few rows of this size.
const maxRecordBytesCap = 16 << 20

func (c ImportConfig) validate() error {
	var errs errList
	if c.MaxRecordBytes < 0 || c.MaxRecordBytes > maxRecordBytesCap {
		errs.add("import.max_record_bytes %d: want 1 to %d bytes (0: the default, 65536)", c.MaxRecordBytes, maxRecordBytesCap)
	}
	if c.MaxColumns < 0 {
		errs.add("import.max_columns %d: want a positive count (0: the default, 256)", c.MaxColumns)
	}
	return errs.join()
}
