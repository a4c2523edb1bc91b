package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers/internal/wire"
)

func TestStringAndScalar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json        string
		str, scalar string // what String and Scalar read
	}{
		{`470`, "470", "470"},
		{`"470"`, "470", "470"},
		{`" 01DPNX0WCF "`, "01DPNX0WCF", "01DPNX0WCF"},
		{`470.0`, "470", "470"},
		{`4.7e2`, "470", "470"},
		{`-12`, "-12", "-12"},
		{`12.5`, "12.5", "12.5"},
		{`1e400`, "1e400", "1e400"}, // no float64 holds it: kept as sent
		{`12345678901234567890`, "12345678901234567890", "12345678901234567890"},
		{`true`, "", "true"},
		{`false`, "", "false"},
		{`null`, "", ""},
		{`{"code":1}`, "", ""},
		{`[1]`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			var got struct {
				S  wire.String `json:"s"`
				SC wire.Scalar `json:"sc"`
			}
			if err := json.Unmarshal([]byte(`{"s":`+tt.json+`,"sc":`+tt.json+`}`), &got); err != nil {
				t.Fatalf("a lenient value failed the body: %v", err)
			}
			if string(got.S) != tt.str || string(got.SC) != tt.scalar {
				t.Errorf("String %q Scalar %q, want %q and %q", got.S, got.SC, tt.str, tt.scalar)
			}
		})
	}
}

func TestTexts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want wire.Texts
	}{
		{`"Bad Request"`, wire.Texts{"Bad Request"}},
		{`" spaced "`, wire.Texts{" spaced "}}, // kept as sent: Join trims
		{`""`, nil},
		{`["a","b"]`, wire.Texts{"a", "b"}},
		{`[]`, wire.Texts{}},
		{`[1,"b"]`, nil},
		{`5`, nil},
		{`{"text":"x"}`, nil},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			var got struct {
				T wire.Texts `json:"t"`
			}
			if err := json.Unmarshal([]byte(`{"t":`+tt.json+`}`), &got); err != nil {
				t.Fatalf("a lenient value failed the body: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.T); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOneOrMany(t *testing.T) {
	t.Parallel()
	type ref struct {
		ID string `json:"id"`
	}
	tests := []struct {
		json string
		want wire.OneOrMany[ref]
	}{
		{`[{"id":"a"},{"id":"b"}]`, wire.OneOrMany[ref]{{"a"}, {"b"}}},
		{` {"id":"a"} `, wire.OneOrMany[ref]{{"a"}}},
		{`[]`, wire.OneOrMany[ref]{}},
		{`[{"id":"a"},5]`, nil}, // an array that does not decode as a whole
		{`{"id":5}`, nil},
		{`"a"`, nil},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			var got struct {
				M wire.OneOrMany[ref] `json:"m"`
			}
			if err := json.Unmarshal([]byte(`{"m":`+tt.json+`}`), &got); err != nil {
				t.Fatalf("a lenient value failed the body: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.M); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body     string
		object   bool // IsObject
		decodes  bool // DecodeObject
		wantCode string
	}{
		{`{"code":470}`, true, true, "470"},
		{" \n\t{\"code\":\"470\"}", true, true, "470"},
		{`{"code":470`, true, false, ""},
		{`{"code":470} trailing`, true, false, ""},
		{`[{"code":470}]`, false, false, ""},
		{`"text"`, false, false, ""},
		{`<html>502</html>`, false, false, ""},
		{``, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			var v struct {
				Code wire.String `json:"code"`
			}
			object, decodes := wire.IsObject([]byte(tt.body)), wire.DecodeObject([]byte(tt.body), &v)
			if object != tt.object || decodes != tt.decodes {
				t.Errorf("IsObject %v DecodeObject %v, want %v and %v", object, decodes, tt.object, tt.decodes)
			}
			if decodes && string(v.Code) != tt.wantCode {
				t.Errorf("code %q, want %q", v.Code, tt.wantCode)
			}
		})
	}
}

func TestUnmarshalTrailingCommas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    map[string]any
		wantErr bool
	}{
		{"plain", `{"message_id":554,"status":1}`, map[string]any{"message_id": 554.0, "status": 1.0}, false},
		{"as the document prints it", "{\"message_id\":554,\"status\":1,}", map[string]any{"message_id": 554.0, "status": 1.0}, false},
		{"white space before the brace", "{\n\"message_id\":554,\n\t}", map[string]any{"message_id": 554.0}, false},
		{"in an array", `{"ids":[1,2,],}`, map[string]any{"ids": []any{1.0, 2.0}}, false},
		{"a comma inside a string is kept", `{"message_id":"a,}",}`, map[string]any{"message_id": "a,}"}, false},
		{"an escaped quote does not end the string", `{"m":"say \",}\"",}`, map[string]any{"m": `say ",}"`}, false},
		{"a missing value is still an error", `{"message_id":,}`, nil, true},
		{"two commas are still an error", `{"message_id":554,,}`, nil, true},
		{"truncated", `{"message_id":554,`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got map[string]any
			err := wire.UnmarshalTrailingCommas([]byte(tt.body), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr {
				var plain any
				if want := json.Unmarshal([]byte(tt.body), &plain); err.Error() != want.Error() {
					t.Errorf("error %q, want the body's own %q", err, want)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
