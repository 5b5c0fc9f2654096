package consumerperf

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func TestDateFormat(t *testing.T) {
	at := time.Date(2024, time.March, 5, 7, 8, 9, 12_000_000, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		pattern, want string
	}{
		{"yyyy-MM-dd HH:mm:ss:SSS", "2024-03-05 07:08:09:012"},
		{"yy/M/d H:m:s.S", "24/3/5 7:8:9.12"},
		{"EEE, d MMM yyyy hh:mm a", "Tue, 5 Mar 2024 07:08 AM"},
		{"EEEE MMMM", "Tuesday March"},
		{"'at' HH 'o''clock'", "at 07 o'clock"},
		{"''HH''", "'07'"},
		{"Z X XXX z", "+0100 +01 +01:00 CET"},
		{"D k K h", "65 7 7 7"},
		{"-_/.,: ", "-_/.,: "},
	} {
		f, err := compileDateFormat(tc.pattern)
		if err != nil {
			t.Errorf("%q: %v", tc.pattern, err)
			continue
		}
		if got := f.format(at); got != tc.want {
			t.Errorf("format %q = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	for _, bad := range []struct{ pattern, want string }{
		{"yyyy-bb", "Illegal pattern character 'b'"},
		{"'open", "Unterminated quote"},
		{"q", "Illegal pattern character 'q'"},
	} {
		if _, err := compileDateFormat(bad.pattern); err == nil || err.Error() != bad.want {
			t.Errorf("compile %q: got %v, want %q", bad.pattern, err, bad.want)
		}
	}
}

// FuzzDateFormat checks that no pattern makes compiling or formatting
// panic.
func FuzzDateFormat(f *testing.F) {
	for _, s := range []string{"", "yyyy-MM-dd HH:mm:ss:SSS", "'", "''", "'a''b'", "GyYMLwWDdFEuaHkKhmsSzZX", "\xff'x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		df, err := compileDateFormat(pattern)
		if err != nil {
			return
		}
		_ = df.format(time.Unix(0, 0).UTC())
		_ = df.format(time.Date(-5, 1, 1, 0, 0, 0, 0, time.Local))
	})
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "no arguments", args: nil, want: "This tool is used to verify the consumer performance."},
		{name: "no topic", args: []string{"--bootstrap-server", "x:1", "--messages", "1"}, want: `Missing required argument "[topic]"`},
		{name: "no messages", args: []string{"--bootstrap-server", "x:1", "--topic", "t"}, want: `Missing required argument "[messages]"`},
		{name: "no bootstrap", args: []string{"--topic", "t", "--messages", "1"}, want: `Missing required argument "[bootstrap-server]"`},
		{name: "complete", args: []string{"--bootstrap-server", "x:1", "--topic", "t", "--messages", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, cmd := newCommand(cli.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			o.Complete(cmd, cmd.Flags().Args())
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %q, want no error", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAssignors(t *testing.T) {
	for _, tc := range []struct {
		list string
		want int // balancers; -1 for an error
	}{
		{"range,cooperative-sticky", 1},
		{"org.apache.kafka.clients.consumer.RoundRobinAssignor", 1},
		{"cooperative-sticky", 1},
		{"range, sticky", 2},
		{"magic", -1},
		{"", -1},
	} {
		bs, err := assignors(tc.list)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("%q: got no error, want one", tc.list)
			}
			continue
		}
		if err != nil || len(bs) != tc.want {
			t.Errorf("%q: got %d balancers (%v), want %d", tc.list, len(bs), err, tc.want)
		}
	}
}

func TestHeader(t *testing.T) {
	for detailed, first := range map[bool]string{false: "start.time, end.time,", true: "time, threadId,"} {
		h := header(detailed)
		if !strings.HasPrefix(h, first) || !strings.HasSuffix(h, ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n") {
			t.Errorf("header(%v) = %q", detailed, h)
		}
	}
}
