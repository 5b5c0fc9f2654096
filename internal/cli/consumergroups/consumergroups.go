// Package consumergroups is kafka-consumer-groups: list, describe and delete
// consumer groups, reset their committed offsets and delete offsets, with the
// options, validation order, messages, output bytes and exit codes of Apache
// Kafka 3.9's ConsumerGroupCommand.
//
// Exit codes follow Kafka's quirk: option errors print their message and the
// option table on stderr and exit 1, but once the command talks to the
// cluster every failure is printed on stdout as "\nError: ..." and the exit
// code stays 0. Option parse errors (unknown option, missing argument, an
// option not available with the others) are uncaught exceptions in Kafka's
// tool; they print the exception line on stderr and exit 1.
//
// Output is byte for byte Kafka's, including the order in which Kafka prints
// rows that come out of Java hash maps (see java.go). Two corrections follow
// Kafka 4.0 rather than 3.9: Kafka 3.8 and 3.9 print the --reset-offsets and
// --delete-offsets rows without line breaks between them and end the
// --describe offsets table without a newline (fixed by apache/kafka#17058;
// Kafka 3.7 and 4.0 end every line), and their option checks for --describe
// and --delete-offsets without the options they need name the wrong options
// (fixed by apache/kafka#16961). The --members --verbose ASSIGNMENT column
// uses the documented "topic(0,1), other(2)" form rather than the topic-less
// form of the Java port.
//
// Two orders cannot be Kafka's because sarama returns them as Go maps:
// --list prints group ids sorted, and members are taken in member id order
// (Kafka keeps the coordinator's order).
//
// Where Kafka's tool fails a whole --describe because one partition's log
// end offset cannot be read, this one prints "-" for it. A --from-file CSV
// that cannot be read fails with this tool's own description of the line,
// not Jackson's.
//
// Beyond Kafka: --output json prints every action's result as one JSON
// document (null for unknown values, per-group errors inside it, Kafka's
// notes on stderr; a failure of the whole command is one line on stderr and
// exit code 1), and on a terminal (never when NO_COLOR is set) the
// --describe offsets table colours the LAG column; the plain output stays
// Kafka's.
//
// The cluster is reached with IBM/sarama's ClusterAdmin; see admin.go.
package consumergroups

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// description is what Kafka prints above the option table when the command
// line is empty or --help is given.
const description = "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets."

// loggerName is the class Kafka's log lines name.
const loggerName = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"

// The reset scenarios, in the order Kafka checks them against each other.
var scenarios = []string{"to-offset", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "shift-by", "from-file"}

// scenarioSet is the order in which Kafka's allResetOffsetScenarioOpts, a
// HashSet of the scenario specs, iterates them.
var scenarioSet = specSetOrder("to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file")

// Options are kafka-consumer-groups' command-line options.
type Options struct {
	IO cli.IOStreams

	Bootstrap     *cli.Value
	CommandConfig *cli.Value
	Group         *cli.Value
	Topic         *cli.Value
	Timeout       *cli.Value
	ToOffset      *cli.Value
	FromFile      *cli.Value
	ToDatetime    *cli.Value
	ByDuration    *cli.Value
	ShiftBy       *cli.Value
	State         *cli.Value
	Type          *cli.Value

	List, Describe, Delete, ResetOffsets, DeleteOffsets *bool

	AllGroups, AllTopics, DryRun, Execute, Export *bool
	ToEarliest, ToLatest, ToCurrent               *bool
	Members, Verbose, Offsets                     *bool

	Output *string

	// Color turns on the coloured lag table; Complete sets it when stdout
	// is a terminal and NO_COLOR is not set.
	Color bool
	// Logger receives Kafka's WARN lines (offsets clamped to the log), in
	// the layout of Kafka's tools; Complete writes them to ErrOut.
	Logger *slog.Logger

	// given lists the options that appeared, for the checks jopt-simple
	// makes while parsing.
	given map[string]bool
	// noArgs is set by Complete when the command line was empty.
	noArgs bool
}

// NewCommand returns the kafka-consumer-groups command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-consumer-groups", description, io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	const nl = "\n"
	o.Bootstrap = cli.Option{Name: "bootstrap-server", Usage: "REQUIRED: The server(s) to connect to.", Arg: "server to connect to"}.Value(fs)
	o.Group = cli.Option{Name: "group", Usage: "The consumer group we wish to act on.", Arg: "consumer group"}.Value(fs)
	o.Topic = cli.Option{Name: "topic", Usage: "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. " +
		"In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. " +
		"Reset-offsets also supports multiple topic inputs.", Arg: "topic"}.Value(fs)
	o.AllTopics = cli.Option{Name: "all-topics", Usage: "Consider all topics assigned to a group in the `reset-offsets` process."}.Bool(fs)
	o.List = cli.Option{Name: "list", Usage: "List all consumer groups."}.Bool(fs)
	o.Describe = cli.Option{Name: "describe", Usage: "Describe consumer group and list offset lag (number of messages not yet processed) related to given group."}.Bool(fs)
	o.AllGroups = cli.Option{Name: "all-groups", Usage: "Apply to all consumer groups."}.Bool(fs)
	o.Delete = cli.Option{Name: "delete", Usage: "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2"}.Bool(fs)
	o.Timeout = cli.Option{Name: "timeout", Usage: "The timeout that can be set for some use cases. For example, it can be used when describing the group " +
		"to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, " +
		"or is going through some changes).", Arg: "timeout (ms)", Type: "Long", Default: "5000"}.Value(fs)
	o.CommandConfig = cli.Option{Name: "command-config", Usage: "Property file containing configs to be passed to Admin Client and Consumer.", Arg: "command config property file"}.Value(fs)
	o.ResetOffsets = cli.Option{Name: "reset-offsets", Usage: "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive" + nl +
		"Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. " +
		"Additionally, the --export option is used to export the results to a CSV format." + nl +
		"You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, " +
		"--to-latest, --shift-by, --from-file, --to-current, --to-offset." + nl +
		"To define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'."}.Bool(fs)
	o.DeleteOffsets = cli.Option{Name: "delete-offsets", Usage: "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics."}.Bool(fs)
	o.DryRun = cli.Option{Name: "dry-run", Usage: "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets."}.Bool(fs)
	o.Execute = cli.Option{Name: "execute", Usage: "Execute operation. Supported operations: reset-offsets."}.Bool(fs)
	o.Export = cli.Option{Name: "export", Usage: "Export operation execution to a CSV file. Supported operations: reset-offsets."}.Bool(fs)
	o.ToOffset = cli.Option{Name: "to-offset", Usage: "Reset offsets to a specific offset.", Arg: "offset", Type: "Long"}.Value(fs)
	o.FromFile = cli.Option{Name: "from-file", Usage: "Reset offsets to values defined in CSV file.", Arg: "path to CSV file"}.Value(fs)
	o.ToDatetime = cli.Option{Name: "to-datetime", Usage: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'", Arg: "datetime"}.Value(fs)
	o.ByDuration = cli.Option{Name: "by-duration", Usage: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", Arg: "duration"}.Value(fs)
	o.ToEarliest = cli.Option{Name: "to-earliest", Usage: "Reset offsets to earliest offset."}.Bool(fs)
	o.ToLatest = cli.Option{Name: "to-latest", Usage: "Reset offsets to latest offset."}.Bool(fs)
	o.ToCurrent = cli.Option{Name: "to-current", Usage: "Reset offsets to current offset."}.Bool(fs)
	o.ShiftBy = cli.Option{Name: "shift-by", Usage: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.", Arg: "number-of-offsets", Type: "Long"}.Value(fs)
	o.Members = cli.Option{Name: "members", Usage: "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only." + nl +
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --members"}.Bool(fs)
	o.Verbose = cli.Option{Name: "verbose", Usage: "Provide additional information, if any, when describing the group. This option may be used " +
		"with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only." + nl + "Example: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose"}.Bool(fs)
	o.Offsets = cli.Option{Name: "offsets", Usage: "Describe the group and list all topic partitions in the group along with their offset lag. " +
		"This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only." + nl +
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --offsets"}.Bool(fs)
	o.State = cli.Option{Name: "state", Usage: "When specified with '--describe', includes the state of the group." + nl +
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --state" + nl +
		"When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states." + nl +
		"Example: --bootstrap-server localhost:9092 --list --state stable,empty" + nl +
		"This option may be used with '--describe', '--list' and '--bootstrap-server' options only.", OptionalArg: true}.Value(fs)
	o.Type = cli.Option{Name: "type", Usage: "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types." + nl +
		"Example: --bootstrap-server localhost:9092 --list --type classic,consumer" + nl +
		"This option may be used with the '--list' option only.", OptionalArg: true}.Value(fs)
	o.Output = cli.OutputOption(fs, cli.OutputPlain, cli.OutputJSON)

	// Kafka's tool does not catch jopt-simple's parse exceptions: the JVM
	// prints them as uncaught and exits 1, without the option table.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return parseError(cli.FlagErrorText(err))
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		o.Complete(cmd, args)
		warnings, err := o.Validate()
		for _, w := range warnings {
			fmt.Fprintln(o.IO.ErrOut, w)
		}
		if err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
	return o, cmd
}

// Main runs kafka-consumer-groups with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// parseError is a jopt-simple exception escaping Kafka's main: the JVM's
// "Exception in thread" line, exit 1.
func parseError(msg string) error {
	class := "joptsimple.OptionException"
	switch {
	case strings.HasSuffix(msg, " is not a recognized option"):
		class = "joptsimple.UnrecognizedOptionException"
	case strings.HasSuffix(msg, " requires an argument"):
		class = "joptsimple.OptionMissingRequiredArgumentException"
	case strings.HasSuffix(msg, " are unavailable given other options on the command line"):
		class = "joptsimple.UnavailableOptionException"
	}
	return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("Exception in thread \"main\" %s: %s", class, msg)}
}

// Complete records which options were given and sets the colour and
// logging defaults.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
	o.given = map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) { o.given[f.Name] = true })
	if o.Logger == nil {
		o.Logger = cli.NewLogger(o.IO.ErrOut, loggerName, slog.LevelWarn)
	}
	if *o.Output == cli.OutputPlain && cli.ColorEnabled(o.IO.Out) {
		o.Color = true
	}
}

func (o *Options) has(name string) bool { return o.given[name] }

// availableIf lists the options jopt-simple accepts only beside one of
// others, in the order of the parser's HashMap of them.
var availableIf = func() []struct {
	name string
	with []string
} {
	deps := map[string][]string{
		"members": {"describe"},
		"verbose": {"describe"},
		"offsets": {"describe"},
		"state":   {"describe", "list"},
		"type":    {"list"},
	}
	var out []struct {
		name string
		with []string
	}
	for _, n := range cli.JavaHashMapOrder([]string{"members", "verbose", "offsets", "state", "type"}, specHash, 16) {
		out = append(out, struct {
			name string
			with []string
		}{n, deps[n]})
	}
	return out
}()

// Validate checks the options in the order of Kafka's
// ConsumerGroupCommandOptions (parse-time checks, then checkArgs) and of its
// main (exactly one action). It does no I/O; the warnings it returns are
// the lines Kafka prints on stderr before the failure, if any.
func (o *Options) Validate() (warnings []string, err error) {
	// jopt-simple's availableIf, checked while parsing.
	var unavailable []string
	for _, a := range availableIf {
		if !o.has(a.name) {
			continue
		}
		ok := false
		for _, w := range a.with {
			ok = ok || o.has(w)
		}
		if !ok {
			unavailable = append(unavailable, a.name)
		}
	}
	if len(unavailable) > 0 {
		return nil, parseError("Option(s) [" + strings.Join(unavailable, ", ") + "] are unavailable given other options on the command line")
	}

	if o.noArgs {
		return nil, cli.UsageErrorf("%s", description)
	}
	if !o.has("bootstrap-server") {
		return nil, cli.UsageErrorf("Missing required argument \"%s\"", cli.Spec("bootstrap-server"))
	}
	groupScope := specList(specSetOrder("group", "all-groups"))
	hasScope := o.has("group") || o.has("all-groups")

	if o.has("describe") {
		if !hasScope {
			return nil, cli.UsageErrorf("Option [describe] takes one of these options: %s", groupScope)
		}
		n := 0
		for _, m := range []string{"members", "offsets", "state"} {
			if o.has(m) {
				n++
			}
		}
		if n > 1 {
			return nil, cli.UsageErrorf("Option [describe] takes at most one of these options: [members], [offsets], [state]")
		}
		if o.has("state") && o.State.String() != "" {
			return nil, cli.UsageErrorf("Option [describe] does not take a value for [state]")
		}
	}
	if o.has("delete") {
		if !hasScope {
			return nil, cli.UsageErrorf("Option [delete] takes one of these options: %s", groupScope)
		}
		if o.has("topic") {
			return nil, cli.UsageErrorf("The consumer does not support topic-specific offset deletion from a consumer group.")
		}
	}
	if o.has("delete-offsets") && (!o.has("group") || !o.has("topic")) {
		return nil, cli.UsageErrorf("Option [delete-offsets] takes the following options: %s", specList(specSetOrder("group", "topic")))
	}
	if o.has("reset-offsets") {
		if o.has("dry-run") && o.has("execute") {
			return nil, cli.UsageErrorf("Option [reset-offsets] only accepts one of [execute] and [dry-run]")
		}
		if !o.has("dry-run") && !o.has("execute") {
			warnings = append(warnings, "WARN: No action will be performed as the --execute option is missing."+
				"In a future major release, the default behavior of this command will be to prompt the user before "+
				"executing the reset rather than doing a dry run. You should add the --dry-run option explicitly "+
				"if you are scripting this command and want to keep the current default behavior without prompting.")
		}
		if !hasScope {
			return warnings, cli.UsageErrorf("Option [reset-offsets] takes one of these options: %s", groupScope)
		}
		for _, s := range scenarios {
			if !o.has(s) {
				continue
			}
			for _, other := range scenarioSet {
				if other != s && o.has(other) {
					return warnings, cantUse(s, other)
				}
			}
		}
	}
	if o.has("group") && o.has("all-groups") {
		return warnings, cantUse("group", "all-groups")
	}
	if o.has("group") && o.has("list") {
		return warnings, cantUse("group", "list")
	}
	if o.has("topic") {
		for _, a := range specSetOrder("list", "describe") {
			if o.has(a) {
				return warnings, cantUse("topic", a)
			}
		}
	}

	// ConsumerGroupCommand.main: exactly one action.
	n := 0
	for _, a := range []string{"list", "describe", "delete", "reset-offsets", "delete-offsets"} {
		if o.has(a) {
			n++
		}
	}
	if n != 1 {
		return warnings, cli.UsageErrorf("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
	}

	// Beyond Kafka.
	if err := cli.CheckOutput(*o.Output, cli.OutputPlain, cli.OutputJSON); err != nil {
		return warnings, err
	}
	if *o.Output == cli.OutputJSON && o.has("export") {
		return warnings, cantUse("output", "export")
	}
	return warnings, nil
}

func cantUse(used, other string) error {
	return cli.UsageErrorf("Option \"%s\" can't be used with option \"%s\"", cli.Spec(used), cli.Spec(other))
}

// printError prints a failure the way Kafka's printError does: an empty
// line, then "Error: " and the message, on stdout.
func printError(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "\nError: "+format+"\n", args...)
}
