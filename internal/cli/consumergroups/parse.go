package consumergroups

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// This file reads the text inputs of --reset-offsets and --delete-offsets
// exactly as Kafka's tool does: topic arguments ("t:0,1"), --to-datetime
// (Kafka's Utils.getDateTime over java.text.SimpleDateFormat), --by-duration
// (java.time.Duration.parse) and the CSV files of --from-file.

// parseTopicArg reads "topic:0,1,2" (ConsumerGroupService's
// parseTopicsWithPartitions). Errors are Kafka's IllegalArgumentException
// messages, printed with the usage.
func parseTopicArg(arg string) ([]topicPartition, error) {
	parts := javaSplit(arg, ":")
	if len(parts) != 2 {
		return nil, cli.UsageErrorf("Invalid topic arg '%s', expected topic name and partitions", arg)
	}
	var out []topicPartition
	for _, p := range javaSplit(parts[1], ",") {
		n, ok := javaParseInt(p)
		if !ok {
			return nil, cli.UsageErrorf("Invalid partition '%s' specified in topic arg '%s''", p, arg)
		}
		out = append(out, topicPartition{parts[0], n})
	}
	return out, nil
}

// errNoT is Utils.getDateTime's message for a value without a 'T'.
const errNoT = "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"

// parseDateTime reads --to-datetime as Kafka's Utils.getDateTime does and
// returns milliseconds since the epoch. The value is split at 'T'; when the
// part after the first 'T' holds no '+', '-' or 'Z', "Z" (UTC) is appended.
// It is then parsed strictly with the pattern yyyy-MM-dd'T'HH:mm:ss.SSSXXX
// and, failing that, yyyy-MM-dd'T'HH:mm:ss.SSSX. As with SimpleDateFormat,
// spaces and tabs may precede each field, numbers may have any count of
// digits (SSS counts milliseconds), fields are range-checked (zone offsets
// from -13:00 to +14:00), dates before 15 October 1582 are Julian, and text
// after the zone is ignored. The error is the java.text.ParseException
// message.
func parseDateTime(value string) (int64, error) {
	parts := javaSplit(value, "T")
	if len(parts) < 2 {
		return 0, errors.New(errNoT)
	}
	if !strings.ContainsAny(parts[1], "+-Z") {
		value += "Z"
	}
	if ms, ok := parseDateTimePattern(value, 3); ok {
		return ms, nil
	}
	if ms, ok := parseDateTimePattern(value, 1); ok {
		return ms, nil
	}
	return 0, fmt.Errorf("Unparseable date: \"%s\"", value)
}

// parseDateTimePattern parses yyyy-MM-dd'T'HH:mm:ss.SSS followed by an ISO
// zone with zoneLetters X's: 3 reads "Z" or ±HH:MM, 1 reads "Z" or ±HH.
func parseDateTimePattern(s string, zoneLetters int) (int64, bool) {
	pos := 0
	skipBlanks := func() {
		for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
			pos++
		}
	}
	number := func() (int64, bool) {
		skipBlanks()
		start := pos
		for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		if pos == start || pos-start > 18 {
			return 0, false
		}
		n, err := strconv.ParseInt(s[start:pos], 10, 64)
		return n, err == nil
	}
	var f [7]int64
	seps := []byte{'-', '-', 'T', ':', ':', '.'}
	for i := range f {
		n, ok := number()
		if !ok {
			return 0, false
		}
		f[i] = n
		if i < len(seps) {
			if pos >= len(s) || s[pos] != seps[i] {
				return 0, false
			}
			pos++
		}
	}
	year, month, day, hour, minute, second, milli := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	// Non-lenient GregorianCalendar ranges.
	if year < 1 || year > 292278994 || month < 1 || month > 12 || day < 1 ||
		hour > 23 || minute > 59 || second > 59 || milli > 999 {
		return 0, false
	}
	days, ok := epochDay(year, month, day)
	if !ok {
		return 0, false
	}
	skipBlanks()
	offset, ok := parseISOZone(s[pos:], zoneLetters)
	if !ok || offset < -13*60 || offset > 14*60 {
		return 0, false
	}
	ms := ((days*24+hour)*60+minute)*60*1000 + second*1000 + milli
	return ms - offset*60*1000, true
}

// epochDay is the day of a date counted from 1970-01-01 in Java's default
// GregorianCalendar: Gregorian from 15 October 1582, Julian before, the ten
// days between not existing. It reports false for a day the month does not
// have.
func epochDay(year, month, day int64) (int64, bool) {
	gregorian := year > 1582 || year == 1582 && (month > 10 || month == 10 && day >= 15)
	if !gregorian && year == 1582 && month == 10 && day >= 5 {
		return 0, false
	}
	leap := year%4 == 0
	if gregorian {
		leap = leap && (year%100 != 0 || year%400 == 0)
	}
	days := [...]int64{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && leap {
		days = 29
	}
	if day > days {
		return 0, false
	}
	// Julian Day Number of the date (Fliegel and Van Flandern's formulas).
	a := (14 - month) / 12
	y := year + 4800 - a
	m := month + 12*a - 3
	jdn := day + (153*m+2)/5 + 365*y + y/4 - 32083
	if gregorian {
		jdn = day + (153*m+2)/5 + 365*y + y/4 - y/100 + y/400 - 32045
	}
	const unixEpochJDN = 2440588
	return jdn - unixEpochJDN, true
}

// parseISOZone reads the zone of an 'X' pattern and returns its offset in
// minutes.
func parseISOZone(s string, letters int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if s[0] == 'Z' {
		return 0, true
	}
	sign := int64(1)
	switch s[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, false
	}
	digit := func(i int) (int64, bool) {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			return int64(s[i] - '0'), true
		}
		return 0, false
	}
	h1, ok1 := digit(1)
	h2, ok2 := digit(2)
	if !ok1 || !ok2 {
		return 0, false
	}
	hours := h1*10 + h2
	if hours > 23 {
		return 0, false
	}
	minutes := int64(0)
	if letters != 1 {
		if len(s) < 4 || s[3] != ':' {
			return 0, false
		}
		m1, ok1 := digit(4)
		m2, ok2 := digit(5)
		if !ok1 || !ok2 {
			return 0, false
		}
		minutes = m1*10 + m2
		if minutes > 59 {
			return 0, false
		}
	}
	return sign * (hours*60 + minutes), true
}

// errDuration is the message of java.time.Duration.parse's
// DateTimeParseException.
const errDuration = "Text cannot be parsed to a Duration"

// parseDuration reads an ISO-8601 duration as java.time.Duration.parse
// does: [-+]P[nD][T[nH][nM][n[.fraction]S]], case-insensitive, every number
// optionally signed, at least one part present. It returns the duration in
// nanoseconds as a big integer (Java's durations outgrow int64 nanoseconds).
func parseDuration(text string) (*big.Int, error) {
	// The pattern is case-insensitive for ASCII letters only.
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, text)
	pos := 0
	sign := func() int {
		if pos < len(s) && (s[pos] == '+' || s[pos] == '-') {
			pos++
			if s[pos-1] == '-' {
				return -1
			}
		}
		return 1
	}
	fail := errors.New(errDuration)
	negate := sign() < 0
	if pos >= len(s) || s[pos] != 'P' {
		return nil, fail
	}
	pos++

	// A component is [-+]?[0-9]+ followed by its unit letter.
	type comp struct {
		value    string
		present  bool
		fraction string
	}
	readComp := func(unit byte, allowFraction bool) (comp, bool) {
		start := pos
		j := pos
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		d := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == d {
			return comp{}, true // absent
		}
		c := comp{value: s[start:j], present: true}
		if allowFraction && j < len(s) && (s[j] == '.' || s[j] == ',') {
			k := j + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' && k-j-1 < 9 {
				k++
			}
			if k < len(s) && s[k] == unit {
				c.fraction = s[j+1 : k]
				pos = k + 1
				return c, true
			}
			return comp{}, true
		}
		if j < len(s) && s[j] == unit {
			pos = j + 1
			return c, true
		}
		return comp{}, true
	}

	days, _ := readComp('D', false)
	var hours, minutes, seconds comp
	timePart := false
	if pos < len(s) && s[pos] == 'T' {
		pos++
		timePart = true
		hours, _ = readComp('H', false)
		minutes, _ = readComp('M', false)
		seconds, _ = readComp('S', true)
	}
	if pos != len(s) {
		return nil, fail
	}
	if timePart && !hours.present && !minutes.present && !seconds.present {
		return nil, fail
	}
	if !days.present && !hours.present && !minutes.present && !seconds.present {
		return nil, fail
	}
	total := new(big.Int)
	add := func(c comp, secondsPer int64, what string) error {
		if !c.present {
			return nil
		}
		v, err := strconv.ParseInt(c.value, 10, 64)
		if err != nil {
			return errors.New(errDuration + ": " + what)
		}
		if secondsPer > 1 && (v > math.MaxInt64/secondsPer || v < math.MinInt64/secondsPer) {
			return errors.New(errDuration + ": " + what)
		}
		total.Add(total, new(big.Int).Mul(big.NewInt(v*secondsPer), big.NewInt(int64(time.Second))))
		return nil
	}
	for _, a := range []struct {
		c    comp
		per  int64
		what string
	}{{days, 86400, "days"}, {hours, 3600, "hours"}, {minutes, 60, "minutes"}, {seconds, 1, "seconds"}} {
		if err := add(a.c, a.per, a.what); err != nil {
			return nil, err
		}
	}
	if seconds.present && seconds.fraction != "" {
		frac := seconds.fraction + strings.Repeat("0", 9-len(seconds.fraction))
		n, _ := strconv.ParseInt(frac, 10, 64)
		if strings.HasPrefix(seconds.value, "-") {
			n = -n
		}
		total.Add(total, big.NewInt(n))
	}
	if negate {
		total.Neg(total)
	}
	// Duration holds its seconds in a long.
	secs := new(big.Int).Quo(total, big.NewInt(int64(time.Second)))
	if !secs.IsInt64() {
		return nil, errors.New(errDuration + ": overflow")
	}
	return total, nil
}

// resetPlan is the offsets to reset to, by group.
type resetPlan map[string]map[topicPartition]int64

// planLine is one record of a reset plan CSV file in the order read.
type planLine struct {
	group string
	tp    topicPartition
	off   int64
}

// csvFields splits one CSV line: fields separated by commas, a field in
// double quotes may hold commas and doubled quotes.
func csvFields(line string) ([]string, error) {
	var fields []string
	for i := 0; ; {
		if i < len(line) && line[i] == '"' {
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(line) {
					return nil, errors.New("missing closing quote for value")
				}
				if line[j] == '"' {
					if j+1 < len(line) && line[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(line[j])
				j++
			}
			fields = append(fields, b.String())
			if j == len(line) {
				return fields, nil
			}
			if line[j] != ',' {
				return nil, fmt.Errorf("expected separator ',' after quoted value, found %q", line[j])
			}
			i = j + 1
			continue
		}
		k := strings.IndexByte(line[i:], ',')
		if k < 0 {
			return append(fields, line[i:]), nil
		}
		fields = append(fields, line[i:i+k])
		i += k + 1
	}
}

// planRecord reads one CSV line with the given columns (group, topic,
// partition, offset, or without group).
func planRecord(line string, withGroup bool) (planLine, error) {
	fields, err := csvFields(strings.TrimSuffix(line, "\r"))
	if err != nil {
		return planLine{}, err
	}
	want := 3
	if withGroup {
		want = 4
	}
	if len(fields) != want {
		return planLine{}, fmt.Errorf("expected %d columns, found %d", want, len(fields))
	}
	var pl planLine
	if withGroup {
		pl.group, fields = fields[0], fields[1:]
	}
	pl.tp.Topic = fields[0]
	p, err := strconv.ParseInt(strings.TrimSpace(fields[1]), 10, 32)
	if err != nil {
		return planLine{}, fmt.Errorf("partition %q is not an int", fields[1])
	}
	o, err := strconv.ParseInt(strings.TrimSpace(fields[2]), 10, 64)
	if err != nil {
		return planLine{}, fmt.Errorf("offset %q is not a long", fields[2])
	}
	pl.tp.Partition, pl.off = int32(p), o
	return pl, nil
}

// parseResetPlan reads a --from-file CSV as Kafka's parseResetPlan does:
// lines "topic,partition,offset" when exactly one --group was given and the
// first line reads that way, "group,topic,partition,offset" otherwise.
func parseResetPlan(csv string, singleGroup string) (resetPlan, error) {
	lines := javaSplit(csv, "\n")
	old := false
	if singleGroup != "" && len(lines) > 0 {
		_, err := planRecord(lines[0], false)
		old = err == nil
	}
	plan := resetPlan{}
	for i, line := range lines {
		pl, err := planRecord(line, !old)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if old {
			pl.group = singleGroup
		}
		if plan[pl.group] == nil {
			plan[pl.group] = map[topicPartition]int64{}
		}
		plan[pl.group][pl.tp] = pl.off
	}
	return plan, nil
}

// csvField quotes a CSV value that holds a comma, a quote or a line break.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
