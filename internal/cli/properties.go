package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
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

// ParseProperties reads the Java .properties format (java.util.Properties
// load): "#" and "!" comment lines, keys ended by "=", ":" or white space,
// backslash escapes (\t \n \r \f \uXXXX, and \x for any other x) and
// lines continued by an odd number of trailing backslashes. The input is
// taken as UTF-8 (Java reads ISO-8859-1; the two agree on ASCII).
func ParseProperties(r io.Reader) (*Properties, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	p := NewProperties()
	lines := naturalLines(string(data))
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines: a line ending in an odd number of
		// backslashes continues on the next one, whose leading white space
		// is dropped.
		for continues(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if continues(line) {
			line = line[:len(line)-1]
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		p.Set(key, value)
	}
	return p, nil
}

// naturalLines splits at \n, \r and \r\n.
func naturalLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitProperty(line string) (string, string, error) {
	// The key ends at the first unescaped separator or white space.
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rawKey, rest := line[:end], line[end:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescapeProperty(rawKey)
	if err != nil {
		return "", "", err
	}
	value, err := unescapeProperty(rest)
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if len(s)-(i+1) < 4 {
				return "", errors.New("Malformed \\uxxxx encoding.")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errors.New("Malformed \\uxxxx encoding.")
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
