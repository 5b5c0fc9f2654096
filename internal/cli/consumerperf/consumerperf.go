// Package consumerperf is kafka-consumer-perf-test: it joins a consumer
// group on a topic, reads a number of records as fast as it can and prints
// Apache Kafka's ConsumerPerformance report: a CSV-style header, then one
// line of totals (start and end time, MB and records consumed and their
// rates, rebalance time, fetch time and the rates over the fetch time), or
// with --show-detailed-stats a line per reporting interval. Options,
// defaults, header, number formats (Java's %.4f) and messages are Kafka
// 4.0's; --command-config is accepted as KIP-1147's name for
// --consumer.config.
//
// Client: franz-go's kgo, as kafka-producer-perf-test uses and for the same
// reason: a perf test must be limited by the cluster, not by its client,
// and kgo decodes and hands over records at a fraction of sarama's CPU per
// record. Connection properties (TLS, SASL) come from internal/cli/client
// like every other tool's; consumer properties are mapped to kgo with the
// Java consumer's defaults (range assignment, auto commit every 5 s,
// max.poll.records 500).
package consumerperf

import (
	"context"
	"math/rand/v2"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
)

const description = "This tool is used to verify the consumer performance."

// Options are kafka-consumer-perf-test's command-line options.
type Options struct {
	IO cli.IOStreams

	Bootstrap, Topic, Group, FetchSize, SocketBufferSize *cli.Value
	ConsumerConfig, Timeout, Messages                    *cli.Value
	ReportingInterval, DateFormat                        *cli.Value
	FromLatest, PrintMetrics, ShowDetailedStats          *bool
	HideHeader                                           *bool

	noArgs bool
}

// NewCommand returns the kafka-consumer-perf-test command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-consumer-perf-test", description, io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	// Kafka draws the default group once per run, so --help shows it.
	group := "perf-consumer-" + strconv.Itoa(rand.IntN(100_000))
	o.Bootstrap = cli.Option{Name: "bootstrap-server", Usage: "REQUIRED: The server(s) to connect to.", Arg: "server to connect to"}.Value(fs)
	o.Topic = cli.Option{Name: "topic", Usage: "REQUIRED: The topic to consume from.", Arg: "topic"}.Value(fs)
	o.Group = cli.Option{Name: "group", Usage: "The group id to consume on.", Arg: "gid", Default: group}.Value(fs)
	o.FetchSize = cli.Option{Name: "fetch-size", Usage: "The amount of data to fetch in a single request.", Arg: "size", Type: "Integer", Default: "1048576"}.Value(fs)
	o.FromLatest = cli.Option{Name: "from-latest", Usage: "If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message."}.Bool(fs)
	o.SocketBufferSize = cli.Option{Name: "socket-buffer-size", Usage: "The size of the tcp RECV size.", Arg: "size", Type: "Integer", Default: "2097152"}.Value(fs)
	o.ConsumerConfig = cli.Option{Name: "consumer.config", Usage: "Consumer config properties file.", Arg: "config file"}.Value(fs)
	o.PrintMetrics = cli.Option{Name: "print-metrics", Usage: "Print out the metrics."}.Bool(fs)
	o.ShowDetailedStats = cli.Option{Name: "show-detailed-stats", Usage: "If set, stats are reported for each reporting interval as configured by reporting-interval"}.Bool(fs)
	o.Timeout = cli.Option{Name: "timeout", Usage: "The maximum allowed time in milliseconds between returned records.", Arg: "milliseconds", Type: "Long", Default: "10000", OptionalArg: true}.Value(fs)
	o.Messages = cli.Option{Name: "messages", Usage: "REQUIRED: The number of messages to send or consume", Arg: "count", Type: "Long"}.Value(fs)
	o.ReportingInterval = cli.Option{Name: "reporting-interval", Usage: "Interval in milliseconds at which to print progress info.", Arg: "interval_ms", Type: "Long", Default: "5000"}.Value(fs)
	o.DateFormat = cli.Option{Name: "date-format", Usage: "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.", Arg: "date format", Default: "yyyy-MM-dd HH:mm:ss:SSS"}.Value(fs)
	o.HideHeader = cli.Option{Name: "hide-header", Usage: "If set, skips printing the header for the stats"}.Bool(fs)
	// KIP-1147 (Kafka 4.2) name.
	o.ConsumerConfig.Alias(fs, "command-config")

	cmd.RunE = cli.RunE(o)
	return o, cmd
}

// Main runs kafka-consumer-perf-test with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), args, io)
}

// Complete records what Validate needs from the command line itself.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
}

// Validate checks the options as ConsumerPerfOptions does: no arguments
// print the description and usage, then --topic and --messages are
// required. Kafka 4.0 then dies on a missing --bootstrap-server with a
// NullPointerException; this tool reports it as a missing argument.
// Numbers are converted later, where Kafka converts them.
func (o *Options) Validate() error {
	if o.noArgs {
		return cli.UsageErrorf("%s", description)
	}
	for _, v := range []*cli.Value{o.Topic, o.Messages, o.Bootstrap} {
		if !v.Given() {
			return cli.UsageErrorf("Missing required argument \"%s\"", cli.Spec(v.Name()))
		}
	}
	return nil
}
