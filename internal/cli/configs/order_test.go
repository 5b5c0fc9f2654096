package configs

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Vectors in this file were printed by OpenJDK 17 (Double.toString,
// Double.parseDouble, HashMap and Properties iteration).

func TestParseJavaDouble(t *testing.T) {
	tests := []struct {
		in   string
		want string // Double.toString of the result, or "err"
	}{
		{"1", "1.0"}, {" 2.5 ", "2.5"}, {"1e3", "1000.0"}, {"1E-2", "0.01"}, {"100d", "100.0"},
		{"1.5f", "1.5"}, {"NaN", "NaN"}, {"-Infinity", "-Infinity"}, {"+Infinity", "Infinity"},
		{"0x1p3", "8.0"}, {"0x1.8p1", "3.0"}, {".5", "0.5"}, {"5.", "5.0"}, {"\t7\n", "7.0"},
		{"abc", "err"}, {"1_000", "err"}, {"1e", "err"}, {"inf", "err"}, {"nan", "err"}, {"", "err"},
		{"1.2.3", "err"}, {"0x10", "err"}, {".", "err"}, {"1e400", "Infinity"},
	}
	for _, tt := range tests {
		v, ok := parseJavaDouble(tt.in)
		got := "err"
		if ok {
			got = cli.JavaFloat(v, 64)
		}
		if got != tt.want {
			t.Errorf("parseJavaDouble(%q): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPropertiesOrder(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"t1,t2,t3,__consumer_offsets,my-topic,orders,payments,a,b,c,zz,topic-10,topic-2,x.y,x_y", "zz,a,b,x.y,c,payments,topic-2,topic-10,x_y,orders,my-topic,t1,t2,__consumer_offsets,t3"},
		{"producer_byte_rate,consumer_byte_rate,controller_mutation_rate,request_percentage", "request_percentage,producer_byte_rate,consumer_byte_rate,controller_mutation_rate"},
		{"consumer_byte_rate,producer_byte_rate", "producer_byte_rate,consumer_byte_rate"},
		{"a,b,a", "a,b"},
	}
	for _, tt := range tests {
		got := strings.Join(propertiesOrder(strings.Split(tt.in, ",")), ",")
		if got != tt.want {
			t.Errorf("propertiesOrder(%s):\ngot  %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// TestScalaSet checks the two regimes of Scala's immutable sets: insertion
// order up to four elements, then an order that depends only on the
// elements, not on how they were added.
func TestScalaSet(t *testing.T) {
	small := newScalaSet("d", "c", "b", "a")
	if got, want := small.String(), "Set(d, c, b, a)"; got != want {
		t.Errorf("small set: got %s, want %s", got, want)
	}
	if got, want := small.concat("c").String(), "Set(d, c, b, a)"; got != want {
		t.Errorf("re-adding: got %s, want %s", got, want)
	}
	big := newScalaSet("e", "d", "c", "b", "a")
	if !big.hashed || !strings.HasPrefix(big.String(), "HashSet(") {
		t.Errorf("five elements: got %s, want a HashSet", big)
	}
	other := newScalaSet("a", "b", "c").concat("d", "e")
	if !slices.Equal(big.items, other.items) {
		t.Errorf("hash order depends on insertion: %v vs %v", big.items, other.items)
	}
	filtered := big.filter(func(s string) bool { return s != "e" })
	if !filtered.hashed || len(filtered.items) != 4 {
		t.Errorf("a filtered hash set stays one: got %s", filtered)
	}
	if got, want := newScalaSet().String(), "Set()"; got != want {
		t.Errorf("empty: got %s, want %s", got, want)
	}
	if got, want := scalaBufferString([]string{"a", "b"}), "ArrayBuffer(a, b)"; got != want {
		t.Errorf("buffer: got %s, want %s", got, want)
	}
}

// TestChampOrder checks the trie walk: elements alone in a level-0 slot
// come first, in slot order, before elements that share a slot.
func TestChampOrder(t *testing.T) {
	words := strings.Split("producer_byte_rate,consumer_byte_rate,controller_mutation_rate,request_percentage,SCRAM-SHA-256,SCRAM-SHA-512,a,b,c,d,e,f,g,h", ",")
	got := champOrder(words)
	if len(got) != len(words) {
		t.Fatalf("champOrder lost elements: %v", got)
	}
	slot := func(s string) uint32 { return uint32(scalaImprove(cli.JavaStringHash(s))) & 31 }
	count := map[uint32]int{}
	for _, w := range words {
		count[slot(w)]++
	}
	lastAlone := -1
	for i, w := range got {
		if count[slot(w)] == 1 {
			if i != lastAlone+1 {
				t.Fatalf("element %s alone in its slot comes after shared ones: %v", w, got)
			}
			lastAlone = i
			if i > 0 && count[slot(got[i-1])] == 1 && slot(got[i-1]) > slot(w) {
				t.Fatalf("single elements out of slot order: %v", got)
			}
		}
	}
	rev := slices.Clone(words)
	slices.Reverse(rev)
	if !slices.Equal(champOrder(rev), got) {
		t.Errorf("order depends on input order")
	}
}

func FuzzParseJavaDouble(f *testing.F) {
	for _, s := range []string{"", "1", "1.", "1e", "1e3", "-0x1.8p1", "NaN", " 2.5d ", "1.5e400", "1.0garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseJavaDouble(s)
		if !ok || math.IsNaN(v) {
			return
		}
		// What Kafka prints must read back as the same value.
		back, ok := parseJavaDouble(cli.JavaFloat(v, 64))
		if !ok || back != v {
			t.Fatalf("%q: %v printed as %s reads back as %v (%v)", s, v, cli.JavaFloat(v, 64), back, ok)
		}
	})
}
