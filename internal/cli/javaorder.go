package cli

import (
	"slices"
	"unicode/utf16"
)

// JavaHashOrder returns keys in the order a java.util.HashMap (or HashSet)
// created with the given initial capacity iterates them after they were
// put in the given order: by bucket of String.hashCode in the final table,
// and in insertion order within a bucket. Kafka's tools print some
// collections in that order, so matching their output means matching it.
// Buckets longer than eight entries (tree bins) are not modelled.
func JavaHashOrder(keys []string, initialCapacity int) []string {
	capacity := 1
	for capacity < initialCapacity {
		capacity <<= 1
	}
	// The table doubles whenever the size passes three quarters of it.
	for len(keys) > capacity*3/4 {
		capacity <<= 1
	}
	bucket := func(s string) int {
		var h int32
		for _, u := range utf16.Encode([]rune(s)) {
			h = 31*h + int32(u)
		}
		spread := uint32(h) ^ uint32(h)>>16
		return int(spread & uint32(capacity-1))
	}
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int { return bucket(a) - bucket(b) })
	return out
}
