package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/kafkakit/kafkakit/internal/config"
)

// Properties is an ordered set of string keys and values, as read from a
// Java .properties file or from key=value options. Later values of a key
// replace earlier ones; keys keep the position of their first appearance.
type Properties struct {
	keys []string
	m    map[string]string
}

// NewProperties returns an empty set.
func NewProperties() *Properties { return &Properties{m: map[string]string{}} }

// Get returns the value of key and whether it is set.
func (p *Properties) Get(key string) (string, bool) {
	v, ok := p.m[key]
	return v, ok
}

// Value returns the value of key, or def when it is not set.
func (p *Properties) Value(key, def string) string {
	if v, ok := p.m[key]; ok {
		return v
	}
	return def
}

// Has reports whether key is set.
func (p *Properties) Has(key string) bool {
	_, ok := p.m[key]
	return ok
}

// Set sets key to value.
func (p *Properties) Set(key, value string) {
	if _, ok := p.m[key]; !ok {
		p.keys = append(p.keys, key)
	}
	p.m[key] = value
}

// Delete removes key.
func (p *Properties) Delete(key string) {
	if _, ok := p.m[key]; !ok {
		return
	}
	delete(p.m, key)
	for i, k := range p.keys {
		if k == key {
			p.keys = append(p.keys[:i:i], p.keys[i+1:]...)
			break
		}
	}
}

// Merge sets every key of q in p (Java's putAll).
func (p *Properties) Merge(q *Properties) {
	if q == nil {
		return
	}
	for _, k := range q.keys {
		p.Set(k, q.m[k])
	}
}

// Keys returns the keys in order of first appearance.
func (p *Properties) Keys() []string { return append([]string(nil), p.keys...) }

// Len is the number of keys.
func (p *Properties) Len() int { return len(p.keys) }

// LoadProperties reads a properties file. A missing file is reported the way
// Java's FileInputStream reports it ("<path> (No such file or directory)").
func LoadProperties(path string) (*Properties, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s (%s)", path, javaErrnoText(pe.Err))
		}
		return nil, err
	}
	defer f.Close()
	p, err := ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func javaErrnoText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// ParseProperties reads the Java .properties format with
// config.ParseProperties (java.util.Properties.load rules); later entries of
// a key replace earlier ones.
func ParseProperties(r io.Reader) (*Properties, error) {
	entries, err := config.ParseProperties(r)
	if err != nil {
		return nil, err
	}
	p := NewProperties()
	for _, e := range entries {
		p.Set(e.Key, e.Value)
	}
	return p, nil
}
