package consumerperf

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormat is a java.text.SimpleDateFormat pattern, compiled: Kafka's
// --date-format takes one ("yyyy-MM-dd HH:mm:ss:SSS" by default).
type dateFormat struct {
	parts []datePart
}

// datePart is a literal or a run of one pattern letter.
type datePart struct {
	letter  byte // 0 for a literal
	count   int
	literal string
}

// compileDateFormat parses pattern as SimpleDateFormat does: letters a-z
// and A-Z are fields (an unknown one is an error, worded as Java's
// IllegalArgumentException), text in single quotes is literal, two single
// quotes stand for one, anything else is copied.
func compileDateFormat(pattern string) (*dateFormat, error) {
	f := &dateFormat{}
	lit := func(s string) {
		if n := len(f.parts); n > 0 && f.parts[n-1].letter == 0 {
			f.parts[n-1].literal += s
			return
		}
		f.parts = append(f.parts, datePart{literal: s})
	}
	inQuote := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\'' && i+1 < len(pattern) && pattern[i+1] == '\'':
			lit("'")
			i++
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
			lit(string(c))
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if !strings.ContainsRune("GyYMLwWDdFEuaHkKhmsSzZX", rune(c)) {
				return nil, fmt.Errorf("Illegal pattern character '%c'", c)
			}
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			f.parts = append(f.parts, datePart{letter: c, count: j - i})
			i = j - 1
		default:
			lit(string(c))
		}
	}
	if inQuote {
		return nil, fmt.Errorf("Unterminated quote")
	}
	return f, nil
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// format renders t (in t's location, the JVM default time zone being the
// local one).
func (f *dateFormat) format(t time.Time) string {
	var b strings.Builder
	for _, p := range f.parts {
		if p.letter == 0 {
			b.WriteString(p.literal)
			continue
		}
		n := p.count
		switch p.letter {
		case 'G':
			b.WriteString("AD")
		case 'y', 'Y':
			y := t.Year()
			if p.letter == 'Y' {
				y, _ = t.ISOWeek()
			}
			if n == 2 {
				b.WriteString(pad(y%100, 2))
			} else {
				b.WriteString(pad(y, n))
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(pad(int(t.Month()), n))
			}
		case 'w':
			_, w := t.ISOWeek()
			b.WriteString(pad(w, n))
		case 'W':
			b.WriteString(pad((t.Day()+int(t.AddDate(0, 0, -t.Day()+1).Weekday())-1)/7+1, n))
		case 'D':
			b.WriteString(pad(t.YearDay(), n))
		case 'd':
			b.WriteString(pad(t.Day(), n))
		case 'F':
			b.WriteString(pad((t.Day()-1)/7+1, n))
		case 'E':
			if n >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(pad(wd, n))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			b.WriteString(pad(t.Hour(), n))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(pad(h, n))
		case 'K':
			b.WriteString(pad(t.Hour()%12, n))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, n))
		case 'm':
			b.WriteString(pad(t.Minute(), n))
		case 's':
			b.WriteString(pad(t.Second(), n))
		case 'S':
			b.WriteString(pad(t.Nanosecond()/int(time.Millisecond), n))
		case 'z':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'Z':
			b.WriteString(t.Format("-0700"))
		case 'X':
			_, off := t.Zone()
			switch {
			case off == 0:
				b.WriteString("Z")
			case n == 1:
				b.WriteString(t.Format("-07"))
			case n == 2:
				b.WriteString(t.Format("-0700"))
			default:
				b.WriteString(t.Format("-07:00"))
			}
		}
	}
	return b.String()
}
