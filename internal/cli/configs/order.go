package configs

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// This file reproduces how the JVM collections Kafka's ConfigCommand uses
// order and print their elements, because that order shows in its messages
// ("Unexpected config names: Set(a, b)", "Invalid broker logger(s): a,b")
// and in its quota lines.

// propertiesOrder returns distinct keys, put in the given order, in the
// order a java.util.Properties iterates them: its table is a
// ConcurrentHashMap of 16 bins that doubles when three quarters full.
// Reordering within a bin on resize is not modelled.
func propertiesOrder(keys []string) []string {
	keys = distinct(keys)
	capacity := 16
	for len(keys) >= capacity-capacity/4 {
		capacity <<= 1
	}
	bin := func(k string) int {
		h := uint32(cli.JavaStringHash(k))
		return int((h ^ h>>16) & 0x7fffffff & uint32(capacity-1))
	}
	slices.SortStableFunc(keys, func(a, b string) int { return bin(a) - bin(b) })
	return keys
}

// scalaSet models the Scala 2.13 immutable sets (and the key sets of
// immutable maps) ConfigCommand builds: up to four elements keep insertion
// order (Set1..Set4); from the fifth the collection becomes a hash trie
// whose iteration order follows the elements' hashes, and stays one.
type scalaSet struct {
	items  []string
	hashed bool
}

// newScalaSet builds a set from elements in order.
func newScalaSet(items ...string) scalaSet {
	return scalaSet{}.concat(items...)
}

// concat adds elements (Scala's ++).
func (s scalaSet) concat(items ...string) scalaSet {
	out := scalaSet{items: slices.Clone(s.items), hashed: s.hashed}
	for _, it := range items {
		if !slices.Contains(out.items, it) {
			out.items = append(out.items, it)
		}
	}
	if len(out.items) > 4 {
		out.hashed = true
	}
	if out.hashed {
		out.items = champOrder(out.items)
	}
	return out
}

// filter keeps the elements keep accepts; a hash trie stays one.
func (s scalaSet) filter(keep func(string) bool) scalaSet {
	out := scalaSet{hashed: s.hashed}
	for _, it := range s.items {
		if keep(it) {
			out.items = append(out.items, it)
		}
	}
	if out.hashed {
		out.items = champOrder(out.items)
	}
	return out
}

func (s scalaSet) empty() bool { return len(s.items) == 0 }

// String renders the set as Scala's toString does.
func (s scalaSet) String() string {
	prefix := "Set"
	if s.hashed {
		prefix = "HashSet"
	}
	return prefix + "(" + strings.Join(s.items, ", ") + ")"
}

// keySetString renders the key set of an immutable map, which prints as
// "Set(...)" whatever the map's size.
func (s scalaSet) keySetString() string {
	return "Set(" + strings.Join(s.items, ", ") + ")"
}

// scalaBufferString renders a mutable.Buffer of strings (what
// ConfigCommand's --delete-config list is) as Scala's toString does.
func scalaBufferString(items []string) string {
	return "ArrayBuffer(" + strings.Join(items, ", ") + ")"
}

// scalaImprove is scala.collection.Hashing.improve, the hash spreading of
// Scala 2.13's immutable HashMap and HashSet.
func scalaImprove(h int32) int32 {
	h = h + ^(h << 9)
	h = h ^ int32(uint32(h)>>14)
	h = h + (h << 4)
	return h ^ int32(uint32(h)>>10)
}

// champOrder returns distinct strings in the iteration order of a Scala
// 2.13 immutable HashSet (or HashMap keyed by them): a trie indexed by five
// bits of the improved hash per level, lowest bits first; a node lists the
// elements that sit alone in a slot (by slot), then descends into its
// sub-nodes (by slot). Elements whose whole hash collides keep their order.
func champOrder(items []string) []string {
	type hashed struct {
		s string
		h uint32
	}
	hs := make([]hashed, len(items))
	for i, s := range items {
		hs[i] = hashed{s, uint32(scalaImprove(cli.JavaStringHash(s)))}
	}
	var walk func(hs []hashed, shift uint) []string
	walk = func(hs []hashed, shift uint) []string {
		if shift >= 32 || len(hs) <= 1 {
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = h.s
			}
			return out
		}
		var slots [32][]hashed
		for _, h := range hs {
			i := (h.h >> shift) & 31
			slots[i] = append(slots[i], h)
		}
		var out []string
		for _, sl := range slots {
			if len(sl) == 1 {
				out = append(out, sl[0].s)
			}
		}
		for _, sl := range slots {
			if len(sl) > 1 {
				out = append(out, walk(sl, shift+5)...)
			}
		}
		return out
	}
	return walk(hs, 0)
}

func distinct(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// parseJavaDouble reads a number as java.lang.Double.parseDouble does:
// surrounding whitespace and control characters are ignored, "NaN" and
// "Infinity" are accepted with their exact spelling, a trailing f, F, d or
// D is allowed, and hexadecimal floating point needs its "p" exponent.
func parseJavaDouble(s string) (float64, bool) {
	s = cli.JavaTrim(s)
	if s == "" {
		return 0, false
	}
	body := s
	sign := ""
	if body[0] == '+' || body[0] == '-' {
		sign, body = body[:1], body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if sign == "-" {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 && strings.ContainsRune("fFdD", rune(body[n-1])) {
		body = body[:n-1]
	}
	if !javaDecimal(body) && !javaHex(body) {
		return 0, false
	}
	v, err := strconv.ParseFloat(sign+body, 64)
	if err != nil {
		// Out of range values are infinities (or zero) in Java, not errors.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// javaDecimal matches digits with an optional point and exponent, with a
// digit on at least one side of the point.
func javaDecimal(s string) bool {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// javaHex matches 0x<hex digits>[.<hex digits>]p<exponent>.
func javaHex(s string) bool {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	i, digits := 2, 0
	isHex := func(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
	for i < len(s) && isHex(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isHex(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 || i >= len(s) || (s[i] != 'p' && s[i] != 'P') {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > start && i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
