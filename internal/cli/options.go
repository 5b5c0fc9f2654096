package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Option declares one command-line option the way Kafka's tools declare them
// with jopt-simple, so that usage text, repeated values and lazy conversion
// behave as in Kafka.
type Option struct {
	Name  string
	Usage string
	// Arg is jopt-simple's describedAs text, printed after the type
	// indicator ("<String: topic>"); empty prints the type alone.
	Arg string
	// Type is the type indicator: "String" (the default), "Integer" or
	// "Long". Integer and Long values are converted when they are read, as
	// jopt-simple does, so a bad number is reported where Kafka reports it.
	Type string
	// Default is printed as "(default: x)" and returned when the option is
	// absent.
	Default string
	// OptionalArg lets the option appear without an argument (printed as
	// "[String: x]"); a bare option reads as the empty string.
	OptionalArg bool
	// Hidden keeps the option out of the usage table (aliases).
	Hidden bool
}

// Bare is the value an OptionalArg option has when given without argument.
const bare = "\x00"

// Value holds every argument given for an option, in order.
type Value struct {
	name string
	typ  string
	def  string
	vals []string
}

// Value registers an option that takes an argument and returns its holder.
func (o Option) Value(fs *pflag.FlagSet) *Value {
	v := &Value{name: o.Name, typ: o.Type, def: o.Default}
	f := fs.VarPF(v, o.Name, "", o.Usage)
	o.annotate(fs, f)
	if o.OptionalArg {
		f.NoOptDefVal = bare
		_ = fs.SetAnnotation(o.Name, annOptional, []string{"true"})
	}
	return v
}

// Alias registers another name for the same holder, hidden from usage (the
// KIP-1147 spellings beside the old ones).
func (v *Value) Alias(fs *pflag.FlagSet, name string) {
	f := fs.VarPF(v, name, "", "alias of --"+v.name)
	f.Hidden = true
}

// Bool registers an option without argument. As in jopt-simple, an
// argument attached with "=" is ignored: the option is present.
func (o Option) Bool(fs *pflag.FlagSet) *bool {
	p := new(bool)
	f := fs.VarPF((*presence)(p), o.Name, "", o.Usage)
	f.NoOptDefVal = "true"
	o.annotate(fs, f)
	return p
}

// presence is a flag value that is true once the option appears.
type presence bool

func (p *presence) Set(string) error { *p = true; return nil }
func (p *presence) String() string   { return strconv.FormatBool(bool(*p)) }
func (p *presence) Type() string     { return "bool" }
func (p *presence) IsBoolFlag() bool { return true }

func (o Option) annotate(fs *pflag.FlagSet, f *pflag.Flag) {
	f.Hidden = o.Hidden
	if o.Arg != "" {
		_ = fs.SetAnnotation(o.Name, annArg, []string{o.Arg})
	}
	if o.Type != "" {
		_ = fs.SetAnnotation(o.Name, annType, []string{o.Type})
	}
	if o.Default != "" {
		_ = fs.SetAnnotation(o.Name, annDefault, []string{o.Default})
	} else {
		_ = fs.SetAnnotation(o.Name, annNoDef, []string{"true"})
	}
}

// Set implements pflag.Value; every use of the option adds a value.
func (v *Value) Set(s string) error {
	if s == bare {
		s = ""
	}
	v.vals = append(v.vals, s)
	return nil
}

// String implements pflag.Value.
func (v *Value) String() string {
	if len(v.vals) == 0 {
		return ""
	}
	return v.vals[len(v.vals)-1]
}

// Type implements pflag.Value.
func (v *Value) Type() string { return "string" }

// Given reports whether the option appeared on the command line.
func (v *Value) Given() bool { return len(v.vals) > 0 }

// Values returns every argument given, in order.
func (v *Value) Values() []string { return v.vals }

// Name is the option's name.
func (v *Value) Name() string { return v.name }

// Get returns the single argument of the option, or its default when it is
// absent. An option given more than once is an error, worded as
// jopt-simple's valueOf words it.
func (v *Value) Get() (string, error) {
	switch len(v.vals) {
	case 0:
		return v.def, nil
	case 1:
		return v.vals[0], nil
	}
	return "", &OptionError{Msg: fmt.Sprintf("Found multiple arguments for option %s, but you asked for only one", v.name)}
}

// Int32 converts the option's argument as Java's Integer.valueOf does.
func (v *Value) Int32() (int32, error) {
	s, err := v.Get()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, v.conversionError(s)
	}
	return int32(n), nil
}

// Int64 converts the option's argument as Java's Long.valueOf does.
func (v *Value) Int64() (int64, error) {
	s, err := v.Get()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, v.conversionError(s)
	}
	return n, nil
}

func (v *Value) conversionError(s string) error {
	return &OptionError{Msg: fmt.Sprintf("Cannot parse argument '%s' of option %s", s, v.name)}
}

// OptionError is an error of jopt-simple's kind (joptsimple.OptionException):
// a repeated single-valued option or an argument of the wrong type.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

// Spec renders an option as Kafka's CommandLineUtils prints an option spec
// in its messages: its names in brackets, e.g. "[topic]".
func Spec(name string) string { return "[" + name + "]" }

// ParseKeyValues splits each "k=v" argument at the first "=" as Kafka's
// CommandLineUtils.parseKeyValueArgs does: a missing or empty value becomes
// the empty string. The result keeps the order of first appearance; later
// values of a key replace earlier ones.
func ParseKeyValues(args []string) *Properties {
	p := NewProperties()
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		p.Set(k, v)
	}
	return p
}
