// Package topics is kafka-topics: create, delete, describe, list and alter
// the partitions of topics, with the options, validation order, messages,
// output bytes and exit codes of Apache Kafka 3.9's TopicCommand.
//
// Option errors print their message and the option table on stderr and exit
// 1; a missing --bootstrap-server prints its message alone (Kafka throws it
// past its option checks). Failures while talking to the cluster print
// "Error while executing topic command : <message>" on stdout, a log line on
// stderr, and exit 1. Beyond Kafka, --output json prints --list and
// --describe as JSON, and --output table prints --describe as aligned
// columns.
//
// Kafka 3.9 describes topics with the DescribeTopicPartitions API, which
// sarama does not have; that one request goes through franz-go's kgo client
// with the same connection settings. Brokers without the API are described
// with Metadata, printing "Elr: N/A" as Kafka does.
package topics

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/config"
)

const kafkaConfigsHint = " (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)"

// Options are kafka-topics' command-line options.
type Options struct {
	IO cli.IOStreams

	Bootstrap         *cli.Value
	CommandConfig     *cli.Value
	Topic             *cli.Value
	TopicID           *cli.Value
	Config            *cli.Value
	DeleteConfig      *cli.Value
	Partitions        *cli.Value
	ReplicationFactor *cli.Value
	ReplicaAssignment *cli.Value
	PartitionLimit    *cli.Value

	List, Describe, Create, Alter, Delete *bool

	UnderReplicated, Unavailable, UnderMinISR, AtMinISR, WithOverrides *bool
	IfExists, IfNotExists, ExcludeInternal                             *bool

	Output *string

	// noArgs is set by Complete when the command line was empty.
	noArgs bool
}

// NewCommand returns the kafka-topics command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-topics", "This tool helps to create, delete, describe, or change a topic.", io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	o.Bootstrap = cli.Option{Name: "bootstrap-server", Usage: "REQUIRED: The Kafka server to connect to.", Arg: "server to connect to"}.Value(fs)
	o.CommandConfig = cli.Option{Name: "command-config", Usage: "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.", Arg: "command config property file"}.Value(fs)
	o.List = cli.Option{Name: "list", Usage: "List all available topics."}.Bool(fs)
	o.Create = cli.Option{Name: "create", Usage: "Create a new topic."}.Bool(fs)
	o.Delete = cli.Option{Name: "delete", Usage: "Delete a topic"}.Bool(fs)
	o.Alter = cli.Option{Name: "alter", Usage: "Alter the number of partitions and replica assignment. Update the configuration of an existing topic via --alter is no longer supported here" + kafkaConfigsHint + "."}.Bool(fs)
	o.Describe = cli.Option{Name: "describe", Usage: "List details for the given topics."}.Bool(fs)
	o.Topic = cli.Option{Name: "topic", Usage: `The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\' prefix to escape regular expression symbols; e.g. "test\.topic".`, Arg: "topic"}.Value(fs)
	o.TopicID = cli.Option{Name: "topic-id", Usage: "The topic-id to describe.This is used only with --bootstrap-server option for describing topics.", Arg: "topic-id"}.Value(fs)
	o.Config = cli.Option{Name: "config", Usage: config.TopicConfigHelp(), Arg: "name=value"}.Value(fs)
	o.DeleteConfig = cli.Option{Name: "delete-config", Usage: "A topic configuration override to be removed for an existing topic (see the list of configurations under the --config option). Not supported with the --bootstrap-server option.", Arg: "name"}.Value(fs)
	o.Partitions = cli.Option{Name: "partitions", Usage: "The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected). If not supplied for create, defaults to the cluster default.", Arg: "# of partitions", Type: "Integer"}.Value(fs)
	o.ReplicationFactor = cli.Option{Name: "replication-factor", Usage: "The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.", Arg: "replication factor", Type: "Integer"}.Value(fs)
	o.ReplicaAssignment = cli.Option{Name: "replica-assignment", Usage: "A list of manual partition-to-broker assignments for the topic being created or altered.", Arg: "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ..."}.Value(fs)
	o.UnderReplicated = cli.Option{Name: "under-replicated-partitions", Usage: "if set when describing topics, only show under replicated partitions"}.Bool(fs)
	o.Unavailable = cli.Option{Name: "unavailable-partitions", Usage: "if set when describing topics, only show partitions whose leader is not available"}.Bool(fs)
	o.UnderMinISR = cli.Option{Name: "under-min-isr-partitions", Usage: "if set when describing topics, only show partitions whose isr count is less than the configured minimum."}.Bool(fs)
	o.AtMinISR = cli.Option{Name: "at-min-isr-partitions", Usage: "if set when describing topics, only show partitions whose isr count is equal to the configured minimum."}.Bool(fs)
	o.WithOverrides = cli.Option{Name: "topics-with-overrides", Usage: "if set when describing topics, only show topics that have overridden configs"}.Bool(fs)
	o.IfExists = cli.Option{Name: "if-exists", Usage: "if set when altering or deleting or describing topics, the action will only execute if the topic exists."}.Bool(fs)
	o.IfNotExists = cli.Option{Name: "if-not-exists", Usage: "if set when creating topics, the action will only execute if the topic does not already exist."}.Bool(fs)
	o.ExcludeInternal = cli.Option{Name: "exclude-internal", Usage: "exclude internal topics when running list or describe command. The internal topics will be listed by default"}.Bool(fs)
	o.PartitionLimit = cli.Option{Name: "partition-size-limit-per-response", Usage: "the maximum partition size to be included in one DescribeTopicPartitions response.", Arg: "maximum number of partitions in one response.", Type: "Integer"}.Value(fs)
	o.Output = cli.OutputOption(fs, cli.OutputPlain, cli.OutputJSON, cli.OutputTable)

	// Kafka's TopicCommand prints option parse errors without the usage.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: cli.FlagErrorText(err), Err: err}
	})
	cmd.RunE = cli.RunE(o)
	return o, cmd
}

// Main runs kafka-topics with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// Complete records what Validate needs from the command line itself.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
}

func (o *Options) actions() []bool {
	return []bool{*o.Create, *o.List, *o.Alter, *o.Describe, *o.Delete}
}

// action returns the option name of the one action given.
func (o *Options) action() string {
	switch {
	case *o.Create:
		return "create"
	case *o.List:
		return "list"
	case *o.Alter:
		return "alter"
	case *o.Describe:
		return "describe"
	case *o.Delete:
		return "delete"
	}
	return ""
}

// Validate checks the options in the order of Kafka's
// TopicCommandOptions.checkArgs. It does no I/O.
func (o *Options) Validate() error {
	if o.noArgs {
		return cli.UsageErrorf("Create, delete, describe, or change a topic.")
	}
	n := 0
	for _, a := range o.actions() {
		if a {
			n++
		}
	}
	if n != 1 {
		return cli.UsageErrorf("Command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}

	// checkRequiredArgs
	if !o.Bootstrap.Given() {
		return cli.Errorf("--bootstrap-server must be specified")
	}
	if *o.Describe && *o.IfExists && !o.Topic.Given() && !o.TopicID.Given() {
		return cli.UsageErrorf("--topic or --topic-id is required to describe a topic")
	}
	if !*o.List && !*o.Describe && !o.Topic.Given() {
		return missing("topic")
	}
	if *o.Alter {
		if o.Config.Given() {
			return cli.UsageErrorf("Option combination \"[%s, %s]\" can't be used with option \"%s\"%s",
				cli.Spec("bootstrap-server"), cli.Spec("config"), cli.Spec("alter"), kafkaConfigsHint)
		}
		if !o.Partitions.Given() {
			return missing("partitions")
		}
	}

	// checkInvalidArgs
	action := o.action()
	onlyWith := func(used string, given bool, allowed ...string) error {
		if !given {
			return nil
		}
		for _, a := range allowed {
			if a == action {
				return nil
			}
		}
		return cantUse(used, action)
	}
	if err := onlyWith("config", o.Config.Given(), "alter", "create"); err != nil {
		return err
	}
	if o.DeleteConfig.Given() {
		if action != "alter" {
			return cantUse("delete-config", action)
		}
		return cantUse("delete-config", "bootstrap-server")
	}
	if err := onlyWith("partitions", o.Partitions.Given(), "alter", "create"); err != nil {
		return err
	}
	if err := onlyWith("replication-factor", o.ReplicationFactor.Given(), "create"); err != nil {
		return err
	}
	if err := onlyWith("replica-assignment", o.ReplicaAssignment.Given(), "alter", "create"); err != nil {
		return err
	}
	if *o.Create && o.ReplicaAssignment.Given() {
		if o.Partitions.Given() {
			return cantUse("replica-assignment", "partitions")
		}
		if o.ReplicationFactor.Given() {
			return cantUse("replica-assignment", "replication-factor")
		}
	}
	for _, f := range []struct {
		name  string
		given bool
	}{
		{"under-replicated-partitions", *o.UnderReplicated},
		{"under-min-isr-partitions", *o.UnderMinISR},
		{"at-min-isr-partitions", *o.AtMinISR},
		{"unavailable-partitions", *o.Unavailable},
	} {
		if err := onlyWith(f.name, f.given, "describe"); err != nil {
			return err
		}
		if f.given && *o.WithOverrides {
			return cantUse(f.name, "topics-with-overrides")
		}
	}
	if err := onlyWith("topics-with-overrides", *o.WithOverrides, "describe"); err != nil {
		return err
	}
	if err := onlyWith("if-exists", *o.IfExists, "alter", "delete", "describe"); err != nil {
		return err
	}
	if err := onlyWith("if-not-exists", *o.IfNotExists, "create"); err != nil {
		return err
	}
	if err := onlyWith("exclude-internal", *o.ExcludeInternal, "list", "describe"); err != nil {
		return err
	}
	if err := cli.CheckOutput(*o.Output, cli.OutputPlain, cli.OutputJSON, cli.OutputTable); err != nil {
		return err
	}
	if *o.Output != cli.OutputPlain && !*o.List && !*o.Describe {
		return cli.UsageErrorf("Option \"[output]\" can only be used with option \"[list]\" or \"[describe]\"")
	}
	if *o.Output == cli.OutputTable && *o.List {
		return cli.UsageErrorf("Option \"[output]\" with value table can only be used with option \"[describe]\"")
	}
	return nil
}

func missing(name string) error {
	return cli.UsageErrorf("Missing required argument \"%s\"", cli.Spec(name))
}

func cantUse(used, other string) error {
	return cli.UsageErrorf("Option \"%s\" can't be used with option \"%s\"", cli.Spec(used), cli.Spec(other))
}

// runtimeError is how TopicCommand reports a failure once it talks to the
// cluster: the message on stdout, the exception logged on stderr.
func runtimeError(err error, exception string) error {
	msg := err.Error()
	return &cli.ExitError{
		Code:   cli.ExitFailure,
		Msg:    "Error while executing topic command : " + msg,
		ToOut:  true,
		Detail: logLine(exception),
		Err:    err,
	}
}

// logLine renders the ERROR line Kafka's log4j set-up for tools writes.
func logLine(exception string) string {
	var b strings.Builder
	logger := cli.NewLogger(&b, "org.apache.kafka.tools.TopicCommand", 0)
	logger.Error(exception)
	return strings.TrimRight(b.String(), "\n")
}

// errorf is a TopicCommand failure raised by the tool itself.
func errorf(exception, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return runtimeError(fmt.Errorf("%s", msg), exception+": "+msg)
}
