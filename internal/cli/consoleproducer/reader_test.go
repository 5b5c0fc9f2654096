package consoleproducer

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func readerProps(kv ...string) *cli.Properties {
	p := cli.NewProperties()
	for i := 0; i+1 < len(kv); i += 2 {
		p.Set(kv[i], kv[i+1])
	}
	return p
}

// rec builds an expected record; "<nil>" stands for null.
func rec(key, value string, headers ...string) Record {
	b := func(s string) []byte {
		if s == "<nil>" {
			return nil
		}
		return []byte(s)
	}
	r := Record{Key: b(key), Value: b(value)}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Headers = append(r.Headers, Header{Key: headers[i], Value: b(headers[i+1])})
	}
	return r
}

func readAll(t *testing.T, props *cli.Properties, input string) ([]Record, error) {
	t.Helper()
	r, err := NewLineReader(props)
	if err != nil {
		return nil, err
	}
	r.Reset(strings.NewReader(input), nil)
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, *rec)
	}
}

func TestLineReader(t *testing.T) {
	both := []string{"parse.key", "true", "parse.headers", "true"}
	keyOnly := []string{"parse.key", "true"}
	tests := []struct {
		name    string
		props   []string
		input   string
		want    []Record
		wantErr string
	}{
		{"value only", nil, "v1\nv2\n", []Record{rec("<nil>", "v1"), rec("<nil>", "v2")}, ""},
		{"empty lines are empty values", nil, "\n\n", []Record{rec("<nil>", ""), rec("<nil>", "")}, ""},
		{"last line without newline", nil, "a\nb", []Record{rec("<nil>", "a"), rec("<nil>", "b")}, ""},
		{"cr and crlf end lines", nil, "a\r\nb\rc\n", []Record{rec("<nil>", "a"), rec("<nil>", "b"), rec("<nil>", "c")}, ""},
		{"malformed utf-8 replaced", nil, "a\xffb\n", []Record{rec("<nil>", "a\uFFFDb")}, ""},
		{"key and value", keyOnly, "key0\tvalue0\nkey1\tvalue1", []Record{rec("key0", "value0"), rec("key1", "value1")}, ""},
		{"value keeps later separators", keyOnly, "k\tv\tw", []Record{rec("k", "v\tw")}, ""},
		{"key with empty value", keyOnly, "key\t", []Record{rec("key", "")}, ""},
		{"headers key value", both, "headerKey0:headerValue0,headerKey1:headerValue1\tkey0\tvalue0\n",
			[]Record{rec("key0", "value0", "headerKey0", "headerValue0", "headerKey1", "headerValue1")}, ""},
		{"minimal headers", both, ":\t\t", []Record{rec("", "", "", "")}, ""},
		{"headers without key", []string{"parse.headers", "true"}, "h:v\tvalue\n", []Record{rec("<nil>", "value", "h", "v")}, ""},
		{"long demarcations", []string{"parse.key", "true", "parse.headers", "true", "key.separator", "\t\t", "headers.delimiter", "\t\t",
			"headers.separator", "---", "headers.key.separator", "::::"},
			"h0::::v0---h1::::\t\tkey\t\tvalue", []Record{rec("key", "value", "h0", "v0", "h1", "")}, ""},
		{"custom demarcations", []string{"parse.key", "true", "parse.headers", "true", "key.separator", "#", "headers.delimiter", "!", "headers.separator", "&"},
			"a:1&b:2!k0#v0\nc:3!k1#v1", []Record{rec("k0", "v0", "a", "1", "b", "2"), rec("k1", "v1", "c", "3")}, ""},
		{"separator is a regexp", []string{"parse.headers", "true", "headers.separator", "[,;]"}, "a:1;b:2,c:3\tv",
			[]Record{rec("<nil>", "v", "a", "1", "b", "2", "c", "3")}, ""},
		{"missing key separator", both, "h:v\tk\tv\nh:v\tk[MISSING]v", []Record{rec("k", "v", "h", "v")},
			"No key separator found on line number 2: 'h:v\tk[MISSING]v'"},
		{"missing headers delimiter", both, "no-delimiter", nil, "No headers delimiter found on line number 1: 'no-delimiter'"},
		{"missing header key separator", both, "key[MISSING]val\tk\tv", nil, "No header key separator found in pair 'key[MISSING]val' on line number 1"},
		{"ignore errors", append(both, "ignore.error", "true"),
			"h0:v0\tk0\tv0\nh1:v1,h2:v2[X]k1\tv1\nh3:v3\tk2[X]v2\nh4:v4[X]k3[X]v3\n",
			[]Record{
				rec("k0", "v0", "h0", "v0"),
				rec("<nil>", "v1", "h1", "v1", "h2", "v2[X]k1"),
				rec("<nil>", "k2[X]v2", "h3", "v3"),
				rec("<nil>", "h4:v4[X]k3[X]v3"),
			}, ""},
		{"malformed header ignored", append(both, "ignore.error", "true"), "key-val\tk\tv\n", []Record{rec("k", "v", "key-val", "<nil>")}, ""},
		{"null marker", append(keyOnly, "null.marker", "<NULL>"), "key\t\nkey\t<NULL>\nkey\t<NULL>value\n<NULL>\tvalue\n<NULL>\t<NULL>",
			[]Record{rec("key", ""), rec("key", "<nil>"), rec("key", "<NULL>value"), rec("<nil>", "value"), rec("<nil>", "<nil>")}, ""},
		{"no null marker", keyOnly, "<NULL>\t<NULL>", []Record{rec("<NULL>", "<NULL>")}, ""},
		{"null marker with headers", append(both, "null.marker", "<NULL>"),
			"h0:v0,h1:v1\t<NULL>\tvalue\n<NULL>\tkey\t<NULL>\nh0:,h1:v1\t<NULL>\t<NULL>\nh0:<NULL>,h1:v1\tkey\t<NULL>\n",
			[]Record{
				rec("<nil>", "value", "h0", "v0", "h1", "v1"),
				rec("key", "<nil>"),
				rec("<nil>", "<nil>", "h0", "", "h1", "v1"),
				rec("key", "<nil>", "h0", "<nil>", "h1", "v1"),
			}, ""},
		{"null header key", append(both, "null.marker", "<NULL>"), "<NULL>:v\tk\tv", nil,
			"Header keys should not be equal to the null marker '<NULL>' as they can't be null"},
		{"delimiter equals separator", []string{"headers.separator", "\t"}, "", nil, "headers.delimiter and headers.separator may not be equal"},
		{"delimiter equals key separator", []string{"headers.key.separator", "\t"}, "", nil, "headers.delimiter and headers.key.separator may not be equal"},
		{"separator equals key separator", []string{"headers.key.separator", ","}, "", nil, "headers.separator and headers.key.separator may not be equal"},
		{"null marker equals key separator", []string{"null.marker", "\t"}, "", nil, "null.marker and key.separator may not be equal"},
		{"null marker equals headers separator", []string{"null.marker", ",", "key.separator", "#"}, "", nil, "null.marker and headers.separator may not be equal"},
		{"booleans are trimmed, case-insensitive", []string{"parse.key", " TRUE "}, "k\tv", []Record{rec("k", "v")}, ""},
		{"other values are false", []string{"parse.key", "yes"}, "k\tv", []Record{rec("<nil>", "k\tv")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, readerProps(tt.props...), tt.input)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("error = %v", err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPrompt(t *testing.T) {
	r, err := NewLineReader(readerProps())
	if err != nil {
		t.Fatal(err)
	}
	var prompt strings.Builder
	r.Reset(strings.NewReader("a\nb\n"), &prompt)
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	// One prompt per read, including the one that meets the end of input.
	if got := prompt.String(); got != ">>>" {
		t.Errorf("prompt = %q, want %q", got, ">>>")
	}
}

func FuzzLineReader(f *testing.F) {
	valid := "h0:v0,h1:v1\tkey\tvalue\n<NULL>\tk\t<NULL>\n"
	f.Add("", true, true)
	f.Add(valid[:9], true, true)
	f.Add(valid, true, true)
	f.Add(valid+"\x00\xff\r\r\n::\t", true, false)
	f.Fuzz(func(t *testing.T, input string, parseKey, ignore bool) {
		props := readerProps("parse.headers", "true", "null.marker", "<NULL>",
			"parse.key", map[bool]string{true: "true", false: "false"}[parseKey],
			"ignore.error", map[bool]string{true: "true", false: "false"}[ignore])
		r, err := NewLineReader(props)
		if err != nil {
			t.Fatal(err)
		}
		r.Reset(strings.NewReader(input), nil)
		total := 0
		for {
			rec, err := r.Next()
			if err != nil {
				var re *ReaderError
				if !errors.Is(err, io.EOF) && !errors.As(err, &re) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			total += len(rec.Key) + len(rec.Value)
			if total > 3*len(input)+8 {
				t.Fatalf("records hold more bytes (%d) than the input (%d)", total, len(input))
			}
		}
	})
}
