package consumergroups

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// The expected values of the date-time and duration tests were printed by
// JDK 17 (jshell, TZ=UTC) running the code of Kafka's Utils.getDateTime
// and java.time.Duration.parse on the same inputs.

func TestParseDateTimeMatchesKafka(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		err      string
	}{
		{"utc appended", "2023-11-14T22:13:20.000", 1700000000000, ""},
		{"zulu", "2023-11-14T22:13:20.000Z", 1700000000000, ""},
		{"plus offset", "2023-11-14T22:13:20.000+01:00", 1699996400000, ""},
		{"minus offset", "2023-11-14T22:13:20.000-05:30", 1700019800000, ""},
		{"offset without colon reads hours only", "2023-11-14T22:13:20.000+0530", 1699982000000, ""},
		{"hours only", "2023-11-14T22:13:20.000+05", 1699982000000, ""},
		{"milliseconds are a count", "2023-11-14T22:13:20.5", 1700000000005, ""},
		{"one-digit fields", "2023-1-5T1:2:3.4", 1672880523004, ""},
		{"leap day", "2024-02-29T00:00:00.000", 1709164800000, ""},
		{"epoch", "1970-01-01T00:00:00.000", 0, ""},
		{"five-digit year", "99999-01-01T00:00:00.000", 3093496444800000, ""},
		{"text after zone ignored", "2023-11-14T22:13:20.000Zjunk", 1700000000000, ""},
		{"text after offset ignored", "2023-11-14T22:13:20.000+01:00junk", 1699996400000, ""},
		{"leading space", " 2023-11-14T22:13:20.000", 1700000000000, ""},
		{"trailing space", "2023-11-14T22:13:20.000 ", 1700000000000, ""},
		{"space before a field", "2023- 11-14T22:13:20.000Z", 1700000000000, ""},
		{"tab before zone", "2023-11-14T22:13:20.000\tZ", 1700000000000, ""},
		{"largest offset", "2023-11-14T22:13:20.000+14:00", 1699949600000, ""},
		{"smallest offset", "2023-11-14T22:13:20.000-13:00", 1700046800000, ""},
		{"julian date", "1582-10-04T00:00:00.000Z", -12219379200000, ""},
		{"gregorian 1600", "1600-01-01T00:00:00.000Z", -11676096000000, ""},
		{"too many millisecond digits", "2023-11-14T22:13:20.1234", 0, `Unparseable date: "2023-11-14T22:13:20.1234Z"`},
		{"no milliseconds", "2023-11-14T22:13:20", 0, `Unparseable date: "2023-11-14T22:13:20Z"`},
		{"no T", "2023-11-14", 0, errNoT},
		{"nothing after T", "2023-11-14T", 0, errNoT},
		{"only T", "T", 0, errNoT},
		{"other separator", "2023-11-14X22:13:20.000", 0, errNoT},
		{"not a leap year", "2023-02-29T00:00:00.000", 0, `Unparseable date: "2023-02-29T00:00:00.000Z"`},
		{"month 13", "2023-13-01T00:00:00.000", 0, `Unparseable date: "2023-13-01T00:00:00.000Z"`},
		{"hour 24", "2023-11-14T24:00:00.000", 0, `Unparseable date: "2023-11-14T24:00:00.000Z"`},
		{"leap second", "2023-11-14T23:59:60.000", 0, `Unparseable date: "2023-11-14T23:59:60.000Z"`},
		{"one-digit offset hour", "2023-11-14T22:13:20.000+1:00", 0, `Unparseable date: "2023-11-14T22:13:20.000+1:00"`},
		{"offset hour 24", "2023-11-14T22:13:20.000+24:00", 0, `Unparseable date: "2023-11-14T22:13:20.000+24:00"`},
		{"minutes past +14:00 fall back to hours", "2023-11-14T22:13:20.000+14:01", 1699949600000, ""},
		{"minutes past -13:00 fall back to hours", "2023-11-14T22:13:20.000-13:01", 1700046800000, ""},
		{"offset past +14", "2023-11-14T22:13:20.000+15:00", 0, `Unparseable date: "2023-11-14T22:13:20.000+15:00"`},
		{"offset past -13:00", "2023-11-14T22:13:20.000-14:00", 0, `Unparseable date: "2023-11-14T22:13:20.000-14:00"`},
		{"dangling sign", "2023-11-14T22:13:20.000-", 0, `Unparseable date: "2023-11-14T22:13:20.000-"`},
		{"year zero", "0000-01-01T00:00:00.000", 0, `Unparseable date: "0000-01-01T00:00:00.000Z"`},
		{"second T", "2023-11-14T22:13:20.000T10", 0, `Unparseable date: "2023-11-14T22:13:20.000T10Z"`},
		{"lower-case z", "2023-11-14T22:13:20.000z", 0, `Unparseable date: "2023-11-14T22:13:20.000zZ"`},
		{"comma before milliseconds", "2023-11-14T22:13:20,000", 0, `Unparseable date: "2023-11-14T22:13:20,000Z"`},
		{"signed year", "+2023-11-14T22:13:20.000Z", 0, `Unparseable date: "+2023-11-14T22:13:20.000Z"`},
		{"calendar gap", "1582-10-10T00:00:00.000Z", 0, `Unparseable date: "1582-10-10T00:00:00.000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDateTime(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("parseDateTime(%q) = %d, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseDateTime(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDurationMatchesJava(t *testing.T) {
	tests := []struct {
		in     string
		secs   int64
		nanos  int64
		errMsg string
	}{
		{"PT30M", 1800, 0, ""},
		{"P1DT2H", 93600, 0, ""},
		{"pt1h", 3600, 0, ""},
		{"-PT1H", -3600, 0, ""},
		{"PT-1H", -3600, 0, ""},
		{"P1D", 86400, 0, ""},
		{"PT1.5S", 1, 500000000, ""},
		{"PT-0.5S", -1, 500000000, ""},
		{"PT1,25S", 1, 250000000, ""},
		{"P-1DT+2H", -79200, 0, ""},
		{"PT9223372036854775807S", 9223372036854775807, 0, ""},
		{"P106751991167300D", 9223372036854720000, 0, ""},
		{"+PT1M", 60, 0, ""},
		{"PT1H30M15.100S", 5415, 100000000, ""},
		{"PT0S", 0, 0, ""},
		{"PT1.S", 1, 0, ""},
		{"P", 0, 0, errDuration},
		{"PT", 0, 0, errDuration},
		{"P1DT", 0, 0, errDuration},
		{"PT1H2", 0, 0, errDuration},
		{"PT1.1234567891S", 0, 0, errDuration},
		{"PT9223372036854775808S", 0, 0, errDuration + ": seconds"},
		{"P106751991167301D", 0, 0, errDuration + ": days"},
		{"1H", 0, 0, errDuration},
		{"P1W", 0, 0, errDuration},
		{"", 0, 0, errDuration},
		{"PT1ſ", 0, 0, errDuration},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if tt.errMsg != "" {
				if err == nil || err.Error() != tt.errMsg {
					t.Fatalf("parseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDuration(%q): %v", tt.in, err)
			}
			// Java's Duration keeps seconds and a non-negative nano part.
			want := new(big.Int).Mul(big.NewInt(tt.secs), big.NewInt(int64(time.Second)))
			want.Add(want, big.NewInt(tt.nanos))
			if got.Cmp(want) != 0 {
				t.Fatalf("parseDuration(%q) = %v ns, want %v ns", tt.in, got, want)
			}
		})
	}
}

func TestMinusDuration(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	tests := []struct {
		name string
		d    *big.Int
		want int64
		err  string
	}{
		{"thirty minutes", big.NewInt(int64(30 * time.Minute)), 1700000000000 - 1800000, ""},
		{"negative moves forward", big.NewInt(-int64(time.Hour)), 1700000000000 + 3600000, ""},
		{"half a millisecond rounds down", big.NewInt(500000), 1699999999999, ""},
		{"beyond Instant", new(big.Int).Mul(big.NewInt(9223372036854775807), big.NewInt(int64(time.Second))), 0, "Instant exceeds minimum or maximum instant"},
		{"beyond long milliseconds", new(big.Int).Mul(big.NewInt(10000000000000000), big.NewInt(int64(time.Second))), 0, "long overflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := minusDuration(now, tt.d)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("minusDuration = %d, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("minusDuration = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestParseTopicArg(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  string
	}{
		{"t:0", "t-0", ""},
		{"t:0,1,2", "t-0 t-1 t-2", ""},
		{"t:2,0,", "t-2 t-0", ""},
		{"t:+1,-1", "t-1 t--1", ""},
		{":0", "-0", ""},
		{"t:", "", "Invalid topic arg 't:', expected topic name and partitions"},
		{"t:0:1", "", "Invalid topic arg 't:0:1', expected topic name and partitions"},
		{"t:x", "", "Invalid partition 'x' specified in topic arg 't:x''"},
		{"t:0,,1", "", "Invalid partition '' specified in topic arg 't:0,,1''"},
		{"t:99999999999", "", "Invalid partition '99999999999' specified in topic arg 't:99999999999''"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTopicArg(tt.in)
			if tt.err != "" {
				var ee *cli.ExitError
				if !errors.As(err, &ee) || ee.Msg != tt.err || !ee.Usage {
					t.Fatalf("parseTopicArg(%q) = %v, %v; want usage error %q", tt.in, got, err, tt.err)
				}
				return
			}
			var parts []string
			for _, tp := range got {
				parts = append(parts, tp.String())
			}
			if err != nil || strings.Join(parts, " ") != tt.want {
				t.Fatalf("parseTopicArg(%q) = %q, %v; want %q", tt.in, parts, err, tt.want)
			}
		})
	}
}

func TestParseResetPlan(t *testing.T) {
	tests := []struct {
		name   string
		csv    string
		single string
		want   string // "group topic partition offset" lines, sorted
		err    string
	}{
		{"one group, three columns", "t,0,5\nt,1,7\n", "g", "g t 0 5\ng t 1 7", ""},
		{"one group, four columns", "g,t,0,5\nh,t,1,7\n", "g", "g t 0 5\nh t 1 7", ""},
		{"several groups", "g,t,0,5\nh,t,1,7", "", "g t 0 5\nh t 1 7", ""},
		{"three columns without one group", "t,0,5\n", "", "", "line 1: expected 4 columns, found 3"},
		{"carriage returns", "t,0,5\r\nt,1,6\r\n", "g", "g t 0 5\ng t 1 6", ""},
		{"quoted group", "\"a,\"\"b\",t,0,5\n", "", "a,\"b t 0 5", ""},
		{"later line wins", "t,0,5\nt,0,9\n", "g", "g t 0 9", ""},
		{"bad partition", "t,x,5\n", "g", "", "line 1: expected 4 columns, found 3"},
		{"bad offset", "g,t,0,x\n", "g", "", `line 1: offset "x" is not a long`},
		{"empty line", "t,0,5\n\nt,1,6\n", "g", "", "line 2: expected 3 columns, found 1"},
		{"unterminated quote", "\"g,t,0,5\n", "", "", "line 1: missing closing quote for value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := parseResetPlan(tt.csv, tt.single)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("parseResetPlan = %v, %v; want error %q", plan, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := planText(plan); got != tt.want {
				t.Fatalf("parseResetPlan:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func planText(plan resetPlan) string {
	var lines []string
	for g, offs := range plan {
		for tp, o := range offs {
			lines = append(lines, fmt.Sprintf("%s %s %d %d", g, tp.Topic, tp.Partition, o))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// exportPlan writes a plan in the four-column --export layout.
func exportPlan(plan resetPlan) string {
	var b strings.Builder
	for g, offs := range plan {
		for tp, o := range offs {
			fmt.Fprintf(&b, "%s,%s,%d,%d\n", csvField(g), csvField(tp.Topic), tp.Partition, o)
		}
	}
	return b.String()
}

func FuzzParseResetPlan(f *testing.F) {
	for _, seed := range []string{"", "t,0,5\n", "t,0", "g,t,0,5\nh,t,1,7", "g,t,0,5\nh,t,1,7\ngarbage\x00\xff", "\"a,\"\"b\",t,0,5\n", "\"", "t,0,5\r\n"} {
		f.Add(seed, "g")
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, csv, single string) {
		plan, err := parseResetPlan(csv, single)
		if err != nil {
			return
		}
		// What was read exports and reads back the same (Kafka splits the
		// file at line feeds first, so values holding line breaks cannot).
		if len(plan) == 0 || strings.ContainsAny(planText(plan), "\r\n") && strings.Count(planText(plan), "\n") != len(strings.Split(planText(plan), "\n"))-1 {
			return
		}
		for g, offs := range plan {
			for tp := range offs {
				if strings.ContainsAny(g+tp.Topic, "\r\n") {
					return
				}
			}
		}
		again, err := parseResetPlan(exportPlan(plan), "")
		if err != nil {
			t.Fatalf("export of %q does not read back: %v", csv, err)
		}
		if planText(again) != planText(plan) {
			t.Fatalf("round trip of %q:\ngot  %q\nwant %q", csv, planText(again), planText(plan))
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, seed := range []string{"", "2023-11-14T22:13:20.000", "2023-11-14T22:13", "2023-11-14T22:13:20.000+01:00", "2023-11-14T22:13:20.000+01:00\x00\xffgarbage", "T", "9999999999999999999-1-1T0:0:0.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseDateTime(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "Unparseable date: ") && err.Error() != errNoT {
				t.Fatalf("parseDateTime(%q): unexpected error %v", s, err)
			}
			return
		}
		// A parsed date-time of the Gregorian era prints back and parses to
		// the same instant.
		tm := time.UnixMilli(ms).UTC()
		if tm.Year() < 1600 || tm.Year() > 9999 {
			return
		}
		again, err := parseDateTime(tm.Format("2006-01-02T15:04:05.000"))
		if err != nil || again != ms {
			t.Fatalf("parseDateTime(%q) = %d, but its UTC form parses to %d, %v", s, ms, again, err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"", "PT30M", "P1DT2H", "PT1.5S", "-PT-0.5S", "PT", "P1DT2H\x00garbage", "PT9223372036854775808S"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), errDuration) {
				t.Fatalf("parseDuration(%q): unexpected error %v", s, err)
			}
			return
		}
		// The same duration written in seconds parses to the same value.
		secs, nanos := new(big.Int).DivMod(d, big.NewInt(int64(time.Second)), new(big.Int))
		again, err := parseDuration(fmt.Sprintf("PT%s.%09dS", secs, nanos.Int64()))
		if secs.Sign() < 0 {
			// Java writes -0.5s as PT-1.5S's opposite; rebuild from parts.
			again, err = parseDuration(fmt.Sprintf("PT%sS", secs))
			if err == nil {
				again.Add(again, nanos)
			}
		}
		if err != nil || again.Cmp(d) != 0 {
			t.Fatalf("parseDuration(%q) = %v, round trip gives %v, %v", s, d, again, err)
		}
	})
}

func FuzzParseTopicArg(f *testing.F) {
	for _, seed := range []string{"", "t:0", "t:0,1,2", "t:", ":", "t:0,1\x00\xff", "t:0:1", "t:2147483648"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tps, err := parseTopicArg(s)
		if err != nil {
			var ee *cli.ExitError
			if !errors.As(err, &ee) || !ee.Usage {
				t.Fatalf("parseTopicArg(%q): error %v is not a usage error", s, err)
			}
			return
		}
		// ("t:," names no partition at all, which Kafka accepts too.)
		for _, tp := range tps {
			if strings.Contains(tp.Topic, ":") {
				t.Fatalf("parseTopicArg(%q) gave topic %q", s, tp.Topic)
			}
		}
	})
}
