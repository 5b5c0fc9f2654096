package consumergroups

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/fatih/color"
)

// Kafka's tool lays out its tables with java.util.Formatter ("%-15s"),
// which pads to a width counted in UTF-16 code units and never truncates.
// pad does the same.

// utf16Len is Java's String.length().
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// pad left-justifies s in a field of width UTF-16 code units.
func pad(s string, width int) string {
	if n := utf16Len(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// missing is what Kafka prints for an unknown value.
const missing = "-"

// optInt renders an optional number, "-" when absent.
func optInt(v *int64) string {
	if v == nil {
		return missing
	}
	return strconv.FormatInt(*v, 10)
}

// cell is one column of a printed row: its text and, when colour is on,
// the attributes to paint the text with. Padding is computed on the text
// alone and stays outside the escape codes, so a coloured table lines up
// exactly as the plain one.
type cell struct {
	text  string
	width int // 0: not padded (the last column)
	attrs []color.Attribute
}

// row renders cells separated by one space, Kafka's "%-Ns %-Ms %s".
func row(paint bool, cells ...cell) string {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(' ')
		}
		text := c.text
		if paint && len(c.attrs) > 0 {
			col := color.New(c.attrs...)
			col.EnableColor()
			text = col.Sprint(text)
		}
		b.WriteString(text)
		if n := utf16Len(c.text); n < c.width {
			b.WriteString(strings.Repeat(" ", c.width-n))
		}
	}
	return b.String()
}

// Lag colours of the coloured --describe table: caught up, behind, far
// behind (or committed past the end of the log, which needs a look).
const farBehind = 1000

func lagAttrs(lag *int64) []color.Attribute {
	switch {
	case lag == nil:
		return []color.Attribute{color.Faint}
	case *lag == 0:
		return []color.Attribute{color.FgGreen}
	case *lag < 0 || *lag >= farBehind:
		return []color.Attribute{color.FgRed, color.Bold}
	}
	return []color.Attribute{color.FgYellow}
}
