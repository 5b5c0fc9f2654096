// Package producerperf is kafka-producer-perf-test: it produces a number of
// records of a given size (or payloads from a file) to a topic, optionally
// at a fixed rate, and prints Apache Kafka's ProducerPerformance report: a
// progress line every 5 seconds and a final line with throughput, average
// and maximum latency and the 50th, 95th, 99th and 99.9th latency
// percentiles, in Kafka's exact wording and number formats. Options,
// defaults and messages follow Kafka's tool, including its argparse4j
// command line (see argparse.go), so scripts written for Kafka's
// kafka-producer-perf-test.sh keep working.
//
// Client: franz-go's kgo, not sarama as the other tools use. A perf test
// measures the cluster only as well as its client can push: kgo pipelines
// up to five produce requests per connection, batches without a copy per
// record and costs a fraction of sarama's CPU per record, which matters
// when client and broker share two cores (the benchmark suite in bench/
// measures brokers with the same client). kgo speaks to any Kafka (Apache
// Kafka, Redpanda, MSK, Confluent): the tool is not tied to kafka-server.
// Producer properties are mapped to kgo's equivalents with the Java
// producer's defaults (client.go); connection properties (TLS, SASL) come
// from internal/cli/client like every other tool's.
//
// Not supported: transactions (--transactional-id, --transaction-duration-ms
// and a transactional.id property are refused with a clear message, since
// kafka-server has no transactions), and --print-metrics prints the subset
// of the Java producer's metrics that this client can measure.
package producerperf

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// prog is the program name argparse4j prints in usage and errors: Kafka
// builds its parser as "producer-performance".
const prog = "producer-performance"

// Options are the tool's options after parsing.
type Options struct {
	Topic            string
	NumRecords       int64
	RecordSize       int32
	hasRecordSize    bool
	PayloadFile      string
	PayloadMonotonic bool
	PayloadDelimiter string
	Throughput       float64
	ProducerProps    []string
	ProducerConfig   string // --producer.config
	CommandConfig    string // --command-config (KIP-1147's name for the same file)
	PrintMetrics     bool
	TransactionalID  string
	// TransactionDurationMs is 0 when --transaction-duration-ms was not
	// given.
	TransactionDurationMs int64
	hasTransactionalID    bool
	hasTransactionDur     bool

	// Columns is $COLUMNS, which sets the help's width as in argparse4j.
	Columns string
	IO      cli.IOStreams
}

// newParser declares Kafka's options in Kafka's order. The help texts are
// ours; flags, metavars, defaults and requirements are Kafka's.
func newParser() *argParser {
	return &argParser{
		prog: prog,
		description: "This tool is used to verify the producer performance. It sends --num-records records " +
			"to --topic, at most --throughput records per second, and reports throughput and latency. " +
			"Transactions are not supported.",
		groupDesc: "either --record-size or --payload-file must be specified but not both.",
		args: []*argDef{
			{flags: []string{"-h", "--help"}, action: actHelp, help: "show this help message and exit"},
			{flags: []string{"--topic"}, dest: "topic", metavar: "TOPIC", required: true,
				help: "topic to produce the records to"},
			{flags: []string{"--num-records"}, dest: "numRecords", metavar: "NUM-RECORDS", typ: "Long", required: true,
				help: "how many records to produce"},
			{flags: []string{"--record-size"}, dest: "recordSize", metavar: "RECORD-SIZE", typ: "Integer", mutex: true,
				help: "size of each record value in bytes. Give exactly one of --record-size, --payload-file or --payload-monotonic."},
			{flags: []string{"--payload-file"}, dest: "payloadFile", metavar: "PAYLOAD-FILE", mutex: true,
				help: "UTF-8 text file whose payloads, split at --payload-delimiter, are sent in random order. " +
					"Give exactly one of --record-size, --payload-file or --payload-monotonic."},
			{flags: []string{"--payload-monotonic"}, dest: "payloadMonotonic", metavar: "PAYLOAD-MONOTONIC", action: actStoreTrue, mutex: true, def: "false",
				help: "send the record number (0, 1, 2, ...) as the value. Give exactly one of --record-size, --payload-file or --payload-monotonic."},
			{flags: []string{"--payload-delimiter"}, dest: "payloadDelimiter", metavar: "PAYLOAD-DELIMITER", def: `\n`,
				help: "regular expression that separates the payloads of --payload-file (a newline by default); " +
					"ignored without --payload-file."},
			{flags: []string{"--throughput"}, dest: "throughput", metavar: "THROUGHPUT", typ: "Double", required: true,
				help: "send at most about THROUGHPUT records per second; -1 sends as fast as possible."},
			{flags: []string{"--producer-props"}, dest: "producerConfig", metavar: "PROP-NAME=PROP-VALUE", action: actStorePlus,
				help: "producer configuration properties such as bootstrap.servers and client.id; " +
					"they override those of --producer.config."},
			{flags: []string{"--producer.config"}, dest: "producerConfigFile", metavar: "CONFIG-FILE",
				help: "producer configuration properties file."},
			{flags: []string{"--command-config"}, dest: "commandConfigFile", metavar: "CONFIG-FILE",
				help: "producer configuration properties file (the newer name of --producer.config)."},
			{flags: []string{"--print-metrics"}, dest: "printMetrics", metavar: "PRINT-METRICS", action: actStoreTrue, def: "false",
				help: "print the producer's metrics after the run."},
			{flags: []string{"--transactional-id"}, dest: "transactionalId", metavar: "TRANSACTIONAL-ID",
				help: "not supported: transactions are refused."},
			{flags: []string{"--transaction-duration-ms"}, dest: "transactionDurationMs", metavar: "TRANSACTION-DURATION", typ: "Long",
				help: "not supported: transactions are refused."},
		},
	}
}

// NewCommand returns the kafka-producer-perf-test command. Its options are
// parsed by the argparse4j-compatible parser, not by cobra.
func NewCommand(io cli.IOStreams) *cobra.Command {
	o := &Options{IO: io, Columns: os.Getenv("COLUMNS")}
	cmd := cli.NewRoot("kafka-producer-perf-test", "This tool is used to verify the producer performance.", io)
	cmd.DisableFlagParsing = true
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := o.Parse(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
	return cmd
}

// Main runs kafka-producer-perf-test with args and returns its exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	if len(args) == 0 {
		// Kafka prints the help on stdout and exits 0 when given nothing.
		io.Out.Write([]byte(newParser().help(formatWidth(os.Getenv("COLUMNS")))))
		return cli.ExitOK
	}
	if len(args) == 1 && args[0] == "--version" {
		return cli.Main(ctx, cli.NewRoot("kafka-producer-perf-test", "", io), args, io)
	}
	return cli.Main(ctx, NewCommand(io), args, io)
}
