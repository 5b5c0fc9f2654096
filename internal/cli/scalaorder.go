package cli

import "sort"

// Kafka's Scala code (DumpLogSegments, the broker's DescribeConfigs) prints
// a few collections in the iteration order of Scala 2.13's mutable.HashMap
// and mutable.HashSet. That order is deterministic: a table of 2^k buckets
// (16 to start, doubled when an insertion would reach 75% load, or pre-sized
// by addAll's size hint), bucket index = improved hash & (size-1), where
// improved hash = h ^ (h >>> 16), and each bucket's list kept sorted by
// improved hash (signed), equal hashes in insertion order. Iteration walks
// buckets in index order. ScalaHashOrder reproduces it.

const scalaLoadFactor = 0.75

func scalaImprove(h int32) int32 { return h ^ int32(uint32(h)>>16) }

func scalaTableSizeFor(capacity int) int {
	c := capacity - 1
	if c < 4 {
		c = 4
	}
	hb := 1
	for hb*2 <= c {
		hb *= 2
	}
	size := hb * 2
	if size > 1<<30 {
		size = 1 << 30
	}
	return size
}

// ScalaHashOrder returns the distinct items in Scala iteration order.
// hashes are the items' Java hashCodes. groups, when not nil, gives the
// sizes of successive addAll calls (each pre-sizes the table with
// sizeHint); otherwise items are added one by one.
func ScalaHashOrder[T comparable](items []T, hashes []int32, groups []int) []T {
	type node struct {
		item T
		h    int32
		seq  int
	}
	tableLen := 16
	threshold := int(float64(tableLen) * scalaLoadFactor)
	count := 0
	seen := make(map[T]bool, len(items))
	var nodes []node
	add := func(i int, grow bool) {
		if grow && count+1 >= threshold {
			tableLen *= 2
			threshold = int(float64(tableLen) * scalaLoadFactor)
		}
		if seen[items[i]] {
			return
		}
		seen[items[i]] = true
		nodes = append(nodes, node{items[i], scalaImprove(hashes[i]), len(nodes)})
		count++
	}
	if groups == nil {
		for i := range items {
			add(i, true)
		}
	} else {
		i := 0
		for _, g := range groups {
			target := scalaTableSizeFor(int(float64(g+1) / scalaLoadFactor))
			if target > tableLen {
				tableLen = target
				threshold = int(float64(tableLen) * scalaLoadFactor)
			}
			// Immutable sets of more than four elements are HashSets,
			// which addAll inserts without the per-element growth check.
			for k := 0; k < g && i < len(items); k++ {
				add(i, g <= 4)
				i++
			}
		}
	}
	mask := int32(tableLen - 1)
	sort.SliceStable(nodes, func(a, b int) bool {
		ba, bb := nodes[a].h&mask, nodes[b].h&mask
		if ba != bb {
			return ba < bb
		}
		if nodes[a].h != nodes[b].h {
			return nodes[a].h < nodes[b].h
		}
		return nodes[a].seq < nodes[b].seq
	})
	out := make([]T, len(nodes))
	for i, n := range nodes {
		out[i] = n.item
	}
	return out
}
