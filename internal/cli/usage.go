package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Usage renders a command's description line followed by its option table,
// which is what Kafka's tools print for --help.
func Usage(cmd *cobra.Command) string {
	desc := cmd.Long
	if desc == "" {
		desc = cmd.Short
	}
	if desc == "" {
		return UsageTable(cmd)
	}
	return desc + "\n" + UsageTable(cmd)
}

// UsageTable renders the options of cmd the way jopt-simple's
// BuiltinHelpFormatter does for Kafka's tools: options sorted by name, an
// 80-column layout split into two columns of at most 39 characters with two
// spaces between them, descriptions wrapped at Java's line-break
// opportunities with continuation lines indented by two spaces, and every line
// padded with spaces to the full column widths. A flag prints as
// "--name <Type: arg>" ("[...]" when the argument is optional) and its
// default, when it has one, as "(default: x)" after the description.
func UsageTable(cmd *cobra.Command) string {
	type row struct{ opt, desc string }
	var rows []row
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		rows = append(rows, row{optionDisplay(f), descriptionDisplay(f)})
	})
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].opt < rows[j].opt })

	t := newUsageRows()
	t.add("Option", "Description")
	t.add("------", "-----------")
	for _, r := range rows {
		t.add(r.opt, r.desc)
	}
	t.fit(newLineBreaker())
	return t.render()
}

const (
	usageWidth     = 80
	usageSeparator = 2
	usageIndent    = 2
)

// usageRows is jopt-simple's two-column table: widths follow the widest cell
// of each column, capped at half the usable width.
type usageRows struct {
	cells                [][2][]rune
	widestOpt, widestDes int
}

func newUsageRows() *usageRows { return &usageRows{} }

func (t *usageRows) add(opt, desc string) { t.addRunes([]rune(opt), []rune(desc)) }

func (t *usageRows) addRunes(opt, desc []rune) {
	t.cells = append(t.cells, [2][]rune{opt, desc})
	t.widestOpt = max(t.widestOpt, len(opt))
	t.widestDes = max(t.widestDes, len(desc))
}

func (t *usageRows) optWidth() int  { return min((usageWidth-usageSeparator)/2, t.widestOpt) }
func (t *usageRows) descWidth() int { return min((usageWidth-usageSeparator)/2, t.widestDes) }

// fit splits every cell into pieces no wider than its column and replaces the
// rows with one row per line; the widths are then those of the pieces.
func (t *usageRows) fit(lb lineBreaker) {
	ow, dw := t.optWidth(), t.descWidth()
	cells := t.cells
	*t = usageRows{}
	for _, c := range cells {
		opts := pieces(lb, c[0], ow)
		descs := pieces(lb, c[1], dw)
		for i := 0; i < max(len(opts), len(descs)); i++ {
			var o, d []rune
			if i < len(opts) {
				o = opts[i]
			}
			if i < len(descs) {
				d = descs[i]
			}
			t.addRunes(o, d)
		}
	}
}

func (t *usageRows) render() string {
	var b strings.Builder
	ow, dw := t.optWidth(), t.descWidth()
	for _, c := range t.cells {
		b.WriteString(string(c[0]))
		b.WriteString(strings.Repeat(" ", max(0, ow-len(c[0]))+usageSeparator))
		b.WriteString(string(c[1]))
		b.WriteString(strings.Repeat(" ", max(0, dw-len(c[1]))))
		b.WriteByte('\n')
	}
	return b.String()
}

// pieces splits text into lines of at most width runes: first at its own
// newlines, then at line-break opportunities. A word that does not fit starts
// a new line indented by two spaces (a word wider than the column overflows
// it). Blank lines disappear, as in jopt-simple.
func pieces(lb lineBreaker, text []rune, width int) [][]rune {
	var out [][]rune
	for _, line := range strings.Split(JavaTrim(string(text)), "\n") {
		rs := []rune(line)
		var cur []rune
		start := 0
		for _, end := range lb.breaks(rs) {
			word := rs[start:end]
			start = end
			if len(cur)+len(word) > width {
				out = append(out, []rune(strings.TrimRightFunc(string(cur), isJavaSpace)))
				cur = append([]rune(strings.Repeat(" ", usageIndent)), word...)
				continue
			}
			cur = append(cur, word...)
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
	}
	return out
}

// JavaTrim is Java's String.trim: it strips every character up to and
// including the space from both ends.
func JavaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// isJavaSpace matches the \s of java.util.regex: [ \t\n\x0B\f\r].
func isJavaSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\x0b' || r == '\f' || r == '\r'
}

// Flag annotations that shape how an option prints in usage.
const (
	annArgName  = "argname"     // the whole text between the brackets (legacy)
	annArg      = "cli.arg"     // jopt-simple's describedAs
	annType     = "cli.type"    // the type indicator: String, Integer, Long
	annDefault  = "cli.default" // printed as (default: x)
	annOptional = "cli.optional"
	annNoDef    = "nodefault"
)

// ArgName sets the whole text printed between the brackets of a flag's
// argument, e.g. ArgName(fs, "files", "String: file1, file2, ...").
func ArgName(fs *pflag.FlagSet, flag, name string) {
	_ = fs.SetAnnotation(flag, annArgName, []string{name})
}

func optionDisplay(f *pflag.Flag) string {
	opt := "--" + f.Name
	takesArg := f.Value.Type() != "bool"
	if !takesArg {
		return opt
	}
	open, closing := " <", ">"
	if _, ok := f.Annotations[annOptional]; ok {
		open, closing = " [", "]"
	}
	if a := f.Annotations[annArgName]; len(a) > 0 {
		return opt + open + a[0] + closing
	}
	typ := typeIndicator(f)
	if a := f.Annotations[annArg]; len(a) > 0 && a[0] != "" {
		return opt + open + typ + ": " + a[0] + closing
	}
	return opt + open + typ + closing
}

func typeIndicator(f *pflag.Flag) string {
	if t := f.Annotations[annType]; len(t) > 0 {
		return t[0]
	}
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "uint", "uint8", "uint16", "uint32", "intSlice", "int32Slice":
		return "Integer"
	case "int64", "uint64", "int64Slice":
		return "Long"
	case "float32", "float64":
		return "Double"
	}
	return "String"
}

func descriptionDisplay(f *pflag.Flag) string {
	def, ok := "", false
	if d := f.Annotations[annDefault]; len(d) > 0 {
		def, ok = d[0], true
	} else if _, no := f.Annotations[annNoDef]; !no {
		switch f.DefValue {
		case "", "false", "[]", "0":
		default:
			def, ok = f.DefValue, true
		}
	}
	if !ok {
		return f.Usage
	}
	return JavaTrim(f.Usage + " (default: " + def + ")")
}
