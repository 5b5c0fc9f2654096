// Package cli holds the conventions every kafka-* tool shares: the streams a
// command writes to, how errors become one line on stderr and an exit code,
// --version, and shell completion. Each tool lives in its own package below
// this one and exposes NewCommand; cmd/<tool>/main.go only calls Main.
//
// Nothing in this package or below it calls os.Exit: Main returns the code so
// that tools can be run in-process by tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

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
	ExitOK    = 0
	ExitFailure = 1
)

// ExitError is an error that carries the exact text to print and the exit
// code. Usage asks Main to print the command's usage after the message, as
// Kafka's tools do for option errors.
type ExitError struct {
	Code  int
	Msg   string
	Usage bool
	// ToOut prints Msg on stdout instead of stderr (kafka-topics and
	// kafka-consumer-groups print their runtime errors on stdout).
	ToOut bool
}

func (e *ExitError) Error() string { return e.Msg }

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
// build version on stdout, and a `completion` sub-command.
func NewRoot(use, short string, io IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:           use,
		Short:         short,
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
	cmd.AddCommand(newCompletion(cmd, io))
	return cmd
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
// printed as one line (plus usage when the error asks for it); --help prints
// usage on stderr and exits 1, as Kafka's tools do.
func Main(ctx context.Context, cmd *cobra.Command, args []string, io IOStreams) int {
	cmd.SetArgs(args)
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
			fmt.Fprintln(w, strings.TrimRight(ee.Msg, "\n"))
		}
		if ee.Usage {
			fmt.Fprint(io.ErrOut, Usage(cmd))
		}
		return ee.Code
	}
	// Flag parsing errors from cobra/pflag: Kafka prints the message and usage.
	fmt.Fprintln(io.ErrOut, flagErrorText(err))
	fmt.Fprint(io.ErrOut, Usage(cmd))
	return ExitFailure
}

func isSubcommandHelp(root *cobra.Command, args []string) bool {
	c, _, err := root.Find(args)
	return err == nil && c != root
}

// flagErrorText rewrites pflag's messages into jopt-simple's wording, which
// scripts grepping Kafka's stderr expect.
func flagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		return name + " is not a recognized option"
	}
	if name, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		return name + " is not a recognized option"
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: --"); ok {
		return "Option " + rest + " requires an argument"
	}
	return msg
}
