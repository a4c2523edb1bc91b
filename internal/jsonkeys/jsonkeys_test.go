package jsonkeys_test

import (
	"errors"
	"testing"

	"github.com/wabulk/wabulk/internal/jsonkeys"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"phone":"+255712000058","name":"A"}`:              "",
		`{"phone":"+255712000058","PHONE":"+255712000059"}`: `keys "phone" and "PHONE" differ only in case: give one`,
		`{"to":"a","to":"b"}`:                               `key "to" appears twice`,
		`{"content":{"template":{"name":"x","Name":"y"}}}`:  `keys "name" and "Name" in content.template differ only in case: give one`,
		`{"list":[{"a":1},{"a":1,"A":2}]}`:                  `keys "a" and "A" in list[1] differ only in case: give one`,
		`{"a":{"b":1},"c":{"b":2}}`:                         "",
		`not json`:                                          "",
		`{"unterminated":`:                                  "",
	} {
		err := jsonkeys.Check([]byte(in))
		var de *jsonkeys.DuplicateError
		switch {
		case want == "" && err != nil:
			t.Errorf("Check(%s) = %v, want nil", in, err)
		case want != "" && (!errors.As(err, &de) || err.Error() != want):
			t.Errorf("Check(%s) = %v, want %s", in, err, want)
		}
	}
}
