package decisiontelecom

import "encoding/json"

// withoutTrailingCommas returns b with every comma that directly precedes
// (whitespace aside) a closing } or ] removed, outside strings. The
// document prints its status answer as {"message_id":554,"status":1,}, so a
// body written from it may carry that comma; nothing else changes.
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
		if c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// unmarshal is json.Unmarshal that also reads the document's trailing
// commas.
func unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	if fixed := withoutTrailingCommas(b); len(fixed) != len(b) && json.Unmarshal(fixed, v) == nil {
		return nil
	}
	return err
}
