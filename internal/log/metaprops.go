package log

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// MetaPropertiesFile is the identity file at the top of every log directory.
const MetaPropertiesFile = "meta.properties"

// MetaProperties is the content of meta.properties (reference section 12).
// Version 1 (KRaft) carries node.id, cluster.id and directory.id; version 0
// (ZooKeeper era) carries broker.id and an optional cluster.id.
type MetaProperties struct {
	Version     int
	NodeID      int32 // node.id for v1, broker.id for v0
	ClusterID   string
	DirectoryID [16]byte // zero when the file has none (before Kafka 3.7)
	// Extra holds keys this package does not interpret, so rewriting the
	// file keeps them.
	Extra map[string]string
}

// DecodeMetaProperties parses meta.properties, a Java properties file.
func DecodeMetaProperties(b []byte) (MetaProperties, error) {
	props, err := parseProperties(string(b))
	if err != nil {
		return MetaProperties{}, fmt.Errorf("meta.properties: %w", err)
	}
	m := MetaProperties{NodeID: -1, Extra: map[string]string{}}
	vs, ok := props["version"]
	if !ok {
		return m, fmt.Errorf("meta.properties: no version")
	}
	v, err := strconv.Atoi(vs)
	if err != nil {
		return m, fmt.Errorf("meta.properties: bad version %q", vs)
	}
	m.Version = v
	idKey := "node.id"
	switch v {
	case 0:
		idKey = "broker.id"
	case 1:
	default:
		return m, fmt.Errorf("meta.properties: unsupported version %d", v)
	}
	m.ClusterID = props["cluster.id"]
	if v == 1 && m.ClusterID == "" {
		return m, fmt.Errorf("meta.properties: version 1 needs cluster.id")
	}
	ids, ok := props[idKey]
	if !ok {
		return m, fmt.Errorf("meta.properties: version %d needs %s", v, idKey)
	}
	id, err := strconv.ParseInt(ids, 10, 32)
	if err != nil || id < 0 {
		return m, fmt.Errorf("meta.properties: bad %s %q", idKey, ids)
	}
	m.NodeID = int32(id)
	if d, ok := props["directory.id"]; ok {
		if m.DirectoryID, err = ParseUUID(d); err != nil {
			return m, fmt.Errorf("meta.properties: directory.id: %w", err)
		}
	}
	for k, val := range props {
		switch k {
		case "version", "cluster.id", "directory.id", idKey:
		default:
			m.Extra[k] = val
		}
	}
	return m, nil
}

// EncodeMetaProperties renders m as Kafka does: a "#" line, a date comment
// in Java's Date.toString form, then key=value lines (sorted here).
func EncodeMetaProperties(m MetaProperties, now time.Time) []byte {
	props := map[string]string{}
	for k, v := range m.Extra {
		props[k] = v
	}
	props["version"] = strconv.Itoa(m.Version)
	if m.Version == 0 {
		props["broker.id"] = strconv.Itoa(int(m.NodeID))
	} else {
		props["node.id"] = strconv.Itoa(int(m.NodeID))
	}
	if m.ClusterID != "" {
		props["cluster.id"] = m.ClusterID
	}
	if m.DirectoryID != ([16]byte{}) {
		props["directory.id"] = FormatUUID(m.DirectoryID)
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	sb.WriteString("#\n#")
	sb.WriteString(now.UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
	sb.WriteString("\n")
	for _, k := range keys {
		sb.WriteString(escapeProperty(k, true))
		sb.WriteByte('=')
		sb.WriteString(escapeProperty(props[k], false))
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

// parseProperties reads the subset of the java.util.Properties text format
// that matters for Kafka's files: comment lines (# or !), key/value
// separators '=', ':' or whitespace, backslash escapes including \uXXXX, and
// line continuation with a trailing backslash.
func parseProperties(text string) (map[string]string, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	out := map[string]string{}
	for i := 0; i < len(raw); i++ {
		line := strings.TrimLeft(raw[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines: an odd number of trailing backslashes.
		for endsWithContinuation(line) && i+1 < len(raw) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(raw[i], " \t\f")
		}
		if endsWithContinuation(line) {
			line = line[:len(line)-1]
		}
		keyEnd, valStart := splitProperty(line)
		k, err := unescapeProperty(line[:keyEnd])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		v, err := unescapeProperty(line[valStart:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out[k] = v
	}
	return out, nil
}

func endsWithContinuation(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty returns where the key ends and the value starts.
func splitProperty(line string) (keyEnd, valStart int) {
	keyEnd = len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			keyEnd = i
			break
		}
	}
	j := keyEnd
	for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == '\f') {
		j++
	}
	if j < len(line) && (line[j] == '=' || line[j] == ':') {
		j++
		for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == '\f') {
			j++
		}
	}
	return keyEnd, j
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	var sb strings.Builder
	var units []uint16
	flush := func() {
		if len(units) > 0 {
			sb.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			sb.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch s[i] {
		case 't':
			flush()
			sb.WriteByte('\t')
		case 'n':
			flush()
			sb.WriteByte('\n')
		case 'r':
			flush()
			sb.WriteByte('\r')
		case 'f':
			flush()
			sb.WriteByte('\f')
		case 'u':
			if i+4 >= len(s) {
				return "", fmt.Errorf("truncated \\u escape")
			}
			u, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("bad \\u escape %q", s[i-1:i+5])
			}
			units = append(units, uint16(u))
			i += 4
		default:
			flush()
			sb.WriteByte(s[i])
		}
	}
	flush()
	return sb.String(), nil
}

// escapeProperty escapes a key or value as java.util.Properties.store does.
func escapeProperty(s string, key bool) string {
	var sb strings.Builder
	for i, r := range s {
		switch {
		case r == ' ' && (key || i == 0):
			sb.WriteString(`\ `)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r == '=' || r == ':' || r == '#' || r == '!':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&sb, `\u%04X`, u)
			}
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
