package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/providers"
)

var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// checkKnownFields rejects misspelt fields. yaml.v3 checks them only when
// decoding bytes, so the expanded tree is encoded and decoded strictly, and
// each unknown field is pointed at by its line in the original file. A
// provider account's own fields are checked against its kind
// (validateProviders).
func checkKnownFields(root *yaml.Node) error {
	b, err := yaml.Marshal(root)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(&Config{})
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var errs []error
	for _, m := range unknownField.FindAllStringSubmatch(err.Error(), -1) {
		if line := keyLine(root, m[1]); line > 0 {
			errs = append(errs, fmt.Errorf("line %d: unknown field %q (examples/wabulk.yaml lists every field)", line, m[1]))
		} else {
			errs = append(errs, fmt.Errorf("unknown field %q (examples/wabulk.yaml lists every field)", m[1]))
		}
	}
	if len(errs) == 0 {
		return err
	}
	return errors.Join(errs...)
}

// keyLine is the line of the first mapping key named name.
func keyLine(n *yaml.Node, name string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := keyLine(c, name); l > 0 {
			return l
		}
	}
	return 0
}

// noteProviderLines keeps the line of each provider account's keys, for
// errors about fields its kind does not take.
func (c *Config) noteProviderLines(root *yaml.Node) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "providers" || doc.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for j, item := range doc.Content[i+1].Content {
			if j >= len(c.Providers) || item.Kind != yaml.MappingNode {
				continue
			}
			lines := map[string]int{}
			for k := 0; k+1 < len(item.Content); k += 2 {
				lines[item.Content[k].Value] = item.Content[k].Line
			}
			c.Providers[j].lines = lines
		}
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// commonCredentialKeys are the credential fields every config may have;
// each provider kind adds its own secret fields.
var commonCredentialKeys = map[string]bool{"webhook_secret": true, "webhook_password": true, "webhook_path_token": true, "api_tokens": true, "token": true}

// isCredentialKey reports whether a field holds a secret. A ${VAR} in one
// may be unset for commands that never talk to a provider (import,
// campaign): RequireCredentials checks them where they are needed.
func isCredentialKey(key string) bool {
	if commonCredentialKeys[key] {
		return true
	}
	for _, k := range providers.Kinds() {
		if f, ok := k.Field(key); ok && f.Secret {
			return true
		}
	}
	return false
}

// expandNode replaces ${VAR} references in every scalar below n. An unset
// variable with no default is an error naming its line, except in a
// provider's credential field, where it is noted in unset for
// RequireCredentials. Below the redis section (inRedis) none is excused:
// every command talks to Redis.
func expandNode(n *yaml.Node, key string, lookup func(string) (string, bool), unset *[]string, inRedis bool) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing []string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			if v, ok := lookup(m[1]); ok && v != "" {
				return v
			}
			if m[2] != "" {
				return m[3]
			}
			missing = append(missing, m[1])
			return ""
		})
		if len(missing) > 0 {
			if inRedis || !isCredentialKey(key) {
				return fmt.Errorf("line %d: environment variable %s is not set", n.Line, strings.Join(missing, ", "))
			}
			*unset = append(*unset, missing...)
		}
		// Let the expanded text resolve as if written in place: ${N:-4}
		// is the number 4 for a number field.
		n.Tag, n.Style = "", 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if err := expandNode(n.Content[i+1], k, lookup, unset, inRedis || (key == "" && k == "redis")); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range n.Content {
		if err := expandNode(c, key, lookup, unset, inRedis); err != nil {
			return err
		}
	}
	return nil
}
