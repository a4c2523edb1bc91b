package producer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// DefaultTTL is how long a campaign message stays worth sending when the
// spec sets no ttl.
const DefaultTTL = 24 * time.Hour

// Spec is a campaign spec, read from YAML.
type Spec struct {
	ID      string          `yaml:"id" json:"id"`                             // required; [A-Za-z0-9._-]{1,64}
	Account string          `yaml:"account" json:"account"`                   // provider account name from the config; required
	Sender  string          `yaml:"sender,omitempty" json:"sender,omitempty"` // business number, E.164; optional
	Message message.Content `yaml:"message" json:"message"`                   // any content kind; string fields may hold {{column}} placeholders filled per row
	// FallbackTemplate is sent instead of a free-form message when the
	// contact's 24-hour window is closed; placeholders work as in message.
	FallbackTemplate *message.Template `yaml:"fallback_template,omitempty" json:"fallback_template,omitempty"`
	TTL              Duration          `yaml:"ttl,omitempty" json:"ttl,omitempty"`                       // how long after send time a message is still worth sending; defaults to 24h
	SendAt           time.Time         `yaml:"send_at,omitempty" json:"send_at,omitzero"`                // optional RFC 3339; messages are scheduled then; TTL counts from it
	Priority         string            `yaml:"priority,omitempty" json:"priority,omitempty"`             // high|normal|low, default normal
	DefaultRegion    string            `yaml:"default_region,omitempty" json:"default_region,omitempty"` // overrides Config.DefaultRegion for this campaign
	// QuietHours, when set, holds each message while it is inside this
	// daily window of its recipient's local time (from the number), e.g.
	// {start: "21:00", end: "08:00"}; the TTL still applies.
	QuietHours *message.QuietHours `yaml:"quiet_hours,omitempty" json:"quiet_hours,omitempty"`
	// ErrorBudget, when set, pauses the campaign when too many of its
	// messages fail, e.g. {max_failure_ratio: 0.2, min_outcomes: 50}.
	ErrorBudget *ErrorBudget `yaml:"error_budget,omitempty" json:"error_budget,omitempty"`
}

// DefaultMinOutcomes is an error budget's min_outcomes when the spec sets
// none.
const DefaultMinOutcomes = 100

// ErrorBudget pauses a campaign automatically (store.CampaignPaused, with
// the ratio as the reason) when, of at least MinOutcomes messages with an
// outcome, more than MaxFailureRatio ended failed. Workers check it after
// each failed send; an operator resumes the campaign once the cause is
// fixed, and the budget then counts from there.
type ErrorBudget struct {
	// MaxFailureRatio is the share of failures tolerated, between 0 and 1
	// (0.2: up to 20%).
	MaxFailureRatio float64 `yaml:"max_failure_ratio" json:"max_failure_ratio"`
	// MinOutcomes is how many outcomes there must be before the ratio is
	// judged, so a few early failures do not pause a campaign. Defaults to
	// DefaultMinOutcomes.
	MinOutcomes int64 `yaml:"min_outcomes,omitempty" json:"min_outcomes,omitempty"`
}

// storeBudget is b as the store keeps it; nil for no budget.
func (b *ErrorBudget) storeBudget() *store.ErrorBudget {
	if b == nil {
		return nil
	}
	return &store.ErrorBudget{MaxFailureRatio: b.MaxFailureRatio, MinOutcomes: b.MinOutcomes}
}

var specIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// LoadSpec reads and validates the campaign spec in the YAML file at path.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	s, err := ParseSpec(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseSpec reads and validates a campaign spec from YAML (JSON, being
// YAML, works too). Unknown fields are errors that name the field and its
// line.
func ParseSpec(b []byte) (*Spec, error) {
	if err := checkSendAt(b); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("spec is empty")
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("spec holds more than one YAML document")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// checkSendAt names the line of a send_at that is not a time; the YAML
// decoder's own error for it carries no line.
func checkSendAt(b []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil || len(root.Content) == 0 {
		return nil // the strict decode reports it
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "send_at" || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, v.Value); err != nil {
			return fmt.Errorf("line %d: send_at %q is not an RFC 3339 time (e.g. 2026-11-21T09:00:00+03:00)", v.Line, v.Value)
		}
	}
	return nil
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlError turns the YAML decoder's errors into one line per problem,
// each with its line number.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("spec is not valid YAML: %w", err)
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		msgs[i] = unknownFieldRE.ReplaceAllString(e, `unknown field "$1"`)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Validate reports every problem of s, each naming its field. The message
// is validated with each placeholder filled with "x"; media links that
// hold placeholders must still start with a literal http:// or https://.
func (s *Spec) Validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	switch {
	case s.ID == "":
		add("id is required")
	case !specIDRE.MatchString(s.ID):
		add("id %q must be 1–64 letters, digits, '.', '_' or '-'", s.ID)
	}
	if strings.TrimSpace(s.Account) == "" {
		add("account is required")
	}
	if s.Sender != "" {
		if _, err := message.NormalizePhone(s.Sender, ""); err != nil {
			add("sender: %v (write it in international form, e.g. +255712345678)", err)
		}
	}
	if s.TTL < 0 {
		add("ttl %s must be greater than zero", time.Duration(s.TTL))
	}
	if _, err := message.ParseLane(s.Priority); err != nil {
		add("%v", err)
	}
	if s.DefaultRegion != "" {
		if err := checkRegion(s.DefaultRegion); err != nil {
			add("default_region: %v", err)
		}
	}
	if s.QuietHours != nil {
		if err := s.QuietHours.Validate(); err != nil {
			add("%v", err)
		}
	}
	if b := s.ErrorBudget; b != nil {
		if !(b.MaxFailureRatio > 0 && b.MaxFailureRatio < 1) {
			add("error_budget: max_failure_ratio %v must be a share between 0 and 1 (e.g. 0.2 for 20%%)", b.MaxFailureRatio)
		}
		if b.MinOutcomes < 0 {
			add("error_budget: min_outcomes %d must not be negative", b.MinOutcomes)
		}
	}
	if s.FallbackTemplate != nil && !s.Message.FreeForm() {
		add("fallback_template: the message is a template already, which may go out outside the 24-hour window; a fallback is for free-form messages")
	}
	if err := validateContent(&body{Message: s.Message, Fallback: s.FallbackTemplate}); err != nil {
		add("%v", err)
	}
	if len(probs) > 0 {
		return fmt.Errorf("invalid spec: %s", strings.Join(probs, "; "))
	}
	return nil
}

// validateContent checks b's message and fallback with every placeholder
// filled; its errors name which of the two is wrong.
func validateContent(b *body) error {
	where, urls := templatedMedia(&b.Message)
	for i := range where {
		where[i] = "message: " + where[i]
	}
	if b.Fallback != nil {
		w, u := templatedMedia(&message.Content{Template: b.Fallback})
		for i := range w {
			where, urls = append(where, "fallback_"+w[i]), append(urls, u[i])
		}
	}
	for i, u := range urls {
		if !literalScheme(u) {
			return fmt.Errorf("%s: url %q must start with http:// or https:// before any placeholder", where[i], u)
		}
	}
	t, err := compileTemplate(b)
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	d, err := t.dummy()
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if err := d.Message.Validate(); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if d.Fallback != nil {
		fb := message.Content{Template: d.Fallback}
		if err := fb.Validate(); err != nil {
			return fmt.Errorf("fallback_template: %w", err)
		}
	}
	return nil
}

// checkRegion reports whether region is an ISO 3166 code phone numbers know.
func checkRegion(region string) error {
	r := strings.ToUpper(strings.TrimSpace(region))
	if phonenumbers.GetCountryCodeForRegion(r) == 0 {
		return fmt.Errorf("%q is not a known ISO 3166 region code (e.g. TZ, KE, SA)", region)
	}
	return nil
}

// normalized returns s with defaults applied and values in one form, so two
// specs that mean the same encode the same. s must be valid.
func (s *Spec) normalized() Spec {
	c := *s
	if c.TTL == 0 {
		c.TTL = Duration(DefaultTTL)
	}
	if lane, err := message.ParseLane(c.Priority); err == nil {
		c.Priority = string(lane)
	}
	if c.Sender != "" {
		if e, err := message.NormalizePhone(c.Sender, ""); err == nil {
			c.Sender = e
		}
	}
	if c.ErrorBudget != nil {
		b := *c.ErrorBudget
		if b.MinOutcomes == 0 {
			b.MinOutcomes = DefaultMinOutcomes
		}
		c.ErrorBudget = &b
	}
	c.Account = strings.TrimSpace(c.Account)
	c.DefaultRegion = strings.ToUpper(strings.TrimSpace(c.DefaultRegion))
	if !c.SendAt.IsZero() {
		c.SendAt = c.SendAt.UTC()
		if t := c.SendAt.Truncate(time.Second); t.Before(c.SendAt) {
			// asynq schedules in whole seconds and moves a task as soon as
			// its second begins: rounded up, a fraction never sends early.
			c.SendAt = t.Add(time.Second)
		}
	}
	return c
}

// canonicalJSON is the encoding stored with the campaign and compared on
// re-import.
func (s *Spec) canonicalJSON() ([]byte, error) {
	n := s.normalized()
	b, err := json.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	return b, nil
}
