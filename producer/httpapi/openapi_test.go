package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Schemas map[string]*oasSchema `yaml:"schemas"`
	} `yaml:"components"`
}

type oasSchema struct {
	Ref                  string                `yaml:"$ref"`
	Type                 string                `yaml:"type"`
	Format               string                `yaml:"format"`
	Required             []string              `yaml:"required"`
	Properties           map[string]*oasSchema `yaml:"properties"`
	Items                *oasSchema            `yaml:"items"`
	AllOf                []*oasSchema          `yaml:"allOf"`
	AdditionalProperties *oasSchema            `yaml:"additionalProperties"`
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return &doc
}

// A YAML slip (a comma in a flow mapping's plain text) makes a key with
// no value; the document has none.
func TestOpenAPIHasNoEmptyValues(t *testing.T) {
	t.Parallel()
	var doc any
	must(t, yaml.Unmarshal(httpapi.OpenAPI, &doc))
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case nil:
			t.Errorf("openapi.yaml: %s has no value", at)
		case map[string]any:
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(doc, "")
}

var oasMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// Every route the API serves is documented with its method, and every
// documented operation is served.
func TestRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if oasMethods[m] {
				documented = append(documented, strings.ToUpper(m)+" "+p)
			}
		}
	}
	a := newAPIEnv(t, httpapi.Config{})
	served := a.api.Routes()
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(documented, served); diff != "" {
		t.Errorf("routes: OpenAPI (-) vs served (+):\n%s", diff)
	}
	// Each documented operation reaches a handler: not the API's own "no
	// such endpoint" or "method not allowed".
	for _, op := range documented {
		method, p, _ := strings.Cut(op, " ")
		p = strings.ReplaceAll(p, "{id}", "x")
		g := a.do(t, method, p, nil, nil)
		var e httpapi.ErrorResponse
		_ = json.Unmarshal(g.body, &e)
		if g.status == 405 || e.Error.Code == "no_such_endpoint" {
			t.Errorf("%s: %d %s", op, g.status, g.body)
		}
	}
	// What is not served is a JSON 404 or 405.
	if g := a.get(t, "/v1/nothing"); g.status != 404 || g.apiErr(t).Code != "no_such_endpoint" {
		t.Errorf("unknown path: %d %s", g.status, g.body)
	}
	g := a.do(t, http.MethodDelete, "/v1/messages/x", nil, nil)
	if e := g.apiErr(t); g.status != 405 || e.Code != "method_not_allowed" || !strings.Contains(g.header.Get("Allow"), "GET") {
		t.Errorf("DELETE a message: %d %v %+v", g.status, g.header, e)
	}
}

// The documented schemas carry the Go types' JSON field names, with a
// matching type each, and require exactly the fields that are never left
// out.
func TestSchemasMatchGoTypes(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	types := map[string]reflect.Type{
		"ErrorResponse":   reflect.TypeFor[httpapi.ErrorResponse](),
		"APIError":        reflect.TypeFor[httpapi.ErrorDetail](),
		"Status":          reflect.TypeFor[message.Status](),
		"CampaignState":   reflect.TypeFor[store.CampaignState](),
		"Priority":        reflect.TypeFor[message.Lane](),
		"SendRequest":     reflect.TypeFor[producer.SendRequest](),
		"SendResult":      reflect.TypeFor[producer.SendResult](),
		"Message":         reflect.TypeFor[producer.MessageInfo](),
		"CampaignSpec":    reflect.TypeFor[producer.Spec](),
		"QuietHours":      reflect.TypeFor[message.QuietHours](),
		"ErrorBudget":     reflect.TypeFor[producer.ErrorBudget](),
		"CampaignUpload":  reflect.TypeFor[httpapi.CampaignUpload](),
		"Reject":          reflect.TypeFor[httpapi.Reject](),
		"Campaign":        reflect.TypeFor[producer.CampaignProgress](),
		"ImportStats":     reflect.TypeFor[store.ImportStats](),
		"Estimate":        reflect.TypeFor[producer.Estimate](),
		"RetryResult":     reflect.TypeFor[producer.RetryResult](),
		"PauseRequest":    reflect.TypeFor[httpapi.PauseRequest](),
		"CampaignAction":  reflect.TypeFor[httpapi.CampaignAction](),
		"ReportRow":       reflect.TypeFor[producer.ReportRow](),
		"Content":         reflect.TypeFor[message.Content](),
		"Text":            reflect.TypeFor[message.Text](),
		"Media":           reflect.TypeFor[message.Media](),
		"Location":        reflect.TypeFor[message.Location](),
		"Contact":         reflect.TypeFor[message.Contact](),
		"ContactName":     reflect.TypeFor[message.ContactName](),
		"ContactPhone":    reflect.TypeFor[message.ContactPhone](),
		"ContactEmail":    reflect.TypeFor[message.ContactEmail](),
		"ContactOrg":      reflect.TypeFor[message.ContactOrg](),
		"ContactURL":      reflect.TypeFor[message.ContactURL](),
		"Template":        reflect.TypeFor[message.Template](),
		"TemplateHeader":  reflect.TypeFor[message.TemplateHeader](),
		"TemplateButton":  reflect.TypeFor[message.TemplateButton](),
		"CampaignList":    reflect.TypeFor[httpapi.CampaignList](),
		"CampaignDetail":  reflect.TypeFor[producer.CampaignDetail](),
		"Funnel":          reflect.TypeFor[producer.Funnel](),
		"CodeInfo":        reflect.TypeFor[producer.CodeInfo](),
		"Waiting":         reflect.TypeFor[producer.Waiting](),
		"Hold":            reflect.TypeFor[producer.Hold](),
		"CampaignSeries":  reflect.TypeFor[httpapi.CampaignSeries](),
		"SeriesPoint":     reflect.TypeFor[store.SeriesPoint](),
		"CampaignRejects": reflect.TypeFor[httpapi.CampaignRejects](),
		"RejectedRow":     reflect.TypeFor[store.Reject](),
		"Preview":         reflect.TypeFor[producer.Preview](),
		"PreviewRow":      reflect.TypeFor[producer.PreviewRow](),
		"AccountList":     reflect.TypeFor[httpapi.AccountList](),
		"Account":         reflect.TypeFor[fleet.Account](),
		"CheckResult":     reflect.TypeFor[fleet.CheckResult](),
		"ScheduleList":    reflect.TypeFor[httpapi.ScheduleList](),
		"Job":             reflect.TypeFor[fleet.Job](),
		"Occurrence":      reflect.TypeFor[fleet.Occurrence](),
		"OptOuts":         reflect.TypeFor[fleet.OptOuts](),
		"OptOutEntry":     reflect.TypeFor[store.OptOutEntry](),
		"OptOutRequest":   reflect.TypeFor[httpapi.OptOutRequest](),
		"OptOutChange":    reflect.TypeFor[httpapi.OptOutChange](),
	}
	for name := range doc.Components.Schemas {
		if _, ok := types[name]; !ok {
			t.Errorf("schema %s has no Go type in this test: add it", name)
		}
	}
	for name, typ := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s (%v) is not in openapi.yaml", name, typ)
			continue
		}
		props, required := oasFlatten(t, doc, s)
		if typ.Kind() != reflect.Struct {
			if s.Type != "string" || typ.Kind() != reflect.String {
				t.Errorf("schema %s: type %q for Go %v", name, s.Type, typ)
			}
			continue
		}
		// What a zero value encodes to is what is always there (a custom
		// MarshalJSON's additions included); the json tags say what else
		// may be.
		fields := goJSONFields(typ)
		b, err := json.Marshal(reflect.New(typ).Interface())
		must(t, err)
		var zero map[string]json.RawMessage
		must(t, json.Unmarshal(b, &zero))
		var wantProps, gotProps, wantReq []string
		for k := range zero {
			wantReq = append(wantReq, k)
			wantProps = append(wantProps, k)
		}
		for _, f := range fields {
			if _, ok := zero[f.name]; !ok {
				wantProps = append(wantProps, f.name)
			}
		}
		for p := range props {
			gotProps = append(gotProps, p)
		}
		sort.Strings(wantProps)
		sort.Strings(gotProps)
		sort.Strings(wantReq)
		sort.Strings(required)
		if diff := cmp.Diff(wantProps, gotProps, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema %s: properties, Go json tags (-) vs documented (+):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantReq, required, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema %s: required, what a zero Go value encodes (-) vs documented (+):\n%s", name, diff)
		}
		for _, f := range fields {
			if p, ok := props[f.name]; ok {
				if why := oasMatches(doc, types, p, f.typ); why != "" {
					t.Errorf("schema %s: property %s: %s", name, f.name, why)
				}
			}
		}
	}
}

// oasFlatten merges a schema's allOf parts.
func oasFlatten(t *testing.T, doc *openAPIDoc, s *oasSchema) (map[string]*oasSchema, []string) {
	t.Helper()
	props := map[string]*oasSchema{}
	var required []string
	for _, sub := range s.AllOf {
		if sub.Ref != "" {
			sub = doc.Components.Schemas[strings.TrimPrefix(sub.Ref, "#/components/schemas/")]
		}
		p, r := oasFlatten(t, doc, sub)
		for k, v := range p {
			props[k] = v
		}
		required = append(required, r...)
	}
	for k, v := range s.Properties {
		props[k] = v
	}
	return props, append(required, s.Required...)
}

type goJSONField struct {
	name string
	typ  reflect.Type
}

// goJSONFields lists the JSON fields of struct type t as encoding/json
// writes them (embedded structs flattened).
func goJSONFields(t reflect.Type) []goJSONField {
	var out []goJSONField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, goJSONFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goJSONField{name: name, typ: f.Type})
	}
	return out
}

// oasMatches says how property schema p fails to describe Go type typ, or "".
func oasMatches(doc *openAPIDoc, types map[string]reflect.Type, p *oasSchema, typ reflect.Type) string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if len(p.AllOf) == 1 {
		p = p.AllOf[0]
	}
	if p.Ref != "" {
		name := strings.TrimPrefix(p.Ref, "#/components/schemas/")
		want, ok := types[name]
		switch {
		case !ok:
			return "refers to unknown oasSchema " + name
		case want.Kind() == reflect.String && typ.Kind() == reflect.String:
			return ""
		case want != typ:
			return fmt.Sprintf("refers to %s (%v), the Go field is %v", name, want, typ)
		}
		return ""
	}
	var wantType string
	switch {
	case typ == reflect.TypeFor[time.Time]():
		if p.Format != "date-time" {
			return "a time without format: date-time"
		}
		wantType = "string"
	case typ == reflect.TypeFor[producer.Duration]():
		wantType = "string"
	case typ.Kind() == reflect.String:
		wantType = "string"
	case typ.Kind() == reflect.Bool:
		wantType = "boolean"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		wantType = "integer"
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		wantType = "number"
	case typ.Kind() == reflect.Slice:
		if p.Type != "array" || p.Items == nil {
			return fmt.Sprintf("type %q, the Go field is a slice", p.Type)
		}
		return oasMatches(doc, types, p.Items, typ.Elem())
	case typ.Kind() == reflect.Map:
		if p.Type != "object" || p.AdditionalProperties == nil {
			return fmt.Sprintf("type %q without additionalProperties, the Go field is a map", p.Type)
		}
		return oasMatches(doc, types, p.AdditionalProperties, typ.Elem())
	case typ.Kind() == reflect.Struct:
		return fmt.Sprintf("inline oasSchema, want a $ref to the oasSchema of %v", typ)
	}
	if p.Type != wantType {
		return fmt.Sprintf("type %q, the Go field (%v) encodes as %s", p.Type, typ, wantType)
	}
	return ""
}
