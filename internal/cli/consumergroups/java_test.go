package consumergroups

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The expected orders below were printed by a JDK 17 jshell session that put
// the same keys, with Kafka's TopicPartition.hashCode and String.hashCode,
// into java.util.HashMap (Collectors.toMap) and HashSet instances.

func tpList(s string) []topicPartition {
	var out []topicPartition
	for _, f := range strings.Fields(s) {
		i := strings.LastIndexByte(f, '-')
		var p int32
		fmt.Sscan(f[i+1:], &p)
		out = append(out, topicPartition{f[:i], p})
	}
	return out
}

func tpRange(topic string, n int) []topicPartition {
	var out []topicPartition
	for p := 0; p < n; p++ {
		out = append(out, topicPartition{topic, int32(p)})
	}
	return out
}

func TestPartitionMapOrderMatchesJava(t *testing.T) {
	mixed := append(append(tpRange("payments", 5), tpRange("orders", 5)...), tpRange("clicks", 5)...)
	var ab []topicPartition
	for p := int32(0); p < 4; p++ {
		ab = append(ab, topicPartition{"a", p}, topicPartition{"b", p})
	}
	tests := []struct {
		name string
		in   []topicPartition
		want string
	}{
		{"three partitions", tpRange("t2", 3), "t2-2 t2-1 t2-0"},
		{"ten partitions", tpRange("orders", 10), "orders-7 orders-8 orders-9 orders-0 orders-1 orders-2 orders-3 orders-4 orders-5 orders-6"},
		{"table grows to 32", tpRange("events", 20), "events-19 events-11 events-12 events-13 events-14 events-15 events-16 events-17 events-18 events-3 events-4 events-5 events-6 events-7 events-8 events-9 events-10 events-0 events-1 events-2"},
		{"two topics interleaved", ab, "a-2 b-3 a-1 b-2 a-0 b-1 b-0 a-3"},
		{"three topics", mixed, "payments-4 payments-3 payments-0 payments-2 payments-1 clicks-2 orders-0 clicks-1 orders-1 clicks-4 orders-2 clicks-3 orders-3 orders-4 clicks-0"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := partitionMapOrder(tt.in)
			if want := tpList(tt.want); !slices.Equal(got, want) {
				t.Errorf("partitionMapOrder = %v, want %v", got, want)
			}
		})
	}
}

func TestStringMapOrderMatchesJava(t *testing.T) {
	in := []string{"g1", "g2", "group-10", "alpha", "beta", "consumer-group-α", "zeta"}
	want := []string{"group-10", "zeta", "consumer-group-α", "alpha", "g1", "g2", "beta"}
	if got := stringMapOrder(in); !slices.Equal(got, want) {
		t.Errorf("stringMapOrder = %q, want %q", got, want)
	}
}

func TestSpecSetOrderMatchesJava(t *testing.T) {
	tests := []struct {
		name     string
		in, want []string
	}{
		{"group scope", []string{"group", "all-groups"}, []string{"all-groups", "group"}},
		{"delete offsets", []string{"group", "topic"}, []string{"topic", "group"}},
		{"actions", []string{"list", "describe", "delete", "reset-offsets"}, []string{"reset-offsets", "describe", "delete", "list"}},
		{"scenarios",
			[]string{"to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file"},
			[]string{"to-offset", "to-current", "to-datetime", "from-file", "by-duration", "to-earliest", "to-latest", "shift-by"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := specSetOrder(tt.in...); !slices.Equal(got, tt.want) {
				t.Errorf("specSetOrder = %q, want %q", got, tt.want)
			}
		})
	}
	var names []string
	for _, a := range availableIf {
		names = append(names, a.name)
	}
	if want := []string{"members", "offsets", "state", "verbose", "type"}; !slices.Equal(names, want) {
		t.Errorf("availableIf order = %q, want %q", names, want)
	}
}

func TestJavaSplit(t *testing.T) {
	tests := []struct {
		in, sep string
		want    []string
	}{
		{"t:0,1", ":", []string{"t", "0,1"}},
		{"t:", ":", []string{"t"}},
		{":0", ":", []string{"", "0"}},
		{"", ":", []string{""}},
		{"0,1,", ",", []string{"0", "1"}},
		{",", ",", []string{}},
		{"a,,b", ",", []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		if got := javaSplit(tt.in, tt.sep); !slices.Equal(got, tt.want) {
			t.Errorf("javaSplit(%q, %q) = %q, want %q", tt.in, tt.sep, got, tt.want)
		}
	}
}

func TestJavaParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int32
		ok   bool
	}{
		{"0", 0, true},
		{"+7", 7, true},
		{"-1", -1, true},
		{"2147483647", 2147483647, true},
		{"2147483648", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1_0", 0, false},
		{" 1", 0, false},
		{"0x1", 0, false},
	}
	for _, tt := range tests {
		got, ok := javaParseInt(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("javaParseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
