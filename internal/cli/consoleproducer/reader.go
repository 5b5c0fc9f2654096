package consoleproducer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Record is one record read from the input; a nil Key or Value is null.
type Record struct {
	Key, Value []byte
	Headers    []Header
}

// Header is a record header; a nil Value is null.
type Header struct {
	Key   string
	Value []byte
}

// LineReader turns input lines into records with the properties of Kafka's
// LineMessageReader: parse.key, key.separator, parse.headers,
// headers.delimiter, headers.separator, headers.key.separator, null.marker
// and ignore.error. A line reads as
//
//	[headers<headers.delimiter>][key<key.separator>]value
//
// where headers are pairs key<headers.key.separator>value separated by the
// headers.separator regular expression.
type LineReader struct {
	parseKey, parseHeaders, ignoreError bool
	keySeparator                        string
	headersDelimiter                    string
	headersSeparator                    *regexp.Regexp
	headersKeySeparator                 string
	nullMarker                          *string

	in      *bufio.Reader
	skipLF  bool // the last line ended with \r: drop a \n that follows
	lineNum int
	// prompt, when set, is written before each line is read (Kafka prints
	// ">" when the console is a terminal).
	prompt io.Writer
}

// ReaderError is an error of the reader, worded as Kafka's KafkaException.
type ReaderError struct{ Msg string }

func (e *ReaderError) Error() string { return e.Msg }

// NewLineReader configures a reader from reader properties, with Kafka's
// checks and messages.
func NewLineReader(props *cli.Properties) (*LineReader, error) {
	r := &LineReader{
		keySeparator:        "\t",
		headersDelimiter:    "\t",
		headersKeySeparator: ":",
	}
	isTrue := func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }
	if v, ok := props.Get("parse.key"); ok {
		r.parseKey = isTrue(v)
	}
	if v, ok := props.Get("key.separator"); ok {
		r.keySeparator = v
	}
	if v, ok := props.Get("parse.headers"); ok {
		r.parseHeaders = isTrue(v)
	}
	if v, ok := props.Get("headers.delimiter"); ok {
		r.headersDelimiter = v
	}
	headersSeparator := props.Value("headers.separator", ",")
	re, err := compileJavaRegexp(headersSeparator)
	if err != nil {
		return nil, &ReaderError{Msg: fmt.Sprintf("java.util.regex.PatternSyntaxException: %v", err)}
	}
	r.headersSeparator = re
	if v, ok := props.Get("headers.key.separator"); ok {
		r.headersKeySeparator = v
	}
	if v, ok := props.Get("ignore.error"); ok {
		r.ignoreError = isTrue(v)
	}
	switch {
	case r.headersDelimiter == headersSeparator:
		return nil, &ReaderError{"headers.delimiter and headers.separator may not be equal"}
	case r.headersDelimiter == r.headersKeySeparator:
		return nil, &ReaderError{"headers.delimiter and headers.key.separator may not be equal"}
	case headersSeparator == r.headersKeySeparator:
		return nil, &ReaderError{"headers.separator and headers.key.separator may not be equal"}
	}
	if v, ok := props.Get("null.marker"); ok {
		r.nullMarker = &v
		switch v {
		case r.keySeparator:
			return nil, &ReaderError{"null.marker and key.separator may not be equal"}
		case headersSeparator:
			return nil, &ReaderError{"null.marker and headers.separator may not be equal"}
		case r.headersDelimiter:
			return nil, &ReaderError{"null.marker and headers.delimiter may not be equal"}
		case r.headersKeySeparator:
			return nil, &ReaderError{"null.marker and headers.key.separator may not be equal"}
		}
	}
	return r, nil
}

// compileJavaRegexp compiles a java.util.regex pattern; the subset RE2
// shares with Java covers separators in practice.
func compileJavaRegexp(p string) (*regexp.Regexp, error) { return regexp.Compile(p) }

// Reset starts reading from in; prompt, if not nil, receives ">" before each
// line.
func (r *LineReader) Reset(in io.Reader, prompt io.Writer) {
	r.in = bufio.NewReaderSize(in, 64*1024)
	r.prompt = prompt
	r.lineNum = 0
	r.skipLF = false
}

// Next reads the next record. It returns io.EOF at the end of the input.
func (r *LineReader) Next() (*Record, error) {
	r.lineNum++
	if r.prompt != nil {
		_, _ = io.WriteString(r.prompt, ">")
	}
	line, err := r.readLine()
	if err != nil {
		return nil, err
	}
	return r.Parse(line)
}

// readLine reads a line as java.io.BufferedReader.readLine does: ended by
// \n, \r or \r\n, the last one possibly unterminated, decoded as UTF-8 with
// each malformed byte replaced by U+FFFD.
func (r *LineReader) readLine() (string, error) {
	var buf []byte
	for {
		b, err := r.in.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				return cli.DecodeUTF8(buf), nil
			}
			return "", err
		}
		if r.skipLF {
			r.skipLF = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return cli.DecodeUTF8(buf), nil
		case '\r':
			r.skipLF = true
			return cli.DecodeUTF8(buf), nil
		}
		buf = append(buf, b)
	}
}

// Parse turns one line into a record.
func (r *LineReader) Parse(line string) (*Record, error) {
	headers, hasHeaders, err := r.part(r.parseHeaders, line, 0, r.headersDelimiter, "headers delimiter")
	if err != nil {
		return nil, err
	}
	headerOffset := 0
	if hasHeaders {
		headerOffset = len(headers) + len(r.headersDelimiter)
	}
	key, hasKey, err := r.part(r.parseKey, line, headerOffset, r.keySeparator, "key separator")
	if err != nil {
		return nil, err
	}
	keyOffset := 0
	if hasKey {
		keyOffset = len(key) + len(r.keySeparator)
	}
	value := line[headerOffset+keyOffset:]

	rec := &Record{}
	if hasKey && !r.isNull(key) {
		rec.Key = []byte(key)
	}
	if !r.isNull(value) {
		rec.Value = []byte(value)
	}
	if hasHeaders && !r.isNull(headers) {
		if rec.Headers, err = r.splitHeaders(headers); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (r *LineReader) isNull(s string) bool { return r.nullMarker != nil && s == *r.nullMarker }

// part returns line[start:i] where i is the next separator, as
// LineMessageReader.parse does.
func (r *LineReader) part(enabled bool, line string, start int, sep, name string) (string, bool, error) {
	if !enabled {
		return "", false, nil
	}
	i := -1
	if start <= len(line) {
		if j := strings.Index(line[start:], sep); j >= 0 {
			i = start + j
		}
	}
	if i < 0 {
		if r.ignoreError {
			return "", false, nil
		}
		return "", false, &ReaderError{fmt.Sprintf("No %s found on line number %d: '%s'", name, r.lineNum, line)}
	}
	return line[start:i], true, nil
}

func (r *LineReader) splitHeaders(headers string) ([]Header, error) {
	var out []Header
	for _, pair := range javaRegexpSplit(r.headersSeparator, headers) {
		i := strings.Index(pair, r.headersKeySeparator)
		if i < 0 {
			if r.ignoreError {
				out = append(out, Header{Key: pair})
				continue
			}
			return nil, &ReaderError{fmt.Sprintf("No header key separator found in pair '%s' on line number %d", pair, r.lineNum)}
		}
		k := pair[:i]
		if r.isNull(k) {
			return nil, &ReaderError{fmt.Sprintf("Header keys should not be equal to the null marker '%s' as they can't be null", *r.nullMarker)}
		}
		h := Header{Key: k}
		if v := pair[i+len(r.headersKeySeparator):]; !r.isNull(v) {
			h.Value = []byte(v)
		}
		out = append(out, h)
	}
	return out, nil
}

// javaRegexpSplit is Java's Pattern.split(s): an empty input gives one
// empty string, trailing empty strings are dropped, and a zero-width match
// at the start does not produce a leading empty string.
func javaRegexpSplit(re *regexp.Regexp, s string) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[1] == 0 {
			continue // zero-width match at the beginning
		}
		out = append(out, s[last:m[0]])
		last = m[1]
	}
	out = append(out, s[last:])
	for len(out) > 1 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if len(out) == 1 && out[0] == "" {
		// Every piece was empty: Java returns an empty array.
		return nil
	}
	return out
}
