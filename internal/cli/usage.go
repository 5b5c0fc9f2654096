package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Usage renders a command's options the way jopt-simple (Kafka's option
// parser) does: the command's description, then an "Option / Description"
// table sorted by option name.
func Usage(cmd *cobra.Command) string {
	var b strings.Builder
	if cmd.Long != "" {
		b.WriteString(cmd.Long)
		b.WriteString("\n")
	} else if cmd.Short != "" {
		b.WriteString(cmd.Short)
		b.WriteString("\n")
	}
	type row struct{ opt, desc string }
	var rows []row
	width := len("Option")
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		opt := "--" + f.Name
		if f.Value.Type() != "bool" {
			arg := f.Annotations["argname"]
			name := "String"
			if len(arg) > 0 {
				name = arg[0]
			}
			opt += " <" + name + ">"
		}
		desc := f.Usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" {
			if _, noDefault := f.Annotations["nodefault"]; !noDefault {
				desc += " (default: " + f.DefValue + ")"
			}
		}
		rows = append(rows, row{opt, desc})
		if len(opt) > width {
			width = len(opt)
		}
	})
	sortRows := func(i, j int) bool { return rows[i].opt < rows[j].opt }
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && sortRows(j, j-1); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	col := width + 1
	fmt.Fprintf(&b, "%-*s%s\n", col, "Option", "Description")
	fmt.Fprintf(&b, "%-*s%s\n", col, "------", "-----------")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s%s\n", col, r.opt, r.desc)
	}
	return b.String()
}

// ArgName sets the placeholder printed in usage for a flag's value
// (jopt-simple's describedAs), e.g. ArgName(fs, "topic", "String: topic").
func ArgName(fs *pflag.FlagSet, flag, name string) {
	_ = fs.SetAnnotation(flag, "argname", []string{name})
}
