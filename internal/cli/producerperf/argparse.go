package producerperf

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Kafka's ProducerPerformance parses its command line with argparse4j
// (0.7), not with the jopt-simple parser of the other tools, so its syntax,
// usage and messages differ from internal/cli's:
//
//   - "--name value" and "--name=value"; a long option may be abbreviated
//     to any unique prefix ("--num" for "--num-records");
//   - --producer-props takes every following argument up to the next
//     option (nargs "+"); giving an option again replaces its value;
//   - a value starting with "-" is an option unless it is a negative
//     integer ("--throughput -1");
//   - errors print the usage line and "producer-performance: error: <msg>"
//     on stderr and exit 1; the missing required option reported is the
//     last one in declaration order, then the payload group;
//   - -h/--help prints the help on stdout and exits 1 (Kafka exits through
//     its error path); no arguments at all print the help and exit 0.
//
// This file is a small implementation of exactly that behaviour for one
// parser; it is not a general argparse.

type argAction int

const (
	actStore     argAction = iota // one value
	actStoreTrue                  // no value
	actStorePlus                  // one or more values (nargs "+")
	actHelp
)

// argDef declares one option.
type argDef struct {
	flags    []string // e.g. {"-h", "--help"}
	dest     string   // key in the parsed result
	metavar  string
	help     string
	action   argAction
	typ      string // "", "Long", "Integer" or "Double": converted when parsed
	required bool
	mutex    bool   // member of the required payload group
	def      string // printed as "(default: x)"
}

func (a *argDef) textualName() string { return strings.Join(a.flags, "/") }

func (a *argDef) consumes() bool { return a.action == actStore || a.action == actStorePlus }

// metavarText is the argument part of the syntax: "TOPIC" or
// "PROP [PROP ...]".
func (a *argDef) metavarText() string {
	switch a.action {
	case actStore:
		return a.metavar
	case actStorePlus:
		return a.metavar + " [" + a.metavar + " ...]"
	}
	return ""
}

func (a *argDef) shortSyntaxNoBracket() string {
	s := a.flags[0]
	if mv := a.metavarText(); mv != "" {
		s += " " + mv
	}
	return s
}

func (a *argDef) shortSyntax() string {
	if a.required {
		return a.shortSyntaxNoBracket()
	}
	return "[" + a.shortSyntaxNoBracket() + "]"
}

// helpTitle is the left column of the help: every flag with its metavar.
func (a *argDef) helpTitle() string {
	mv := a.metavarText()
	parts := make([]string, len(a.flags))
	for i, f := range a.flags {
		parts[i] = f
		if mv != "" {
			parts[i] += " " + mv
		}
	}
	return strings.Join(parts, ", ")
}

// argParser is one argparse4j parser with an optional required mutually
// exclusive group.
type argParser struct {
	prog        string
	description string
	groupDesc   string
	args        []*argDef
}

// parsed holds the values given, by dest; a store-true option maps to
// {"true"}.
type parsed map[string][]string

func (p parsed) has(dest string) bool { _, ok := p[dest]; return ok }

func (p parsed) value(dest string) (string, bool) {
	v, ok := p[dest]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// argError is a parse error in argparse4j's wording. unrecognized holds
// the offending argument for the "Did you mean" hint.
type argError struct {
	msg          string
	unrecognized string
}

func (e *argError) Error() string { return e.msg }

func errorFor(a *argDef, format string, args ...any) *argError {
	return &argError{msg: "argument " + a.textualName() + ": " + fmt.Sprintf(format, args...)}
}

// errHelp is returned when -h or --help was given; the help has not been
// printed.
type helpRequested struct{}

func (helpRequested) Error() string { return "help requested" }

var negNumber = regexp.MustCompile(`^-\d+$`)

// isFlag is argparse4j's test for an option-looking argument.
func isFlag(s string) bool {
	return len(s) > 1 && s[0] == '-' && strings.TrimLeft(s, "-") != "" && !negNumber.MatchString(s)
}

// lookup finds the option for a flag: an exact match or the only option
// the flag is a prefix of.
func (p *argParser) lookup(flag string) (*argDef, error) {
	var cands []string
	byFlag := map[string]*argDef{}
	for _, a := range p.args {
		for _, f := range a.flags {
			if f == flag {
				return a, nil
			}
			if strings.HasPrefix(f, flag) {
				cands = append(cands, f)
				byFlag[f] = a
			}
		}
	}
	switch len(cands) {
	case 0:
		return nil, nil
	case 1:
		return byFlag[cands[0]], nil
	}
	sort.Strings(cands)
	return nil, &argError{msg: fmt.Sprintf("ambiguous option: %s could match %s", flag, strings.Join(cands, ", "))}
}

// parse reads args. It returns helpRequested when -h/--help is met before
// any error.
func (p *argParser) parse(args []string) (parsed, error) {
	out := parsed{}
	used := map[*argDef]bool{}
	var mutexUsed *argDef
	separator := false
	for i := 0; i < len(args); {
		term := args[i]
		if separator || !(term == "--" || isFlag(term)) {
			return nil, &argError{msg: fmt.Sprintf("unrecognized arguments: '%s'", strings.Join(args[i:], " "))}
		}
		if term == "--" {
			separator = true
			i++
			continue
		}
		flag, embedded, hasEmbedded := strings.Cut(term, "=")
		a, err := p.lookup(flag)
		if err != nil {
			return nil, err
		}
		if a == nil {
			return nil, &argError{msg: fmt.Sprintf("unrecognized arguments: '%s'", term), unrecognized: term}
		}
		i++
		if a.mutex {
			if mutexUsed != nil && mutexUsed != a {
				return nil, errorFor(a, "not allowed with argument %s", mutexUsed.textualName())
			}
			mutexUsed = a
		}
		used[a] = true
		switch a.action {
		case actHelp:
			if hasEmbedded {
				return nil, errorFor(a, "ignore implicit argument '%s'", embedded)
			}
			return nil, helpRequested{}
		case actStoreTrue:
			if hasEmbedded {
				return nil, errorFor(a, "ignore implicit argument '%s'", embedded)
			}
			out[a.dest] = []string{"true"}
		case actStore:
			var v string
			switch {
			case hasEmbedded:
				v = embedded
			case i < len(args) && !separator && !isFlag(args[i]) && args[i] != "--":
				v = args[i]
				i++
			default:
				return nil, errorFor(a, "expected one argument")
			}
			if err := a.convert(v); err != nil {
				return nil, err
			}
			out[a.dest] = []string{v}
		case actStorePlus:
			var vs []string
			if hasEmbedded {
				vs = append(vs, embedded)
			} else {
				for i < len(args) && !isFlag(args[i]) && args[i] != "--" {
					vs = append(vs, args[i])
					i++
				}
			}
			if len(vs) == 0 {
				return nil, errorFor(a, "expected 1 argument(s)")
			}
			out[a.dest] = vs
		}
	}
	// argparse4j checks every required option and keeps the last miss.
	var missing *argDef
	for _, a := range p.args {
		if a.required && !used[a] {
			missing = a
		}
	}
	if missing != nil {
		return nil, &argError{msg: fmt.Sprintf("argument %s is required", missing.textualName())}
	}
	if mutexUsed == nil {
		var names strings.Builder
		for _, a := range p.args {
			if a.mutex {
				names.WriteString(a.textualName() + " ")
			}
		}
		return nil, &argError{msg: fmt.Sprintf("one of the arguments %sis required", names.String())}
	}
	return out, nil
}

// convert checks a value the way argparse4j converts it with the type's
// valueOf, and words a failure as it does.
func (a *argDef) convert(v string) error {
	var err error
	switch a.typ {
	case "Long":
		_, err = parseJavaInt(v, 64)
	case "Integer":
		_, err = parseJavaInt(v, 32)
	case "Double":
		_, err = parseJavaDouble(v)
	default:
		return nil
	}
	if err != nil {
		return errorFor(a, "could not convert '%s' to %s (%s)", v, a.typ, err)
	}
	return nil
}

// parseJavaInt is Long.valueOf / Integer.valueOf: an optional sign and
// decimal digits, nothing else.
func parseJavaInt(s string, bits int) (int64, error) {
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if body == "" || len(body) != len(s)-1 && len(body) != len(s) || strings.Trim(body, "0123456789") != "" {
		return 0, fmt.Errorf("For input string: \"%s\"", s)
	}
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("For input string: \"%s\"", s)
	}
	return n, nil
}

var javaDouble = regexp.MustCompile(`^[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)$`)

// parseJavaDouble is Double.valueOf for decimal input: surrounding
// whitespace is ignored, a trailing f or d is allowed, NaN and Infinity are
// numbers. (Hexadecimal floating point is not accepted.)
func parseJavaDouble(s string) (float64, error) {
	t := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if !javaDouble.MatchString(t) {
		if t == "" {
			return 0, fmt.Errorf("empty String")
		}
		return 0, fmt.Errorf("For input string: \"%s\"", s)
	}
	t = strings.TrimRight(t, "fFdD")
	switch strings.TrimLeft(t, "+-") {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil && !strings.Contains(err.Error(), "out of range") {
		return 0, fmt.Errorf("For input string: \"%s\"", s)
	}
	return v, nil
}

// formatWidth is argparse4j's text width: $COLUMNS-5 when COLUMNS is a
// number above 5, otherwise 75 (what it uses when no terminal answers).
func formatWidth(columns string) int {
	if n, err := strconv.Atoi(columns); err == nil && n-5 > 0 {
		return n - 5
	}
	return 75
}

// usage renders "usage: prog ..." wrapped at width.
func (p *argParser) usage(width int) string {
	var b strings.Builder
	head := "usage: " + p.prog
	b.WriteString(head)
	offset, first, subsequent := len(head), "", strings.Repeat(" ", len(head))
	if len(head) > 30 {
		b.WriteString("\n")
		offset, first, subsequent = 6, "      ", "      "
	}
	var opts []string
	for _, a := range p.args {
		if !a.mutex {
			opts = append(opts, a.shortSyntax())
		}
	}
	var group []*argDef
	for _, a := range p.args {
		if a.mutex {
			group = append(group, a)
		}
	}
	for i, a := range group {
		s := a.shortSyntaxNoBracket()
		if i == 0 {
			s = "(" + s
		} else {
			opts = append(opts, "|")
		}
		if i == len(group)-1 {
			s += ")"
		}
		opts = append(opts, s)
	}
	cur := offset + len(first)
	b.WriteString(first)
	for i, s := range opts {
		if i > 0 && cur+len(s)+1 > width {
			b.WriteString("\n" + subsequent + " " + s)
			cur = len(subsequent) + 1 + len(s)
			continue
		}
		b.WriteString(" " + s)
		cur += 1 + len(s)
	}
	b.WriteString("\n")
	return b.String()
}

// help renders the full help text.
func (p *argParser) help(width int) string {
	var b strings.Builder
	b.WriteString(p.usage(width))
	if p.description != "" {
		b.WriteString("\n" + wrap(p.description, width, 0, "") + "\n")
	}
	b.WriteString("\noptional arguments:\n")
	for _, a := range p.args {
		if !a.mutex {
			b.WriteString(argHelp(a, width))
		}
	}
	if p.groupDesc != "" {
		b.WriteString("\n  " + wrap(p.groupDesc, width, 2, "  ") + "\n\n")
		for _, a := range p.args {
			if a.mutex {
				b.WriteString(argHelp(a, width))
			}
		}
	}
	return b.String()
}

// argHelp is one option's help: the title, then the text from column 25.
func argHelp(a *argDef, width int) string {
	const indent = 25
	text := a.help
	if a.def != "" {
		if text != "" {
			text += " "
		}
		text += "(default: " + a.def + ")"
	}
	title := a.helpTitle()
	var b strings.Builder
	b.WriteString("  " + title)
	if text == "" {
		b.WriteString("\n")
		return b.String()
	}
	pad := indent
	if len(title) <= 21 {
		pad -= len(title) + 2
	} else {
		b.WriteString("\n")
	}
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteString(wrap(text, width, indent, strings.Repeat(" ", indent)) + "\n")
	return b.String()
}

// wrap fills text into lines of at most width columns, the first starting
// at column offset and the others with indent, and stretches every line
// but the last to the full width by widening its spaces, as argparse4j's
// TextHelper.wrap does. Lines break where Java's line BreakIterator allows
// (cli.LineBreaks), a piece that ends in a newline ends its line as it is,
// and widths are counted in UTF-16 code units, as Java's String.length.
func wrap(text string, width, offset int, indent string) string {
	var res, line strings.Builder
	cur := offset
	rs := []rune(text)
	start := 0
	for _, end := range cli.LineBreaks(rs) {
		piece := rs[start:end]
		start = end
		n := javaLength(piece)
		cur += n
		if cur > width {
			res.WriteString(justify(line.String(), width, cur-n))
			res.WriteString("\n" + indent)
			line.Reset()
			cur = len(indent) + n
		}
		line.WriteString(string(piece))
		if piece[len(piece)-1] == '\n' {
			res.WriteString(line.String() + indent)
			line.Reset()
			cur = len(indent)
		}
	}
	res.WriteString(line.String())
	return res.String()
}

// javaLength is the length of rs as a Java String: its UTF-16 code units.
func javaLength(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += utf16.RuneLen(r)
	}
	return n
}

// justify trims line and widens its blocks of spaces until the line,
// which ends at column end, reaches width; extra spaces go to the middle
// blocks.
func justify(line string, width, end int) string {
	trimmed := strings.Trim(line, " ")
	end -= len(line) - len(trimmed)
	blocks := 0
	inBlock := false
	for i := 0; i < len(trimmed); i++ {
		if trimmed[i] == ' ' {
			if !inBlock {
				blocks++
				inBlock = true
			}
		} else {
			inBlock = false
		}
	}
	if blocks == 0 {
		return trimmed
	}
	need := width - end
	each, rem := need/blocks, need%blocks
	remStart := (blocks - rem + 1) / 2
	remEnd := remStart + rem
	var b strings.Builder
	inBlock = false
	block := 0
	for i := 0; i < len(trimmed); i++ {
		c := trimmed[i]
		if c == ' ' && !inBlock {
			inBlock = true
			add := each
			if remStart <= block && block < remEnd {
				add++
			}
			// A line that already overflows (one piece wider than
			// the column) gets nothing added.
			b.WriteString(strings.Repeat(" ", max(add, 0)))
			block++
		} else if c != ' ' {
			inBlock = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// suggestions is argparse4j's "Did you mean" list for an unknown option:
// the options it is a prefix of, else those nearest by a weighted edit
// distance (git's weights), when near enough.
func (p *argParser) suggestions(arg string) []string {
	body := strings.TrimLeft(arg, "-")
	if len(body) < 2 {
		return nil
	}
	type cand struct {
		score int
		flag  string
	}
	var cands []cand
	for _, a := range p.args {
		for _, f := range a.flags {
			fb := strings.TrimLeft(f, "-")
			if len(fb) <= 1 {
				continue
			}
			if strings.HasPrefix(fb, body) {
				cands = append(cands, cand{0, f})
			} else {
				cands = append(cands, cand{editDistance(body, fb), f})
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score < cands[j].score
		}
		return cands[i].flag < cands[j].flag
	})
	best := cands[0].score
	if best >= 7 {
		return nil
	}
	var out []string
	for _, c := range cands {
		if c.score > best {
			break
		}
		out = append(out, c.flag)
	}
	return out
}

// editDistance is a Damerau-Levenshtein distance with git's costs: swap 0,
// substitution 2, insertion 1, deletion 4.
func editDistance(a, b string) int {
	const swap, sub, add, del = 0, 2, 1, 4
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := sub
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = prev[j-1] + cost
			if i >= 2 && j >= 2 && a[i-1] != b[j-1] && a[i-2] == b[j-1] && a[i-1] == b[j-2] {
				cur[j] = min(cur[j], prev2[j-2]+swap)
			}
			cur[j] = min(cur[j], prev[j]+del, cur[j-1]+add)
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
