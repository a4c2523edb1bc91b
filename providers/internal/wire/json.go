package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// String is a value a provider sends as a JSON string or number: a code
// (470 or "470"), an id ("01DPNX..." or 123), a timestamp. Whole numbers
// are written in decimal (470.0 and 4.7e2 are "470"); strings are trimmed;
// anything else (null, booleans, objects, arrays) decodes as "" and never
// fails the body.
type String string

func (s *String) UnmarshalJSON(b []byte) error {
	*s = String(scalar(b, false))
	return nil
}

// Scalar is String that reads booleans too, as "true" and "false": a
// status documented as "Int/ Str" that may come as true, a "sent" flag.
type Scalar string

func (s *Scalar) UnmarshalJSON(b []byte) error {
	*s = Scalar(scalar(b, true))
	return nil
}

// scalar renders the JSON value b as String and Scalar do; bools says
// whether booleans are read.
func scalar(b []byte, bools bool) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return ""
	}
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return strconv.FormatInt(n, 10)
		}
		if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		return v.String()
	case string:
		return strings.TrimSpace(v)
	case bool:
		if bools {
			return strconv.FormatBool(v)
		}
	}
	return ""
}

// Texts is provider prose sent as a string or an array of strings; an
// empty string is no text, and anything else decodes as empty.
type Texts []string

func (t *Texts) UnmarshalJSON(b []byte) error {
	*t = nil
	var one string
	if json.Unmarshal(b, &one) == nil {
		if one != "" {
			*t = Texts{one}
		}
		return nil
	}
	var many []string
	if json.Unmarshal(b, &many) == nil {
		*t = many
	}
	return nil
}

// OneOrMany decodes a JSON array of T or a single T (a "messages"
// documented as an array that a gateway sends as one object). An array
// that does not decode as a whole, and anything else, decodes as empty.
type OneOrMany[T any] []T

func (o *OneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var many []T
	if bytes.HasPrefix(b, []byte("[")) && json.Unmarshal(b, &many) == nil {
		*o = many
		return nil
	}
	var one T
	if bytes.HasPrefix(b, []byte("{")) && json.Unmarshal(b, &one) == nil {
		*o = OneOrMany[T]{one}
		return nil
	}
	*o = nil
	return nil
}

// IsObject reports whether b, leading white space aside, starts a JSON
// object.
func IsObject(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}

// DecodeObject decodes b into v and reports whether it could: b must be a
// JSON object that json.Unmarshal reads. On false, v may be half filled:
// discard it.
func DecodeObject(b []byte, v any) bool {
	return IsObject(b) && json.Unmarshal(b, v) == nil
}

// UnmarshalTrailingCommas is json.Unmarshal that also reads a comma
// directly before a closing } or ] ({"message_id":554,"status":1,}), as a
// body copied from a provider's document may carry. Only when b fails as
// it stands is it read again without those commas; the error is then b's
// own.
func UnmarshalTrailingCommas(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	if fixed := withoutTrailingCommas(b); len(fixed) != len(b) && json.Unmarshal(fixed, v) == nil {
		return nil
	}
	return err
}

// withoutTrailingCommas returns b with every comma that directly precedes
// (whitespace aside) a closing } or ] removed, outside strings; nothing
// else changes.
func withoutTrailingCommas(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
		}
		if c == ',' && closes(b[i+1:]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// closes reports whether b, JSON white space aside, starts with } or ].
func closes(b []byte) bool {
	j := 0
	for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
		j++
	}
	return j < len(b) && (b[j] == '}' || b[j] == ']')
}
