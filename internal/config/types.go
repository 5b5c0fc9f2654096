package config

import (
	"math"
	"strconv"
	"strings"
)

// Type is a config's data type. The numeric values are the ConfigType ids
// DescribeConfigs (v3+) puts on the wire, so the broker can cast directly.
type Type int8

// The config types of Kafka's ConfigDef.
const (
	TypeUnknown  Type = 0
	TypeBoolean  Type = 1
	TypeString   Type = 2
	TypeInt      Type = 3
	TypeShort    Type = 4
	TypeLong     Type = 5
	TypeDouble   Type = 6
	TypeList     Type = 7
	TypeClass    Type = 8
	TypePassword Type = 9
)

// String returns the type's name as DescribeConfigs reports it (BOOLEAN,
// STRING, INT, ...), which is also the name Kafka's parse errors use.
func (t Type) String() string {
	switch t {
	case TypeBoolean:
		return "BOOLEAN"
	case TypeString:
		return "STRING"
	case TypeInt:
		return "INT"
	case TypeShort:
		return "SHORT"
	case TypeLong:
		return "LONG"
	case TypeDouble:
		return "DOUBLE"
	case TypeList:
		return "LIST"
	case TypeClass:
		return "CLASS"
	case TypePassword:
		return "PASSWORD"
	}
	return "UNKNOWN"
}

// DocName is the lower-case name Kafka's generated documentation uses
// ("int", "long", "list", ...).
func (t Type) DocName() string { return strings.ToLower(t.String()) }

// Sensitive reports whether values of this type are secrets that
// DescribeConfigs must not return.
func (t Type) Sensitive() bool { return t == TypePassword }

// value is one parsed config value. Exactly the field for its type is
// meaningful; null marks Kafka's null (no value at all).
type value struct {
	t    Type
	null bool
	i    int64    // INT, SHORT, LONG
	f    float64  // DOUBLE
	b    bool     // BOOLEAN
	s    string   // STRING, PASSWORD, CLASS
	l    []string // LIST
}

// String converts the value back to a string the way Kafka's
// ConfigDef.convertToString does: lists joined with ",", doubles as Java's
// Double.toString. A null value gives "".
func (v value) String() string {
	if v.null {
		return ""
	}
	switch v.t {
	case TypeBoolean:
		return strconv.FormatBool(v.b)
	case TypeInt, TypeShort, TypeLong:
		return strconv.FormatInt(v.i, 10)
	case TypeDouble:
		return javaDouble(v.f)
	case TypeList:
		return strings.Join(v.l, ",")
	}
	return v.s
}

// javaTrim removes leading and trailing characters up to and including
// the space, as Java's String.trim does.
func javaTrim(s string) string {
	start, end := 0, len(s)
	for start < end && s[start] <= ' ' {
		start++
	}
	for end > start && s[end-1] <= ' ' {
		end--
	}
	return s[start:end]
}

// isJavaSpace reports whether c is in Java's regex class \s.
func isJavaSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\x0b' || c == '\f' || c == '\r'
}

// splitList splits a trimmed list value on commas and the \s characters
// around them, keeping empty items, as Kafka's LIST parsing does
// (split on "\s*,\s*" with no limit).
func splitList(trimmed string) []string {
	if trimmed == "" {
		return []string{}
	}
	parts := strings.Split(trimmed, ",")
	for i, p := range parts {
		if i > 0 {
			for len(p) > 0 && isJavaSpace(p[0]) {
				p = p[1:]
			}
		}
		if i < len(parts)-1 {
			for len(p) > 0 && isJavaSpace(p[len(p)-1]) {
				p = p[:len(p)-1]
			}
		}
		parts[i] = p
	}
	return parts
}

// parseValue parses raw as type t with Kafka's ConfigDef.parseType rules:
// the input is trimmed first; booleans are "true"/"false" in any case;
// integers must fit their type; lists split on commas. The error message
// is Kafka's, naming the config.
func parseValue(name, raw string, t Type) (value, error) {
	trimmed := javaTrim(raw)
	v := value{t: t}
	switch t {
	case TypeBoolean:
		switch {
		case strings.EqualFold(trimmed, "true"):
			v.b = true
		case strings.EqualFold(trimmed, "false"):
			v.b = false
		default:
			return v, invalidValue(name, raw, "Expected value to be either true or false")
		}
	case TypeString, TypePassword, TypeClass:
		v.s = trimmed
	case TypeInt, TypeShort, TypeLong:
		bits := 64
		switch t {
		case TypeInt:
			bits = 32
		case TypeShort:
			bits = 16
		}
		n, ok := parseJavaInt(trimmed, bits)
		if !ok {
			return v, invalidValue(name, raw, "Not a number of type "+t.String())
		}
		v.i = n
	case TypeDouble:
		f, ok := parseJavaDouble(trimmed)
		if !ok {
			return v, invalidValue(name, raw, "Not a number of type "+t.String())
		}
		v.f = f
	case TypeList:
		v.l = splitList(trimmed)
	default:
		return v, invalidValue(name, raw, "Unknown type.")
	}
	return v, nil
}

// parseJavaInt parses a decimal integer as Java's Integer/Long/Short
// parse methods do: an optional sign and ASCII digits, nothing else, and
// the result must fit the type.
func parseJavaInt(s string, bits int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	digits := s
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, bits)
	return n, err == nil
}

// parseJavaDouble parses a floating-point number with Java's
// Double.parseDouble grammar: optional sign, then NaN, Infinity, a decimal
// number with optional exponent, or a hexadecimal number with a binary
// exponent, each optionally followed by one of f, F, d, D. Values too large
// become infinities, as in Java.
func parseJavaDouble(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 {
		switch body[n-1] {
		case 'f', 'F', 'd', 'D':
			body = body[:n-1]
		}
	}
	if !javaFloatSyntax(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(body, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	if neg {
		f = -f
	}
	return f, true
}

// javaFloatSyntax checks an unsigned, suffix-free number against Java's
// decimal or hexadecimal floating-point literal grammar.
func javaFloatSyntax(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		rest := s[2:]
		p := strings.IndexAny(rest, "pP")
		if p < 0 {
			return false
		}
		mant, exp := rest[:p], rest[p+1:]
		if !digitsWithPoint(mant, isHexDigit) {
			return false
		}
		return signedDigits(exp)
	}
	e := strings.IndexAny(s, "eE")
	mant := s
	if e >= 0 {
		mant = s[:e]
		if !signedDigits(s[e+1:]) {
			return false
		}
	}
	return digitsWithPoint(mant, isDigit)
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// digitsWithPoint accepts digits with at most one '.', and at least one digit.
func digitsWithPoint(s string, digit func(byte) bool) bool {
	seen, point := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.' && !point:
			point = true
		case digit(s[i]):
			seen = true
		default:
			return false
		}
	}
	return seen
}

func signedDigits(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// javaDouble formats f as Java's Double.toString does: shortest digits
// that round-trip, plain notation with at least one fractional digit for
// magnitudes in [1e-3, 1e7), and computerized scientific notation
// ("1.0E7", "1.5E-4") outside it.
func javaDouble(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case f > math.MaxFloat64:
		return "Infinity"
	case f < -math.MaxFloat64:
		return "-Infinity"
	case f == 0:
		if 1/f < 0 {
			return "-0.0"
		}
		return "0.0"
	}
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1.2345e+07, 1e-05
	if !strings.Contains(s, ".") {
		// Java always prints a fractional digit, and picks the closest
		// two-digit decimal when one digit does not say the value exactly
		// (Double.MIN_VALUE is "4.9E-324").
		s = strconv.FormatFloat(f, 'e', 1, 64)
	}
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	sign := ""
	if exp[0] == '-' {
		sign, exp = "-", exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + sign + exp
}
