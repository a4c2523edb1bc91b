package providertest_test

import (
	"testing"

	"github.com/wabulk/wabulk/providers/providertest"
)

func TestLeaks(t *testing.T) {
	t.Parallel()
	const secret = "tj-live-7Q2x9LmN4pR8sV1w"
	for s, want := range map[string]bool{
		"auth failed":                false,
		"key " + secret + " refused": true,
		"key ...7Q2x9LmN4 (cut)":     true,
		"key tj-live (7 characters)": false,
	} {
		if got := providertest.Leaks(s, "other-secret-value", secret); got != want {
			t.Errorf("Leaks(%q) = %v, want %v", s, got, want)
		}
	}
}
