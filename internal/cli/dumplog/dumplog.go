// Package dumplog is kafka-dump-log: it prints the contents of Kafka's
// on-disk files (segments, KRaft snapshots, offset and time indexes,
// producer-state snapshots and transaction indexes) exactly as Apache Kafka
// 3.9's kafka.tools.DumpLogSegments does, so scripts written against
// Kafka's tool keep working.
//
// Beyond Kafka, it never dies on a damaged file: a corrupt entry (checksum
// mismatch, impossible length, unknown magic, records that do not parse) is
// reported on stderr with the file, the byte position and what is wrong,
// the rest of the file is still dumped where an entry boundary can be found
// again, and the exit status is 1. With --output json it prints one JSON
// object per batch instead of Kafka's text.
//
// Where Kafka's tool would stop with a stack trace this one reports and
// goes on, so its behaviour differs from Kafka's only on input Kafka
// cannot dump or on exit status:
//   - any damage, a torn tail or a checksum mismatch included, exits 1
//     (Kafka exits 0 for those two and only prints them on stdout);
//   - a .log or .checkpoint whose name has no base offset or snapshot id
//     is dumped without that header line, with a warning;
//   - a name without a suffix is an unknown file;
//   - only the UTF-8 StringDecoder exists, --remote-log-metadata-decoder
//     is refused.
//
// The package only reads: it never creates or modifies a file (Kafka's tool
// creates a missing index file as a side effect; this one reports it).
// Stdout carries the dump only; warnings and errors go to stderr.
package dumplog

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Kafka's defaults and names.
const (
	defaultMaxMessageSize = 5 * 1024 * 1024
	defaultMaxBytes       = 1<<31 - 1
	stringDecoderClass    = "org.apache.kafka.tools.api.StringDecoder"
	oldStringDecoder      = "kafka.serializer.StringDecoder"
	toolDescription       = "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment."
)

// Options are kafka-dump-log's command-line options. MaxBytes and
// MaxMessageSize are filled by Complete from their raw strings.
type Options struct {
	Files                    string
	PrintDataLog             bool
	DeepIteration            bool
	VerifyIndexOnly          bool
	IndexSanityCheck         bool
	SkipRecordMetadata       bool
	OffsetsDecoder           bool
	TransactionLogDecoder    bool
	ClusterMetadataDecoder   bool
	RemoteLogMetadataDecoder bool
	KeyDecoderClass          string
	ValueDecoderClass        string
	Output                   string

	MaxBytesRaw       string
	MaxMessageSizeRaw string
	MaxBytes          int32
	MaxMessageSize    int32

	// keyDecoderSet and valueDecoderSet record that the decoder options
	// were given at all, which, as in Kafka, implies --print-data-log.
	keyDecoderSet, valueDecoderSet bool
	// fileList is Files split on commas, without trimming, as Kafka does.
	fileList []string

	IO cli.IOStreams
}

// Main runs kafka-dump-log with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	return cli.Main(ctx, NewCommand(io), joinOptionalArgs(args), io)
}

// NewCommand builds the kafka-dump-log command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	o := &Options{IO: io}
	cmd := cli.NewRoot("kafka-dump-log", toolDescription, io)
	cmd.Long = toolDescription
	cmd.Args = cobra.ArbitraryArgs // jopt-simple ignores stray non-option arguments
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if cli.NoArgs(c, args) {
			// Kafka prints the description and usage when run without
			// arguments.
			return &cli.ExitError{Code: cli.ExitFailure, Msg: toolDescription, Usage: true}
		}
		if err := o.Complete(c); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(c.Context())
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.PrintDataLog, "print-data-log", false, "If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.")
	fs.BoolVar(&o.VerifyIndexOnly, "verify-index-only", false, "If set, just verify the index log without printing its content.")
	fs.BoolVar(&o.IndexSanityCheck, "index-sanity-check", false, "If set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.")
	fs.StringVar(&o.Files, "files", "", "REQUIRED: The comma separated list of data and index log files to be dumped.")
	cli.ArgName(fs, "files", "String: file1, file2, ...")
	fs.StringVar(&o.MaxMessageSizeRaw, "max-message-size", strconv.Itoa(defaultMaxMessageSize), "Size of largest message.")
	cli.ArgName(fs, "max-message-size", "Integer: size")
	fs.StringVar(&o.MaxBytesRaw, "max-bytes", strconv.Itoa(defaultMaxBytes), "Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).")
	cli.ArgName(fs, "max-bytes", "Integer: size")
	fs.BoolVar(&o.DeepIteration, "deep-iteration", false, "If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.")
	fs.StringVar(&o.ValueDecoderClass, "value-decoder-class", stringDecoderClass, "If set, used to deserialize the messages. This class should implement org.apache.kafka.tools.api.Decoder trait. Only "+stringDecoderClass+" (UTF-8 text) is available in this tool.")
	fs.Lookup("value-decoder-class").NoOptDefVal = stringDecoderClass
	fs.StringVar(&o.KeyDecoderClass, "key-decoder-class", stringDecoderClass, "If set, used to deserialize the keys. This class should implement org.apache.kafka.tools.api.Decoder trait. Only "+stringDecoderClass+" (UTF-8 text) is available in this tool.")
	fs.Lookup("key-decoder-class").NoOptDefVal = stringDecoderClass
	fs.BoolVar(&o.OffsetsDecoder, "offsets-decoder", false, "If set, log data will be parsed as offset data from the __consumer_offsets topic.")
	fs.BoolVar(&o.TransactionLogDecoder, "transaction-log-decoder", false, "If set, log data will be parsed as transaction metadata from the __transaction_state topic.")
	fs.BoolVar(&o.ClusterMetadataDecoder, "cluster-metadata-decoder", false, "If set, log data will be parsed as cluster metadata records.")
	fs.BoolVar(&o.RemoteLogMetadataDecoder, "remote-log-metadata-decoder", false, "If set, log data will be parsed as TopicBasedRemoteLogMetadataManager (RLMM) metadata records. Not supported by this tool.")
	fs.BoolVar(&o.SkipRecordMetadata, "skip-record-metadata", false, "Whether to skip printing metadata for each record.")
	fs.StringVar(&o.Output, "output", "", outputHelp)
	cli.ArgName(fs, "output", "String: format")
	return cmd
}

// outputHelp documents --output json, an addition to Kafka's options.
const outputHelp = `Output format. Empty (the default) prints Apache Kafka's text. "json" prints one JSON object per line instead: ` +
	`for .log and .checkpoint files one object per batch, {"file","position","baseOffset","lastOffset","count","magic",` +
	`"size","crc","crcValid","compression","timestampType","maxTimestamp","baseTimestamp","partitionLeaderEpoch",` +
	`"producerId","producerEpoch","baseSequence","lastSequence","isTransactional","isControl","deleteHorizonMs",` +
	`"records":[{"offset","timestamp","keySize","valueSize","sequence","headerKeys","control","key","payload"}]}, ` +
	`records always included, "key"/"payload" only with --print-data-log or a decoder (as the text decoders render them, ` +
	`absent when null), "control" only in control batches; for .index {"file","type":"offset-index","offset","position"}, ` +
	`for .timeindex {"file","type":"time-index","timestamp","offset"}, for .snapshot {"file","type":"producer-snapshot",` +
	`"producerId","producerEpoch","coordinatorEpoch","currentTxnFirstOffset","lastTimestamp","firstSequence",` +
	`"lastSequence","lastOffset","offsetDelta","timestamp"}, for .txnindex {"file","type":"aborted-txn","version",` +
	`"producerId","firstOffset","lastOffset","lastStableOffset"} per entry. Field names are stable.`

// joinOptionalArgs rewrites "--key-decoder-class X" into
// "--key-decoder-class=X": jopt-simple lets an optional argument be the next
// word when it does not look like an option, pflag only accepts the = form.
func joinOptionalArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "--key-decoder-class" || a == "--value-decoder-class") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out = append(out, a+"="+args[i+1])
			i++
			continue
		}
		out = append(out, a)
	}
	return out
}

// Complete parses the integer options and records which options were given.
func (o *Options) Complete(cmd *cobra.Command) error {
	fs := cmd.Flags()
	o.keyDecoderSet = fs.Changed("key-decoder-class")
	o.valueDecoderSet = fs.Changed("value-decoder-class")
	if !fs.Changed("files") {
		return cli.UsageErrorf(`Missing required argument "[files]"`)
	}
	o.fileList = strings.Split(o.Files, ",")
	var err error
	if o.MaxBytes, err = parseJavaInt(o.MaxBytesRaw, "max-bytes"); err != nil {
		return err
	}
	if o.MaxMessageSize, err = parseJavaInt(o.MaxMessageSizeRaw, "max-message-size"); err != nil {
		return err
	}
	return nil
}

// parseJavaInt parses an Integer option value as jopt-simple does
// (Integer.valueOf), with its error message.
func parseJavaInt(s, option string) (int32, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, cli.Errorf("Cannot parse argument '%s' of option %s", s, option)
	}
	return int32(v), nil
}

// Validate checks option values that Kafka would only trip over later.
func (o *Options) Validate() error {
	if o.MaxBytes < 0 {
		return cli.Errorf("Invalid size: %d for --max-bytes: it must not be negative", o.MaxBytes)
	}
	if o.MaxMessageSize < 0 {
		return cli.Errorf("Invalid size: %d for --max-message-size: it must not be negative", o.MaxMessageSize)
	}
	switch o.Output {
	case "", "json":
	default:
		return cli.UsageErrorf("Invalid --output %q: use json, or leave it out for Kafka's text format", o.Output)
	}
	if o.RemoteLogMetadataDecoder && !o.OffsetsDecoder && !o.TransactionLogDecoder && !o.ClusterMetadataDecoder {
		return cli.Errorf("--remote-log-metadata-decoder is not supported by this kafka-dump-log; use --print-data-log to see the raw values")
	}
	return nil
}

// shouldPrintDataLog is Kafka's rule: --print-data-log or any decoder.
func (o *Options) shouldPrintDataLog() bool {
	return o.PrintDataLog || o.OffsetsDecoder || o.TransactionLogDecoder || o.ClusterMetadataDecoder ||
		o.RemoteLogMetadataDecoder || o.keyDecoderSet || o.valueDecoderSet
}

// isDeepIteration is Kafka's rule: --deep-iteration or printing data.
func (o *Options) isDeepIteration() bool {
	return o.DeepIteration || o.shouldPrintDataLog()
}

// Run dumps every file in order and then prints, on stderr, the index
// mismatches, time index errors and offset gaps it collected, as Kafka does.
func (o *Options) Run(ctx context.Context) error {
	d := newDumper(o)
	err := d.dumpAll(ctx)
	d.printCollected()
	if err != nil {
		return err
	}
	if d.corrupt {
		return &cli.ExitError{Code: cli.ExitFailure}
	}
	return nil
}

// errorf is a run-time error printed on one line.
func errorf(format string, args ...any) error {
	return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf(format, args...)}
}
