package producerperf

import (
	"math"
	"strconv"
	"strings"
)

// FormatFixed formats v as Java's String.format("%.<prec>f", v) does, which
// is how Kafka's perf tools print their figures: the shortest decimal that
// reads back as v (Double.toString's digits) rounded half up to prec
// digits, "NaN" and "Infinity" for the special values (Java's %f prints the
// result of dividing by a zero elapsed time that way). Go's %f rounds the
// exact binary value half to even instead, which differs on ties such as
// 0.125 at two digits ("0.13" in Java).
func FormatFixed(v float64, prec int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	neg := math.Signbit(v)
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) <= prec {
		frac += strings.Repeat("0", prec-len(frac))
		return sign(neg) + join(intPart, frac)
	}
	roundUp := frac[prec] >= '5'
	digits := []byte(intPart + frac[:prec])
	if roundUp {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	n := len(digits) - prec
	return sign(neg) + join(string(digits[:n]), string(digits[n:]))
}

func join(intPart, frac string) string {
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// sign is Java's: a negative value keeps its minus sign even when it rounds
// to zero ("-0.0").
func sign(neg bool) string {
	if neg {
		return "-"
	}
	return ""
}
