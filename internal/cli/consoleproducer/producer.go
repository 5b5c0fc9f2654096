// Package consoleproducer is kafka-console-producer: it reads lines from
// standard input and produces one record per line, with the options,
// reader properties, checks, messages and exit codes of Apache Kafka 3.9's
// ConsoleProducer. The KIP-1147 spellings of Kafka 4.2 are accepted beside
// the old ones: --command-config (--producer.config), --command-property
// (--producer-property) and --reader-property (--property).
//
// Placement matches Java's producer: keyed records by murmur2 of the key,
// records without key sticky to one partition per batch (see
// stickyPartitioner). Where Kafka's tool only logs a record the broker
// refused, this one logs it and exits 1 once the input is drained, unless
// the reader property ignore.error is true. Idempotence is off unless
// enable.idempotence=true is set.
package consoleproducer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Options are kafka-console-producer's command-line options.
type Options struct {
	IO cli.IOStreams

	Topic, BrokerList, Bootstrap         *cli.Value
	CompressionCodec                     *cli.Value
	BatchSize, MaxPartitionMemoryBytes   *cli.Value
	MessageSendMaxRetries, RetryBackoff  *cli.Value
	Timeout, RequestRequiredAcks         *cli.Value
	RequestTimeout, MetadataExpiry       *cli.Value
	MaxBlock, MaxMemoryBytes, SocketBuff *cli.Value
	LineReader                           *cli.Value
	Property, ReaderConfig               *cli.Value
	ProducerProperty, ProducerConfig     *cli.Value
	Sync                                 *bool

	noArgs bool
}

const defaultLineReader = "kafka.tools.ConsoleProducer$LineMessageReader"

// NewCommand returns the kafka-console-producer command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-console-producer", "This tool helps to read data from standard input and publish it to Kafka.", io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	o.Topic = cli.Option{Name: "topic", Usage: "REQUIRED: The topic id to produce messages to.", Arg: "topic"}.Value(fs)
	o.BrokerList = cli.Option{Name: "broker-list", Usage: "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.", Arg: "broker-list"}.Value(fs)
	o.Bootstrap = cli.Option{Name: "bootstrap-server", Usage: "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.", Arg: "server to connect to"}.Value(fs)
	o.Sync = cli.Option{Name: "sync", Usage: "If set message send requests to the brokers are synchronously, one at a time as they arrive."}.Bool(fs)
	o.CompressionCodec = cli.Option{Name: "compression-codec", Usage: "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'", Arg: "compression-codec", OptionalArg: true}.Value(fs)
	o.BatchSize = cli.Option{Name: "batch-size", Usage: "Number of messages to send in a single batch if they are not being sent synchronously. please note that this option will be replaced if max-partition-memory-bytes is also set", Arg: "size", Type: "Integer", Default: "16384"}.Value(fs)
	o.MessageSendMaxRetries = cli.Option{Name: "message-send-max-retries", Usage: "Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message. This is the option to control `retries` in producer configs.", Type: "Integer", Default: "3"}.Value(fs)
	o.RetryBackoff = cli.Option{Name: "retry-backoff-ms", Usage: "Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata. This is the option to control `retry.backoff.ms` in producer configs.", Type: "Long", Default: "100"}.Value(fs)
	o.Timeout = cli.Option{Name: "timeout", Usage: "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in producer configs.", Arg: "timeout_ms", Type: "Long", Default: "1000"}.Value(fs)
	o.RequestRequiredAcks = cli.Option{Name: "request-required-acks", Usage: "The required `acks` of the producer requests", Arg: "request required acks", Default: "-1"}.Value(fs)
	o.RequestTimeout = cli.Option{Name: "request-timeout-ms", Usage: "The ack timeout of the producer requests. Value must be non-negative and non-zero.", Arg: "request timeout ms", Type: "Integer", Default: "1500"}.Value(fs)
	o.MetadataExpiry = cli.Option{Name: "metadata-expiry-ms", Usage: "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes. This is the option to control `metadata.max.age.ms` in producer configs.", Arg: "metadata expiration interval", Type: "Long", Default: "300000"}.Value(fs)
	o.MaxBlock = cli.Option{Name: "max-block-ms", Usage: "The max time that the producer will block for during a send request.", Arg: "max block on send", Type: "Long", Default: "60000"}.Value(fs)
	o.MaxMemoryBytes = cli.Option{Name: "max-memory-bytes", Usage: "The total memory used by the producer to buffer records waiting to be sent to the server. This is the option to control `buffer.memory` in producer configs.", Arg: "total memory in bytes", Type: "Long", Default: "33554432"}.Value(fs)
	o.MaxPartitionMemoryBytes = cli.Option{Name: "max-partition-memory-bytes", Usage: "The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached. This is the option to control `batch.size` in producer configs.", Arg: "memory in bytes per partition", Type: "Integer", Default: "16384"}.Value(fs)
	o.LineReader = cli.Option{Name: "line-reader", Usage: "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.", Arg: "reader_class", Default: defaultLineReader}.Value(fs)
	o.SocketBuff = cli.Option{Name: "socket-buffer-size", Usage: "The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in producer configs.", Arg: "size", Type: "Integer", Default: "102400"}.Value(fs)
	o.Property = cli.Option{Name: "property", Usage: propertyUsage, Arg: "prop"}.Value(fs)
	o.ReaderConfig = cli.Option{Name: "reader-config", Usage: "Config properties file for the message reader. Note that [property] takes precedence over this config.", Arg: "config file"}.Value(fs)
	o.ProducerProperty = cli.Option{Name: "producer-property", Usage: "A mechanism to pass user-defined properties in the form key=value to the producer. ", Arg: "producer_prop"}.Value(fs)
	o.ProducerConfig = cli.Option{Name: "producer.config", Usage: "Producer config properties file. Note that [producer-property] takes precedence over this config.", Arg: "config file"}.Value(fs)
	// KIP-1147 (Kafka 4.2) names.
	o.Property.Alias(fs, "reader-property")
	o.ProducerProperty.Alias(fs, "command-property")
	o.ProducerConfig.Alias(fs, "command-config")

	cmd.RunE = cli.RunE(o)
	return o, cmd
}

const propertyUsage = `A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader.
Default properties include:
 parse.key=false
 parse.headers=false
 ignore.error=false
 key.separator=\t
 headers.delimiter=\t
 headers.separator=,
 headers.key.separator=:
 null.marker=   When set, any fields (key, value and headers) equal to this will be replaced by null
Default parsing pattern when:
 parse.headers=true and parse.key=true:
  "h1:v1,h2:v2...\tkey\tvalue"
 parse.key=true:
  "key\tvalue"
 parse.headers=true:
  "h1:v1,h2:v2...\tvalue"`

// Main runs kafka-console-producer with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// Complete records what Validate needs from the command line itself.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
}

// Validate checks the options in the order of Kafka 3.9's
// ConsoleProducer.ProducerConfig. It does no I/O.
func (o *Options) Validate() error {
	// jopt-simple's own check of --bootstrap-server's requiredUnless.
	if !o.Bootstrap.Given() && !o.BrokerList.Given() {
		return cli.UsageErrorf("Missing required option(s) [bootstrap-server]")
	}
	if !o.Topic.Given() {
		return cli.UsageErrorf("Missing required argument \"%s\"", cli.Spec("topic"))
	}
	servers, err := o.servers()
	if err != nil {
		return optionError(err)
	}
	if !validHostPorts(servers) {
		return cli.UsageErrorf("Please provide valid host:port like host1:9091,host2:9092\n ")
	}
	return nil
}

// servers is --bootstrap-server, or --broker-list when it is absent.
func (o *Options) servers() (string, error) {
	if o.Bootstrap.Given() {
		return o.Bootstrap.Get()
	}
	return o.BrokerList.Get()
}

// hostPort is Kafka's Utils.getPort pattern.
var hostPort = regexp.MustCompile(`^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$`)

// validHostPorts is ToolsUtils.validatePortOrDie: every comma-separated
// entry (trailing empty ones dropped, as Java's split does) has a port.
func validHostPorts(s string) bool {
	parts := strings.Split(s, ",")
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		m := hostPort.FindStringSubmatch(p)
		if m == nil {
			return false
		}
		if _, err := strconv.ParseInt(m[2], 10, 32); err != nil {
			return false
		}
	}
	return len(parts) > 0
}

// optionError reports a jopt-simple error raised past parsing, which
// ConsoleProducer prints alone.
func optionError(err error) error {
	return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error(), Err: err}
}

// javaException reports an exception the way ConsoleProducer's
// printStackTrace shows its first line.
func javaException(class string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &cli.ExitError{Code: cli.ExitFailure, Msg: class + ": " + msg}
}
