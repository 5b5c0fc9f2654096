package cli

import (
	"slices"
	"unicode/utf16"
)

// Kafka's tools print some collections straight out of java.util.HashMap,
// HashSet and Scala hash tables, so their output order is those tables'
// iteration order. The functions here reproduce it from the elements' Java
// hash codes.

// JavaStringHash is java.lang.String.hashCode: the polynomial hash, base 31
// and wrapping at 32 bits, of the string's UTF-16 code units.
func JavaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// TopicPartitionHash is the hashCode of Kafka's TopicPartition.
func TopicPartitionHash(topic string, partition int32) int32 {
	return 31*(31+partition) + JavaStringHash(topic)
}

// JavaHashMapOrder returns items in the order a java.util.HashMap (or
// HashSet) created with the given initial capacity iterates them after they
// were put in the given order, hash giving each item's hashCode: by bucket
// of the spread hash (h ^ h>>>16) in the final table, and in insertion order
// within a bucket, which resizing keeps. Buckets long enough to become trees
// (more than eight entries) are not modelled.
func JavaHashMapOrder[T any](items []T, hash func(T) int32, initialCapacity int) []T {
	capacity := 1
	for capacity < initialCapacity {
		capacity <<= 1
	}
	// The table doubles whenever its size passes three quarters of it.
	for len(items) > capacity*3/4 {
		capacity <<= 1
	}
	bucket := func(t T) int {
		h := uint32(hash(t))
		return int((h ^ h>>16) & uint32(capacity-1))
	}
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int { return bucket(a) - bucket(b) })
	return out
}

// JavaHashOrder is JavaHashMapOrder for string keys.
func JavaHashOrder(keys []string, initialCapacity int) []string {
	return JavaHashMapOrder(keys, JavaStringHash, initialCapacity)
}
