package consumergroups

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Kafka's ConsumerGroupCommand prints several collections straight out of
// java.util.HashMap and HashSet instances, so the order of its output is the
// iteration order of those tables. The helpers here reproduce that order from
// the keys' Java hash codes.

// javaHash is Java's String.hashCode: the polynomial hash of the UTF-16 code
// units with multiplier 31, wrapping at 32 bits.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// specHash is the hash code of a jopt-simple option spec with one name: the
// hash of the one-element list of its names.
func specHash(name string) int32 { return 31 + javaHash(name) }

// partitionHash is the hash code of Kafka's TopicPartition.
func partitionHash(topic string, partition int32) int32 {
	return 31*(31+partition) + javaHash(topic)
}

// hashOrder returns the positions of hashes in the order a java.util.HashMap
// iterates keys with those hash codes after they were put in position order,
// for a map created with the given initial capacity (16 for "new HashMap<>()"
// and Collectors.toMap). Iteration runs over the table's buckets, and within
// a bucket in insertion order; resizing keeps that relative order. Buckets
// long enough to become trees (eight keys) are not modelled.
func hashOrder(hashes []int32, initialCapacity int) []int {
	capacity := 1
	for capacity < initialCapacity {
		capacity <<= 1
	}
	// The table doubles whenever its size passes three quarters of it.
	for len(hashes) > capacity*3/4 {
		capacity <<= 1
	}
	bucket := func(h int32) int {
		spread := uint32(h) ^ uint32(h)>>16
		return int(spread & uint32(capacity-1))
	}
	idx := make([]int, len(hashes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bucket(hashes[a]) - bucket(hashes[b]) })
	return idx
}

// hashSetCapacity is the initial capacity "new HashSet<>(collection)" gives
// its table for n elements.
func hashSetCapacity(n int) int { return max(int(float32(n)/0.75)+1, 16) }

// specSetOrder orders option names as a HashSet of their specs built from
// them (new HashSet<>(Arrays.asList(...))) iterates.
func specSetOrder(names ...string) []string {
	hashes := make([]int32, len(names))
	for i, n := range names {
		hashes[i] = specHash(n)
	}
	out := make([]string, 0, len(names))
	for _, i := range hashOrder(hashes, hashSetCapacity(len(names))) {
		out = append(out, names[i])
	}
	return out
}

// specList renders option names as Kafka's messages join OptionSpec
// toString values: "[a], [b]".
func specList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "[" + n + "]"
	}
	return strings.Join(parts, ", ")
}

// stringMapOrder orders keys as a default java.util.HashMap<String, ?> filled
// with them in the given order iterates them.
func stringMapOrder(keys []string) []string {
	hashes := make([]int32, len(keys))
	for i, k := range keys {
		hashes[i] = javaHash(k)
	}
	out := make([]string, 0, len(keys))
	for _, i := range hashOrder(hashes, 16) {
		out = append(out, keys[i])
	}
	return out
}

// partitionMapOrder orders topic-partitions as a default java.util.HashMap
// keyed by TopicPartition and filled in the given order iterates them.
func partitionMapOrder(tps []topicPartition) []topicPartition {
	hashes := make([]int32, len(tps))
	for i, tp := range tps {
		hashes[i] = partitionHash(tp.Topic, tp.Partition)
	}
	out := make([]topicPartition, 0, len(tps))
	for _, i := range hashOrder(hashes, 16) {
		out = append(out, tps[i])
	}
	return out
}

// javaSplit is String.split with a literal, single-character separator: the
// pieces between separators, with trailing empty pieces removed (a string
// without the separator is one piece, even when empty).
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt is Integer.parseInt for ASCII input: an optional sign and
// decimal digits that fit in 32 bits.
func javaParseInt(s string) (int32, bool) {
	if s == "" || s == "+" || s == "-" {
		return 0, false
	}
	body := s
	if s[0] == '+' || s[0] == '-' {
		body = s[1:]
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// javaTrim is String.trim: it strips every character up to and including
// the space from both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}
