package producerperf

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // the error message; "" for success
	}{
		{name: "complete", args: []string{"--topic", "t", "--num-records", "5", "--throughput", "-1", "--record-size", "10"}},
		{name: "equals form", args: []string{"--topic=t", "--num-records=5", "--throughput=-1", "--payload-monotonic"}},
		{name: "prefix", args: []string{"--to", "t", "--num", "5", "--thr", "1.5", "--record-s", "1"}},
		{name: "negative number is a value", args: []string{"--topic", "-5", "--num-records", "-5", "--throughput", "-1", "--record-size", "-1"}},
		{name: "last required missing is reported", args: []string{"--record-size", "1"}, want: "argument --throughput is required"},
		{name: "num-records missing", args: []string{"--topic", "t", "--throughput", "1", "--record-size", "1"}, want: "argument --num-records is required"},
		{name: "payload group", args: []string{"--topic", "t", "--num-records", "1", "--throughput", "1"},
			want: "one of the arguments --record-size --payload-file --payload-monotonic is required"},
		{name: "payload conflict", args: []string{"--payload-file", "f", "--record-size", "1"},
			want: "argument --record-size: not allowed with argument --payload-file"},
		{name: "same payload option twice", args: []string{"--topic", "t", "--num-records", "1", "--throughput", "1", "--record-size", "1", "--record-size", "2"}},
		{name: "unknown", args: []string{"--topic", "t", "--nope"}, want: "unrecognized arguments: '--nope'"},
		{name: "positional", args: []string{"--topic", "t", "x", "y"}, want: "unrecognized arguments: 'x y'"},
		{name: "after separator", args: []string{"--", "--topic"}, want: "unrecognized arguments: '--topic'"},
		{name: "ambiguous", args: []string{"--pr", "x"}, want: "ambiguous option: --pr could match --print-metrics, --producer-props, --producer.config"},
		{name: "no value", args: []string{"--topic"}, want: "argument --topic: expected one argument"},
		{name: "no value before option", args: []string{"--topic", "--num-records", "1"}, want: "argument --topic: expected one argument"},
		{name: "props need one", args: []string{"--producer-props", "--topic", "t"}, want: "argument --producer-props: expected 1 argument(s)"},
		{name: "long", args: []string{"--num-records", "1.5"}, want: "argument --num-records: could not convert '1.5' to Long (For input string: \"1.5\")"},
		{name: "long overflow", args: []string{"--num-records", "99999999999999999999"}, want: "could not convert '99999999999999999999' to Long"},
		{name: "integer overflow", args: []string{"--record-size", "3000000000"}, want: "could not convert '3000000000' to Integer"},
		{name: "double", args: []string{"--throughput", "fast"}, want: "could not convert 'fast' to Double (For input string: \"fast\")"},
		{name: "double forms", args: []string{"--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", " 1e3d "}},
		{name: "flag with value", args: []string{"--print-metrics=yes"}, want: "argument --print-metrics: ignore implicit argument 'yes'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newParser().parse(tc.args)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got error %q, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	o := &Options{}
	err := o.Parse([]string{"--topic", "t", "--num-records", "7", "--throughput", "2.5", "--record-size", "9",
		"--producer-props", "a=1", "b=2", "--producer-props", "c=3", "--print-metrics", "--payload-delimiter", ","})
	if err != nil {
		t.Fatal(err)
	}
	if o.Topic != "t" || o.NumRecords != 7 || o.Throughput != 2.5 || o.RecordSize != 9 || !o.hasRecordSize || !o.PrintMetrics || o.PayloadDelimiter != "," {
		t.Errorf("parsed %+v", o)
	}
	// A repeated option replaces the earlier value, as argparse4j's store.
	if got, want := strings.Join(o.ProducerProps, " "), "c=3"; got != want {
		t.Errorf("producer props %q, want %q", got, want)
	}
}

func TestHelpRequested(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"--he"}, {"--topic", "t", "-h", "--nope"}} {
		_, err := newParser().parse(args)
		if !errors.As(err, new(helpRequested)) {
			t.Errorf("parse(%q): got %v, want a help request", args, err)
		}
	}
	// An error met before -h wins.
	if _, err := newParser().parse([]string{"--nope", "-h"}); err == nil || !strings.Contains(err.Error(), "unrecognized") {
		t.Errorf("got %v, want the unrecognized argument", err)
	}
}

func TestValidate(t *testing.T) {
	base := func() *Options {
		return &Options{Topic: "t", NumRecords: 1, RecordSize: 1, hasRecordSize: true, Throughput: -1, ProducerProps: []string{"a=b"}}
	}
	for _, tc := range []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{name: "valid", modify: func(*Options) {}},
		{name: "zero records", modify: func(o *Options) { o.NumRecords = 0 }, want: "--num-records should be greater than zero"},
		{name: "zero size", modify: func(o *Options) { o.RecordSize = 0 }, want: "--record-size should be greater than zero"},
		{name: "no props", modify: func(o *Options) { o.ProducerProps = nil }, want: "Either --producer-props or --producer.config must be specified."},
		{name: "config file is enough", modify: func(o *Options) { o.ProducerProps, o.ProducerConfig = nil, "f" }},
		{name: "command config is enough", modify: func(o *Options) { o.ProducerProps, o.CommandConfig = nil, "f" }},
		{name: "both config files", modify: func(o *Options) { o.ProducerConfig, o.CommandConfig = "f", "g" }, want: "give only one"},
		{name: "bad duration", modify: func(o *Options) { o.hasTransactionDur = true }, want: "--transaction-duration-ms should be greater than zero"},
		{name: "duration", modify: func(o *Options) { o.hasTransactionDur, o.TransactionDurationMs = true, 5 }, want: "transactions are not supported"},
		{name: "transactional id", modify: func(o *Options) { o.hasTransactionalID = true }, want: "transactions are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.modify(o)
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %q, want no error", err)
			case tc.want != "" && err == nil:
				t.Errorf("got no error, want %q", tc.want)
			case tc.want != "" && !strings.Contains(strings.Join(strings.Fields(err.Error()), " "), tc.want):
				t.Errorf("got %q, want %q", err, tc.want)
			}
		})
	}
}

func TestWrapJustifies(t *testing.T) {
	got := wrap("aaa bbb ccc ddd eee", 10, 0, "  ")
	want := "aaa    bbb\n  ccc  ddd\n  eee"
	if got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

// The wanted strings are what argparse4j's TextHelper.wrap returns for the
// same arguments on OpenJDK 17 (initial indent "", subsequent indent as
// given).
func TestWrapMatchesArgparse4j(t *testing.T) {
	tests := []struct {
		name          string
		text          string
		width, offset int
		indent        string
		want          string
	}{
		{"break after leading dashes", "It sends --num-records records to --topic, at most --throughput records per second.", 40, 0, "",
			"It sends  --num-records  records  to  --\ntopic, at most  --throughput records per\nsecond."},
		{"option help column", "UTF-8 text file whose payloads, split at --payload-delimiter, are sent at random.", 30, 25, strings.Repeat(" ", 25),
			"UTF-\n                         8\n                         text\n                         file\n                         whose\n                         payloads,\n                         split\n                         at --\n                         payload-\n                         delimiter,\n                         are\n                         sent\n                         at\n                         random."},
		{"newline ends a line", "first line\nsecond line that wraps here", 20, 0, "  ",
			"first line\n  second  line  that\n  wraps here"},
		{"UTF-16 widths", "😀😀 ab cd 😀 ef gh", 12, 0, "",
			"😀😀  ab  cd\n😀 ef gh"},
		{"piece wider than the line", "wide\u00a0 \u00a0words ok go", 8, 0, "",
			"\nwide\u00a0 \u00a0words\nok go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrap(tt.text, tt.width, tt.offset, tt.indent); got != tt.want {
				t.Errorf("wrap(%q, %d, %d) =\n%q\nwant\n%q", tt.text, tt.width, tt.offset, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"topic", "topic", 0},
		{"tpoic", "topic", 0}, // a swap is free in git's weights
		{"topi", "topic", 1},  // an insertion costs 1
		{"topicc", "topic", 4},
		{"tipic", "topic", 2},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzParse checks that no command line makes the parser or the help
// renderer panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"--topic",
		"--topic t --num-records 1 --throughput -1 --record-size 1",
		"--topic t --num-records 1 --throughput -1 --record-size 1 --producer-props a=b c=d junk",
		"--producer-props= --=x ---- - -- --p",
		"--throughput 1e999 --num-records -0 --record-size +1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, " ")
		p := newParser()
		if _, err := p.parse(args); err != nil {
			var ae *argError
			if errors.As(err, &ae) && ae.unrecognized != "" {
				p.suggestions(ae.unrecognized)
			}
		}
		// Parse prints --help on o.IO.Out, as the command does.
		o := &Options{IO: cli.IOStreams{Out: io.Discard, ErrOut: io.Discard}}
		if err := o.Parse(args); err == nil {
			_ = o.Validate()
		}
		for _, w := range []int{1, 20, 75} {
			_ = wrap(s, w, 0, "  ")
		}
	})
}
