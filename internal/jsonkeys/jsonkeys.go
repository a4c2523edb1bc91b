// Package jsonkeys finds keys that appear twice in one JSON object,
// exactly or differing only in case. encoding/json keeps the last of
// duplicate keys and matches struct fields without regard to case, so
// {"to":A,"TO":B} would send to B (and a map decode would keep either at
// random): wabulk refuses such input instead of guessing.
package jsonkeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DuplicateError names a key given twice in one object.
type DuplicateError struct {
	Path  string // the object's path, "" at the top ("content.template")
	First string // the key as first written
	Again string // the key as written again
}

func (e *DuplicateError) Error() string {
	where := ""
	if e.Path != "" {
		where = " in " + e.Path
	}
	if e.First == e.Again {
		return fmt.Sprintf("key %q appears twice%s", e.First, where)
	}
	return fmt.Sprintf("keys %q and %q%s differ only in case: give one", e.First, e.Again, where)
}

// Check returns a *DuplicateError for the first key of data given twice
// in one object (case-insensitively), nil when there is none. Malformed
// JSON returns nil: the decoder that follows reports it.
func Check(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := walk(dec, "")
	var de *DuplicateError
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// walk reads one value from dec.
func walk(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			fold := strings.ToLower(k)
			if first, dup := seen[fold]; dup {
				return &DuplicateError{Path: path, First: first, Again: k}
			}
			seen[fold] = k
			child := k
			if path != "" {
				child = path + "." + k
			}
			if err := walk(dec, child); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if err := walk(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}
