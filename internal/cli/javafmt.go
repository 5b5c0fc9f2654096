package cli

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kafka's tools print numbers with Java's formatting, whose digits and
// layout differ from Go's verbs; these functions reproduce it.

// JavaFloat formats f as Java's Double.toString does (bitSize 64) or
// Float.toString does for a float widened to float64 (bitSize 32): the
// shortest digits that read back as the value, in plain notation with at
// least one fractional digit when the magnitude is in [10^-3, 10^7), and
// otherwise as a mantissa with a fractional digit and an "E" exponent
// ("1.0E7", "1.5E-4"). NaN and the infinities print as Java spells them.
func JavaFloat(f float64, bitSize int) string {
	if s, ok := javaNonFinite(f); ok {
		return s
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bitSize)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bitSize)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// FormatFixed formats v as Java's String.format("%.<prec>f", v) does, which
// is how Kafka's perf tools print their figures: Double.toString's shortest
// digits rounded half up to prec fractional digits, with "NaN", "Infinity"
// and "-Infinity" for the special values (a rate over a zero elapsed time
// prints that way). Go's %f instead rounds the exact binary value half to
// even, so ties such as 0.125 at two digits differ ("0.13" in Java).
func FormatFixed(v float64, prec int) string {
	if s, ok := javaNonFinite(v); ok {
		return s
	}
	// Java keeps the minus sign of a negative value that rounds to zero
	// ("-0.0").
	sign := ""
	if math.Signbit(v) {
		sign = "-"
	}
	intPart, frac, _ := strings.Cut(strconv.FormatFloat(math.Abs(v), 'f', -1, 64), ".")
	if len(frac) <= prec {
		return sign + joinFraction(intPart, frac+strings.Repeat("0", prec-len(frac)))
	}
	digits := []byte(intPart + frac[:prec])
	if frac[prec] >= '5' {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	n := len(digits) - prec
	return sign + joinFraction(string(digits[:n]), string(digits[n:]))
}

// joinFraction puts the decimal point between the integer and fractional
// digits, leaving it out when there are no fractional digits.
func joinFraction(intPart, frac string) string {
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// javaNonFinite spells NaN and the infinities as Java prints them, and
// reports whether f is one of them.
func javaNonFinite(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "Infinity", true
	case math.IsInf(f, -1):
		return "-Infinity", true
	}
	return "", false
}

// DecodeUTF8 decodes b as UTF-8 text for printing, as the console tools read
// record bytes and input lines: every byte that does not belong to a
// well-formed sequence becomes U+FFFD. Java's new String(bytes, UTF_8)
// differs on a truncated multi-byte sequence, which it replaces with a
// single U+FFFD ("\xE2\x82A" is "\uFFFDA" in Java, "\uFFFD\uFFFDA" here).
func DecodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		c, n := utf8.DecodeRune(b)
		if c == utf8.RuneError && n <= 1 {
			sb.WriteRune(utf8.RuneError)
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}
