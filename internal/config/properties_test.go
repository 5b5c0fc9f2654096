package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	p := func(k, v string, line int) Property { return Property{Key: k, Value: v, Line: line} }
	tests := []struct {
		name    string
		in      string
		want    []Property
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "equals", in: "a=b\n", want: []Property{p("a", "b", 1)}},
		{name: "colon", in: "a:b", want: []Property{p("a", "b", 1)}},
		{name: "whitespace separator", in: "a b", want: []Property{p("a", "b", 1)}},
		{name: "spaces around separator", in: "a  =  b", want: []Property{p("a", "b", 1)}},
		{name: "trailing whitespace kept", in: "a=b  \n", want: []Property{p("a", "b  ", 1)}},
		{name: "whitespace then colon", in: "a \t: b", want: []Property{p("a", "b", 1)}},
		{name: "second separator is value", in: "a==b", want: []Property{p("a", "=b", 1)}},
		{name: "leading whitespace", in: "  \t\fa=b", want: []Property{p("a", "b", 1)}},
		{name: "key only", in: "key", want: []Property{p("key", "", 1)}},
		{name: "empty value", in: "key=", want: []Property{p("key", "", 1)}},
		{name: "empty key", in: "=v", want: []Property{p("", "v", 1)}},
		{name: "comments", in: "# one\n! two\n  # three\na=b\n", want: []Property{p("a", "b", 4)}},
		{name: "blank lines", in: "\n\n   \na=1\n\nb=2\n", want: []Property{p("a", "1", 4), p("b", "2", 6)}},
		{name: "crlf", in: "a=1\r\nb=2\r\n", want: []Property{p("a", "1", 1), p("b", "2", 2)}},
		{name: "cr only", in: "a=1\rb=2\r", want: []Property{p("a", "1", 1), p("b", "2", 2)}},
		{name: "continuation", in: "a=one, \\\n    two\nb=3", want: []Property{p("a", "one, two", 1), p("b", "3", 3)}},
		{name: "continuation crlf", in: "a=x\\\r\n  y\r\nb=z", want: []Property{p("a", "xy", 1), p("b", "z", 3)}},
		{name: "continuation in key", in: "lo\\\n  ng=v", want: []Property{p("long", "v", 1)}},
		{name: "continuation onto blank line", in: "a=b\\\n\nc=d", want: []Property{p("a", "b", 1), p("c", "d", 3)}},
		{name: "continued line may start with hash", in: "a=b\\\n#c", want: []Property{p("a", "b#c", 1)}},
		{name: "comment does not continue", in: "# c \\\na=b", want: []Property{p("a", "b", 2)}},
		{name: "even backslashes do not continue", in: "a=b\\\\\nc=d", want: []Property{p("a", `b\`, 1), p("c", "d", 2)}},
		{name: "backslash at end of file", in: "a=b\\", want: []Property{p("a", "b", 1)}},
		{name: "escaped separators in key", in: `a\=b\:c\ d=e`, want: []Property{p("a=b:c d", "e", 1)}},
		{name: "escapes", in: `k=\t\n\r\f\\\q\"`, want: []Property{p("k", "\t\n\r\f\\q\"", 1)}},
		{name: "unicode escape", in: `k=caf\u00e9 \u20AC`, want: []Property{p("k", "café €", 1)}},
		{name: "surrogate pair", in: `k=\uD83D\uDE00`, want: []Property{p("k", "😀", 1)}},
		{name: "lone surrogate", in: `k=\uD83Dx`, want: []Property{p("k", "\uFFFDx", 1)}},
		{name: "utf8 kept", in: "log.dirs=/données/kafka", want: []Property{p("log.dirs", "/données/kafka", 1)}},
		{name: "duplicates kept", in: "a=1\na=2", want: []Property{p("a", "1", 1), p("a", "2", 2)}},
		{name: "malformed unicode", in: "a=1\nb=\\u12", wantErr: `line 2: malformed \uxxxx encoding`},
		{name: "malformed unicode digits", in: "b=\\u12zz", wantErr: `line 1: malformed \uxxxx encoding`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseProperties: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFormatPropertiesRoundTrip(t *testing.T) {
	in := []Property{
		{Key: "a b=c:d#e!f", Value: "  leading, trailing  "},
		{Key: "k", Value: "tab\there\nnew\\line = : # !"},
		{Key: "ctl", Value: "\x00\x01\x7f"},
		{Key: "utf8", Value: "é😀"},
		{Key: "", Value: ""},
	}
	var buf bytes.Buffer
	if err := FormatProperties(&buf, in); err != nil {
		t.Fatal(err)
	}
	got, err := ParseProperties(&buf)
	if err != nil {
		t.Fatalf("parse formatted: %v", err)
	}
	for i := range in {
		if got[i].Key != in[i].Key || got[i].Value != in[i].Value {
			t.Errorf("entry %d: got %q=%q, want %q=%q", i, got[i].Key, got[i].Value, in[i].Key, in[i].Value)
		}
	}
}

func TestPropertiesMap(t *testing.T) {
	props, err := ParseProperties(strings.NewReader("a=1\nb=2\na=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := PropertiesMap(props)
	want := map[string]string{"a": "3", "b": "2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
