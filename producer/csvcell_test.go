package producer_test

import (
	"testing"

	"github.com/wabulk/wabulk/producer"
)

// Cells a spreadsheet would evaluate get an apostrophe; numbers, E.164
// recipients and ordinary text pass as they are.
func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
		"=cmd|' /C calc'!A0":             "'=cmd|' /C calc'!A0",
		"@SUM(A1:A9)":                    "'@SUM(A1:A9)",
		"+1+cmd|' /C calc'!A0":           "'+1+cmd|' /C calc'!A0",
		"-2+3":                           "'-2+3",
		"\tx":                            "'\tx",
		"\rx":                            "'\rx",
		"=1+1":                           "'=1+1",
		"+255712345678":                  "+255712345678",
		"-12.5":                          "-12.5",
		"131047":                         "131047",
		"Re-engagement message":          "Re-engagement message",
		"":                               "",
	} {
		if got := producer.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
