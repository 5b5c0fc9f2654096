// Package cli holds the conventions every kafka-* tool shares: the streams a
// command writes to, Kafka-compatible option parsing and usage text
// (jopt-simple's layout and messages), how errors become a line on stderr (or
// stdout, where Kafka prints them there) and an exit code, --version, shell
// completion, Java properties files, log lines in Kafka's tools layout, and
// the optional human/JSON printers. Each tool lives in its own package below
// this one and exposes NewCommand and Main; cmd/<tool>/main.go only calls
// Main.
//
// Nothing in this package or below it calls os.Exit: Main returns the code so
// that tools can be run in-process by tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kafkakit/kafkakit/internal/buildinfo"
)

// IOStreams are the streams a tool reads from and writes to. Out carries data
// only; everything else (warnings, progress, errors) goes to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Exit codes, as Kafka's tools use them: 0 on success, 1 for anything else,
// usage errors included.
const (
	ExitOK      = 0
	ExitFailure = 1
)

// ExitError is an error that carries the exact text to print and the exit
// code. Main prints Msg followed by a newline (as Java's println does, so a
// Msg that ends in "\n" leaves an empty line, as Kafka's do).
type ExitError struct {
	Code int
	Msg  string
	// Usage prints the option table after Msg, as Kafka's tools do for
	// option errors.
	Usage bool
	// ToOut prints Msg on stdout instead of stderr (kafka-topics and
	// kafka-consumer-groups print their runtime errors on stdout).
	ToOut bool
	// Detail, when set, is printed on stderr after Msg (the log line Kafka's
	// tools write beside a message on stdout).
	Detail string
	// Err is the underlying error, if any, for errors.Is and errors.As.
	Err error
}

func (e *ExitError) Error() string { return e.Msg }

func (e *ExitError) Unwrap() error { return e.Err }

// Errorf returns an ExitError with code 1 and the formatted message.
func Errorf(format string, args ...any) error {
	return &ExitError{Code: ExitFailure, Msg: fmt.Sprintf(format, args...)}
}

// UsageErrorf returns an ExitError with code 1 that also prints usage.
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitFailure, Msg: fmt.Sprintf(format, args...), Usage: true}
}

// NewRoot returns a root command with the settings every tool shares:
// silenced cobra errors and usage (Main prints them), --version printing the
// build version on stdout, --help, and a `completion` sub-command. Arguments
// that are not options are accepted and ignored, as jopt-simple does.
func NewRoot(use, short string, io IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:           use,
		Short:         short,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.String(),
		// Kafka's option parser does not abbreviate and does not sort.
		DisableFlagsInUseLine: true,
		CompletionOptions:     cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.Flags().SortFlags = false
	cmd.Flags().Bool("version", false, "Display Kafka version.")
	cmd.Flags().BoolP("help", "", false, "Print usage information.")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &ExitError{Code: ExitFailure, Msg: FlagErrorText(err), Usage: true, Err: err}
	})
	cmd.AddCommand(newCompletion(cmd, io))
	return cmd
}

// Runner is a tool's options once cobra has parsed the command line, in the
// Complete, Validate, Run shape every tool follows: Complete reads what it
// needs from the command itself, Validate checks the options without I/O,
// and Run does the work, writing data to IOStreams.Out.
type Runner interface {
	Complete(cmd *cobra.Command, args []string)
	Validate() error
	Run(ctx context.Context) error
}

// RunE returns a cobra RunE that calls r's Complete, Validate and Run in
// that order, stopping at the first error.
func RunE(r Runner) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		r.Complete(cmd, args)
		if err := r.Validate(); err != nil {
			return err
		}
		return r.Run(cmd.Context())
	}
}

// NoArgs reports whether the command line held neither an option nor an
// argument, which Kafka's tools answer with their description and usage.
func NoArgs(cmd *cobra.Command, args []string) bool {
	return cmd.Flags().NFlag() == 0 && len(args) == 0
}

func newCompletion(root *cobra.Command, io IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Print a shell completion script",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(io.Out, true)
			case "zsh":
				return root.GenZshCompletion(io.Out)
			case "fish":
				return root.GenFishCompletion(io.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(io.Out)
			}
			return UsageErrorf("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
}

// Main runs cmd with args and returns the process exit code. Errors are
// printed as one line (plus the option table when the error asks for it);
// --help prints the description and option table on stderr and exits 1, as
// Kafka's tools do. Arguments are first rewritten from jopt-simple's syntax
// to pflag's (see NormalizeArgs).
func Main(ctx context.Context, cmd *cobra.Command, args []string, io IOStreams) int {
	cmd.SetArgs(NormalizeArgs(cmd.Flags(), args))
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	helpShown := false
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		helpShown = true
		if c != cmd {
			// Sub-commands (completion) keep cobra's help on stdout.
			c.SetOut(io.Out)
			_ = c.UsageFunc()(c)
			return
		}
		fmt.Fprint(io.ErrOut, Usage(c))
	})
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		if helpShown && !isSubcommandHelp(cmd, args) {
			return ExitFailure
		}
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		w := io.ErrOut
		if ee.ToOut {
			w = io.Out
		}
		if ee.Msg != "" {
			fmt.Fprintln(w, ee.Msg)
		}
		if ee.Detail != "" {
			fmt.Fprintln(io.ErrOut, strings.TrimRight(ee.Detail, "\n"))
		}
		if ee.Usage {
			fmt.Fprint(io.ErrOut, UsageTable(cmd))
		}
		return ee.Code
	}
	// Errors from cobra itself (sub-command arguments): message and usage.
	fmt.Fprintln(io.ErrOut, FlagErrorText(err))
	fmt.Fprint(io.ErrOut, UsageTable(cmd))
	return ExitFailure
}

func isSubcommandHelp(root *cobra.Command, args []string) bool {
	c, _, err := root.Find(args)
	return err == nil && c != root
}

// FlagErrorText rewrites pflag's messages into jopt-simple's wording, which
// scripts grepping Kafka's stderr expect.
func FlagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		return name + " is not a recognized option"
	}
	if rest, ok := strings.CutPrefix(msg, "unknown shorthand flag: '"); ok {
		if c, _, ok := strings.Cut(rest, "'"); ok {
			return c + " is not a recognized option"
		}
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: --"); ok {
		return "Option " + rest + " requires an argument"
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: '"); ok {
		if c, _, ok := strings.Cut(rest, "'"); ok {
			return "Option " + c + " requires an argument"
		}
	}
	return msg
}

// NormalizeArgs rewrites the option syntax jopt-simple accepts and pflag
// does not: a long option with one dash ("-topic t", "-topic=t") becomes
// "--topic", and an option whose argument is optional takes the next
// argument when that does not look like an option ("--compression-codec
// lz4"). Everything after "--" is left alone.
func NormalizeArgs(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if fs.Lookup(name) != nil {
				a = "-" + a
			}
		}
		out = append(out, a)
		if !strings.HasPrefix(a, "--") || strings.Contains(a, "=") {
			continue
		}
		f := fs.Lookup(a[2:])
		if f == nil || f.NoOptDefVal == "" || f.Value.Type() == "bool" {
			continue
		}
		if i+1 < len(args) && !looksLikeOption(args[i+1]) {
			out[len(out)-1] = a + "=" + args[i+1]
			i++
		}
	}
	return out
}

// looksLikeOption is jopt-simple's test: "-x…" and "--x…" are options, a
// lone "-" is not.
func looksLikeOption(a string) bool { return len(a) > 1 && a[0] == '-' }

// Signal is the cause of a context cancelled by SignalContext.
type Signal struct{ os.Signal }

func (s Signal) Error() string { return "received " + s.String() }

// ExitCode is what a JVM exits with when a signal stops it: 128 + number.
func (s Signal) ExitCode() int {
	if n, ok := s.Signal.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return ExitFailure
}

// SignalContext returns a context cancelled on SIGINT or SIGTERM, with a
// Signal as its cause. Call stop to release the signal handler.
func SignalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(Signal{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// SignalExitCode returns the exit code for a context cancelled by a signal,
// and false when the context was not.
func SignalExitCode(ctx context.Context) (int, bool) {
	var s Signal
	if errors.As(context.Cause(ctx), &s) {
		return s.ExitCode(), true
	}
	return 0, false
}
