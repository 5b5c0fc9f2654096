package cli

import (
	"math"
	"testing"
	"unicode/utf8"
)

// tenth is a variable so that tenth+2*tenth is computed in float64, not as
// an exact constant.
var tenth = 0.1

// The wanted strings were printed by OpenJDK 17's Double.toString.
func TestJavaFloat(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0.0"},
		{"negative zero", math.Copysign(0, -1), "-0.0"},
		{"one", 1, "1.0"},
		{"integer", 1024, "1024.0"},
		{"hundred", 100, "100.0"},
		{"fraction", 1.5, "1.5"},
		{"negative", -2.5, "-2.5"},
		{"tenth", 0.1, "0.1"},
		{"smallest plain", 0.001, "0.001"},
		{"below plain", 0.0009, "9.0E-4"},
		{"ten thousandth", 0.0001, "1.0E-4"},
		{"plain with digits", 2.5e-3, "0.0025"},
		{"largest plain", 9999999, "9999999.0"},
		{"seven digits", 1234567, "1234567.0"},
		{"first scientific", 1e7, "1.0E7"},
		{"scientific digits", 12345678.9, "1.23456789E7"},
		{"negative exponent", 1e-5, "1.0E-5"},
		{"small", 1e-10, "1.0E-10"},
		{"large", 1e21, "1.0E21"},
		{"very large", 1e300, "1.0E300"},
		{"max", math.MaxFloat64, "1.7976931348623157E308"},
		{"shortest digits", 100.0 / 3, "33.333333333333336"},
		{"sum", tenth + 2*tenth, "0.30000000000000004"},
		{"decimal", 123.456, "123.456"},
		{"NaN", math.NaN(), "NaN"},
		{"infinity", math.Inf(1), "Infinity"},
		{"minus infinity", math.Inf(-1), "-Infinity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JavaFloat(tt.in, 64); got != tt.want {
				t.Errorf("JavaFloat(%v, 64) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

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

func TestDecodeUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"ascii", []byte("hello"), "hello"},
		{"multi-byte", []byte("héllo ✓"), "héllo ✓"},
		{"lone continuation", []byte{'a', 0x80, 'b'}, "a\uFFFDb"},
		{"truncated sequence, one per byte", []byte{0xE2, 0x82, 'A'}, "\uFFFD\uFFFDA"},
		{"invalid leads", []byte{0xFF, 0xC0}, "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeUTF8(tt.in); got != tt.want {
				t.Errorf("DecodeUTF8(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzDecodeUTF8(f *testing.F) {
	for _, b := range [][]byte{nil, []byte("✓")[:2], []byte("héllo"), append([]byte("ok"), 0xFF, 0xE2, 0x82)} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := DecodeUTF8(b)
		if !utf8.ValidString(got) {
			t.Fatalf("DecodeUTF8(%q) = %q, not valid UTF-8", b, got)
		}
		if utf8.Valid(b) && got != string(b) {
			t.Fatalf("DecodeUTF8(%q) = %q changed valid text", b, got)
		}
		if n := utf8.RuneCountInString(got); n > len(b) {
			t.Fatalf("DecodeUTF8(%q) has %d runes, more than its %d bytes", b, n, len(b))
		}
	})
}
