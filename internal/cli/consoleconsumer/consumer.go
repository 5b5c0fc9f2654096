// Package consoleconsumer is kafka-console-consumer: it reads records from
// topics and prints them on standard output, with the options, checks,
// messages, formatter properties, output bytes and exit codes of Apache
// Kafka 3.9's ConsoleConsumer and DefaultMessageFormatter. The KIP-1147
// spellings of Kafka 4.2 are accepted beside the old ones:
// --formatter-property (--property), --command-property
// (--consumer-property) and --command-config (--consumer.config). Beyond
// Kafka, --formatter json prints one JSON object per record.
//
// With --group (or a group.id property) the tool joins the consumer group
// with sarama's classic group protocol and commits the offsets of the
// records it printed. Without a group, Kafka's tool joins a throw-away group
// that never commits; this one reads the matching partitions directly,
// which prints the same records without needing a group coordinator.
//
// A record's timestamp type is not exposed by sarama; with print.timestamp
// or the JSON formatter it is taken from the topic's message.timestamp.type
// (records written before a change of that config print the new type).
package consoleconsumer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Options are kafka-console-consumer's command-line options.
type Options struct {
	IO cli.IOStreams

	Topic, Whitelist, Include, Partition, Offset *cli.Value
	ConsumerProperty, ConsumerConfig             *cli.Value
	Formatter, Property, FormatterConfig         *cli.Value
	MaxMessages, TimeoutMs                       *cli.Value
	Bootstrap, KeyDeserializer, ValueDeser       *cli.Value
	IsolationLevel, Group                        *cli.Value
	FromBeginning, SkipOnError, SystestEvents    *bool

	noArgs bool
}

// Offsets --offset can name, as Kafka's ListOffsetsRequest constants.
const (
	offsetEarliest = -2
	offsetLatest   = -1
)

const defaultFormatterClass = "org.apache.kafka.tools.consumer.DefaultMessageFormatter"

// NewCommand returns the kafka-console-consumer command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-console-consumer", "This tool helps to read data from Kafka topics and outputs it to standard output.", io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	o.Topic = cli.Option{Name: "topic", Usage: "The topic to consume on.", Arg: "topic"}.Value(fs)
	o.Whitelist = cli.Option{Name: "whitelist", Usage: "DEPRECATED, use --include instead; ignored if --include specified. Regular expression specifying list of topics to include for consumption.", Arg: "Java regex (String)"}.Value(fs)
	o.Include = cli.Option{Name: "include", Usage: "Regular expression specifying list of topics to include for consumption.", Arg: "Java regex (String)"}.Value(fs)
	o.Partition = cli.Option{Name: "partition", Usage: "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.", Arg: "partition", Type: "Integer"}.Value(fs)
	o.Offset = cli.Option{Name: "offset", Usage: "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end", Arg: "consume offset", Default: "latest"}.Value(fs)
	o.ConsumerProperty = cli.Option{Name: "consumer-property", Usage: "A mechanism to pass user-defined properties in the form key=value to the consumer.", Arg: "consumer_prop"}.Value(fs)
	o.ConsumerConfig = cli.Option{Name: "consumer.config", Usage: "Consumer config properties file. Note that [consumer-property] takes precedence over this config.", Arg: "config file"}.Value(fs)
	o.Formatter = cli.Option{Name: "formatter", Usage: "The name of a class to use for formatting kafka messages for display.", Arg: "class", Default: defaultFormatterClass}.Value(fs)
	o.Property = cli.Option{Name: "property", Usage: propertyUsage, Arg: "prop"}.Value(fs)
	o.FormatterConfig = cli.Option{Name: "formatter-config", Usage: "Config properties file to initialize the message formatter. Note that [property] takes precedence over this config.", Arg: "config file"}.Value(fs)
	o.FromBeginning = cli.Option{Name: "from-beginning", Usage: "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message."}.Bool(fs)
	o.MaxMessages = cli.Option{Name: "max-messages", Usage: "The maximum number of messages to consume before exiting. If not set, consumption is continual.", Arg: "num_messages", Type: "Integer"}.Value(fs)
	o.TimeoutMs = cli.Option{Name: "timeout-ms", Usage: "If specified, exit if no message is available for consumption for the specified interval.", Arg: "timeout_ms", Type: "Long"}.Value(fs)
	o.SkipOnError = cli.Option{Name: "skip-message-on-error", Usage: "If there is an error when processing a message, skip it instead of halt."}.Bool(fs)
	o.Bootstrap = cli.Option{Name: "bootstrap-server", Usage: "REQUIRED: The server(s) to connect to.", Arg: "server to connect to"}.Value(fs)
	o.KeyDeserializer = cli.Option{Name: "key-deserializer", Arg: "deserializer for key"}.Value(fs)
	o.ValueDeser = cli.Option{Name: "value-deserializer", Arg: "deserializer for values"}.Value(fs)
	o.SystestEvents = cli.Option{Name: "enable-systest-events", Usage: "Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)"}.Bool(fs)
	o.IsolationLevel = cli.Option{Name: "isolation-level", Usage: "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.", Default: "read_uncommitted"}.Value(fs)
	o.Group = cli.Option{Name: "group", Usage: "The consumer group id of the consumer.", Arg: "consumer group id"}.Value(fs)
	// KIP-1147 (Kafka 4.2) names.
	o.Property.Alias(fs, "formatter-property")
	o.ConsumerProperty.Alias(fs, "command-property")
	o.ConsumerConfig.Alias(fs, "command-config")

	cmd.RunE = cli.RunE(o)
	return o, cmd
}

const propertyUsage = "The properties to initialize the message formatter. Default properties include: \n" +
	" print.timestamp=true|false\n" +
	" print.key=true|false\n" +
	" print.offset=true|false\n" +
	" print.partition=true|false\n" +
	" print.headers=true|false\n" +
	" print.value=true|false\n" +
	" key.separator=<key.separator>\n" +
	" line.separator=<line.separator>\n" +
	" headers.separator=<line.separator>\n" +
	" null.literal=<null.literal>\n" +
	" key.deserializer=<key.deserializer>\n" +
	" value.deserializer=<value.deserializer>\n" +
	" header.deserializer=<header.deserializer>\n" +
	"\nUsers can also pass in customized properties for their formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', 'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers."

// Main runs kafka-console-consumer with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// Complete records what Validate needs from the command line itself.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
}

// Validate checks the options in the order of Kafka 3.9's
// ConsoleConsumerOptions.checkRequiredArgs. It does no I/O; the checks that
// need the property files come in Run.
func (o *Options) Validate() error {
	if o.noArgs {
		return cli.UsageErrorf("This tool helps to read data from Kafka topics and outputs it to standard output.")
	}
	n := 0
	if o.Topic.Given() {
		n++
	}
	if o.Include.Given() || o.Whitelist.Given() {
		n++
	}
	if n != 1 {
		extra := ""
		if o.Whitelist.Given() {
			extra = "--whitelist is DEPRECATED use --include instead; ignored if --include specified."
		}
		return cli.UsageErrorf("Exactly one of --include/--topic is required. %s", extra)
	}
	if o.Partition.Given() {
		if _, err := o.Partition.Int32(); err != nil {
			return uncaught("joptsimple.OptionArgumentConversionException", err.Error())
		}
		if !o.Topic.Given() {
			return cli.UsageErrorf("The topic is required when partition is specified.")
		}
		if *o.FromBeginning && o.Offset.Given() {
			return cli.UsageErrorf("Options from-beginning and offset cannot be specified together.")
		}
	} else if o.Offset.Given() {
		return cli.UsageErrorf("The partition is required when offset is specified.")
	}
	if !o.Bootstrap.Given() {
		return cli.UsageErrorf("Missing required argument \"%s\"", cli.Spec("bootstrap-server"))
	}
	return nil
}

// startOffset is --offset (or --from-beginning) as Kafka's parseOffset reads
// it: offsetEarliest, offsetLatest or an offset.
func (o *Options) startOffset() (int64, error) {
	if o.Offset.Given() {
		v, err := o.Offset.Get()
		if err != nil {
			return 0, uncaught("joptsimple.MultipleArgumentsForOptionException", err.Error())
		}
		switch strings.ToLower(v) {
		case "earliest":
			return offsetEarliest, nil
		case "latest":
			return offsetLatest, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, cli.UsageErrorf("The provided offset value '%s' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.", v)
		}
		return n, nil
	}
	if *o.FromBeginning {
		return offsetEarliest, nil
	}
	return offsetLatest, nil
}

// uncaught is an exception ConsoleConsumer lets escape main: the JVM
// prints it as "Exception in thread "main" <class>: <message>" and exits 1.
func uncaught(class, msg string) error {
	return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("Exception in thread \"main\" %s: %s", class, msg)}
}
