package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestJavaStringHash(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int32
	}{
		{"empty", "", 0},
		{"one letter", "a", 97},
		{"word", "hello", 99162322},
		{"wraps", "__consumer_offsets", asciiHash("__consumer_offsets")},
		{"non-ASCII", "consumer-group-α", JavaStringHash("consumer-group-")*31 + 0x3b1},
		{"surrogate pair", "😀", 0xd83d*31 + 0xde00}, // two UTF-16 code units
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JavaStringHash(tt.in); got != tt.want {
				t.Errorf("JavaStringHash(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// asciiHash is String.hashCode written out for ASCII strings.
func asciiHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = h*31 + int32(s[i])
	}
	return h
}

// The wanted orders were printed by OpenJDK 17 HashMap instances.
func TestJavaHashMapOrder(t *testing.T) {
	topics := strings.Split("t1,t2,t3,__consumer_offsets,my-topic,orders,payments,a,b,c,zz,topic-10,topic-2,x.y,x_y", ",")
	quotas := strings.Split("producer_byte_rate,consumer_byte_rate,controller_mutation_rate,request_percentage", ",")
	tests := []struct {
		name     string
		in       []string
		capacity int
		want     string
	}{
		{"default capacity, resized", topics, 16, "zz,a,b,x.y,c,payments,topic-2,topic-10,x_y,orders,my-topic,t1,t2,__consumer_offsets,t3"},
		{"default capacity", quotas, 16, "request_percentage,producer_byte_rate,consumer_byte_rate,controller_mutation_rate"},
		{"sized for four", quotas, 4, "producer_byte_rate,consumer_byte_rate,controller_mutation_rate,request_percentage"},
		{"sized for two", []string{"producer_byte_rate", "consumer_byte_rate"}, 2, "consumer_byte_rate,producer_byte_rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(JavaHashMapOrder(tt.in, JavaStringHash, tt.capacity), ",")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if got := strings.Join(JavaHashOrder(tt.in, tt.capacity), ","); got != tt.want {
				t.Errorf("JavaHashOrder: got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestScalaHashOrder(t *testing.T) {
	// TopicPartition("t", p).hashCode = 31*(31+p) + "t".hashCode (116), so
	// partitions 0, 1, 2 land in buckets 5, 4 and 3 of a 16-slot table.
	items := []string{"t-0", "t-1", "t-2"}
	hashes := []int32{TopicPartitionHash("t", 0), TopicPartitionHash("t", 1), TopicPartitionHash("t", 2)}
	tests := []struct {
		name   string
		groups []int
	}{
		{"one by one", nil},
		{"one addAll", []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScalaHashOrder(items, hashes, tt.groups)
			if want := []string{"t-2", "t-1", "t-0"}; !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
