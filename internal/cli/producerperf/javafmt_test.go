package producerperf

import (
	"math"
	"testing"
)

// The wanted strings are what java.util.Formatter prints (JDK 17) for
// String.format("%.<prec>f", v).
func TestFormatFixed(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    float64
		prec int
		want string
	}{
		{name: "zero", v: 0, prec: 1, want: "0.0"},
		{name: "integer six digits", v: 12, prec: 6, want: "12.000000"},
		{name: "tie rounds half up", v: 0.125, prec: 2, want: "0.13"},
		{name: "shortest digits tie", v: 0.15, prec: 1, want: "0.2"},
		{name: "below tie", v: 0.1249, prec: 2, want: "0.12"},
		{name: "carry into integer", v: 9.96, prec: 1, want: "10.0"},
		{name: "carry new digit", v: 99.999, prec: 2, want: "100.00"},
		{name: "rate", v: 1000.0 * 1234 / 3001, prec: 1, want: "411.2"},
		{name: "mb", v: 1000.0 * 123400 / 3001 / (1024 * 1024), prec: 2, want: "0.04"},
		{name: "six decimals", v: 1000.0 * 50000 / 1234, prec: 6, want: "40518.638574"},
		{name: "four decimals", v: 95.367431640625, prec: 4, want: "95.3674"},
		{name: "no decimals", v: 2.5, prec: 0, want: "3"},
		{name: "large", v: 1e7, prec: 2, want: "10000000.00"},
		{name: "negative", v: -1.25, prec: 1, want: "-1.3"},
		{name: "negative zero", v: math.Copysign(0, -1), prec: 1, want: "-0.0"},
		{name: "NaN", v: math.NaN(), prec: 1, want: "NaN"},
		{name: "infinity", v: math.Inf(1), prec: 6, want: "Infinity"},
		{name: "minus infinity", v: math.Inf(-1), prec: 2, want: "-Infinity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatFixed(tc.v, tc.prec); got != tc.want {
				t.Errorf("FormatFixed(%v, %d) = %q, want %q", tc.v, tc.prec, got, tc.want)
			}
		})
	}
}
