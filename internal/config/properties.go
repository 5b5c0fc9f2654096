package config

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Property is one entry of a Java .properties file.
type Property struct {
	Key, Value string
	Line       int // line where the entry starts, counting from 1
}

// ParseProperties reads a Java .properties file with the rules of
// java.util.Properties.load: '#' and '!' comment lines, keys separated
// from values by '=', ':' or whitespace, a backslash at the end of a line
// continuing it on the next (whose leading whitespace is dropped),
// \t \n \r \f and \uXXXX escapes, any other escaped character standing for
// itself, and leading whitespace ignored. Entries come back in file order,
// duplicates included; the last one wins when they are applied.
//
// Java decodes the file as ISO-8859-1; this parser keeps bytes as they are,
// so UTF-8 text survives, and \u escapes produce UTF-8.
func ParseProperties(r io.Reader) ([]Property, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	return parseProperties(data)
}

// PropertiesMap applies entries in order, later ones replacing earlier ones.
func PropertiesMap(props []Property) map[string]string {
	m := make(map[string]string, len(props))
	for _, p := range props {
		m[p.Key] = p.Value
	}
	return m
}

// logicalLine is one entry's text after comment removal and line joining.
type logicalLine struct {
	text []byte
	line int
}

// splitLogicalLines follows Java's Properties.LineReader.
func splitLogicalLines(data []byte) []logicalLine {
	var (
		out          []logicalLine
		buf          []byte
		line         = 1 // current natural line
		start        = 0 // natural line where buf began
		skipWS       = true
		appendedLine = false // buf continues from a previous natural line
		newLine      = true  // at the first non-blank char of a natural line
		comment      = false
		backslash    = false // odd number of trailing backslashes in buf
		skipLF       = false
	)
	for i := 0; i < len(data); i++ {
		c := data[i]
		cur := line
		if c == '\n' || (c == '\r' && (i+1 >= len(data) || data[i+1] != '\n')) {
			line++ // "\r\n" counts once, at its '\n'
		}
		if skipLF {
			skipLF = false
			if c == '\n' {
				continue
			}
		}
		if skipWS {
			if c == ' ' || c == '\t' || c == '\f' {
				continue
			}
			if !appendedLine && (c == '\r' || c == '\n') {
				continue
			}
			skipWS = false
			appendedLine = false
		}
		if newLine {
			newLine = false
			start = cur
			if c == '#' || c == '!' {
				comment = true
				continue
			}
		}
		if c != '\n' && c != '\r' {
			buf = append(buf, c)
			if c == '\\' {
				backslash = !backslash
			} else {
				backslash = false
			}
			continue
		}
		// End of a natural line.
		if comment || len(buf) == 0 {
			comment = false
			newLine = true
			skipWS = true
			buf = buf[:0]
			continue
		}
		if backslash {
			buf = buf[:len(buf)-1]
			skipWS = true
			appendedLine = true
			backslash = false
			if c == '\r' {
				skipLF = true
			}
			continue
		}
		out = append(out, logicalLine{text: append([]byte(nil), buf...), line: start})
		buf = buf[:0]
		newLine = true
		skipWS = true
	}
	if len(buf) > 0 && !comment {
		if backslash {
			buf = buf[:len(buf)-1]
		}
		out = append(out, logicalLine{text: buf, line: start})
	}
	return out
}

func parseProperties(data []byte) ([]Property, error) {
	var props []Property
	for _, ll := range splitLogicalLines(data) {
		b := ll.text
		keyLen, valueStart := 0, len(b)
		hasSep, backslash := false, false
		for keyLen < len(b) {
			c := b[keyLen]
			if (c == '=' || c == ':') && !backslash {
				valueStart, hasSep = keyLen+1, true
				break
			}
			if (c == ' ' || c == '\t' || c == '\f') && !backslash {
				valueStart = keyLen + 1
				break
			}
			backslash = c == '\\' && !backslash
			keyLen++
		}
		for valueStart < len(b) {
			c := b[valueStart]
			if c != ' ' && c != '\t' && c != '\f' {
				if !hasSep && (c == '=' || c == ':') {
					hasSep = true
				} else {
					break
				}
			}
			valueStart++
		}
		key, err := unescapeProperty(b[:keyLen])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", ll.line, err)
		}
		val, err := unescapeProperty(b[valueStart:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", ll.line, err)
		}
		props = append(props, Property{Key: key, Value: val, Line: ll.line})
	}
	return props, nil
}

// unescapeProperty is Java's Properties.loadConvert.
func unescapeProperty(b []byte) (string, error) {
	if !containsByte(b, '\\') {
		return string(b), nil
	}
	var sb strings.Builder
	pendingHigh := rune(-1) // a high surrogate from a \u escape waiting for its pair
	flush := func() {
		if pendingHigh >= 0 {
			sb.WriteRune(utf8.RuneError)
			pendingHigh = -1
		}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			flush()
			sb.WriteByte(c)
			continue
		}
		i++
		c = b[i]
		if c != 'u' {
			flush()
			switch c {
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			case 'n':
				c = '\n'
			case 'f':
				c = '\f'
			}
			sb.WriteByte(c)
			continue
		}
		if i+4 >= len(b) {
			return "", fmt.Errorf("malformed \\uxxxx encoding")
		}
		var r rune
		for _, h := range b[i+1 : i+5] {
			var d byte
			switch {
			case h >= '0' && h <= '9':
				d = h - '0'
			case h >= 'a' && h <= 'f':
				d = h - 'a' + 10
			case h >= 'A' && h <= 'F':
				d = h - 'A' + 10
			default:
				return "", fmt.Errorf("malformed \\uxxxx encoding")
			}
			r = r<<4 | rune(d)
		}
		i += 4
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			flush()
			pendingHigh = r
		case r >= 0xDC00 && r <= 0xDFFF:
			if pendingHigh >= 0 {
				sb.WriteRune(0x10000 + (pendingHigh-0xD800)<<10 + (r - 0xDC00))
				pendingHigh = -1
			} else {
				sb.WriteRune(utf8.RuneError)
			}
		default:
			flush()
			sb.WriteRune(r)
		}
	}
	flush()
	return sb.String(), nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// FormatProperties writes entries so that ParseProperties reads them back
// unchanged: one "key=value" line each, with backslash escapes for the
// characters Java's Properties.store escapes (separators, comment
// characters, backslashes, leading spaces of values, and control
// characters). Bytes from 0x80 up are written as they are.
func FormatProperties(w io.Writer, props []Property) error {
	var sb strings.Builder
	for _, p := range props {
		escapeProperty(&sb, p.Key, true)
		sb.WriteByte('=')
		escapeProperty(&sb, p.Value, false)
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(w, sb.String())
	if err != nil {
		return fmt.Errorf("write properties: %w", err)
	}
	return nil
}

func escapeProperty(sb *strings.Builder, s string, key bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if key || i == 0 {
				sb.WriteByte('\\')
			}
			sb.WriteByte(' ')
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c == '\\' || c == '=' || c == ':' || c == '#' || c == '!':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(sb, `\u%04X`, c)
		default:
			sb.WriteByte(c)
		}
	}
}
