package producerperf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// usageError is argparse4j's error output: the usage line, then
// "producer-performance: error: <msg>", exit 1.
func (o *Options) usageError(msg string, suggestions []string) error {
	width := formatWidth(o.Columns)
	var b strings.Builder
	b.WriteString(newParser().usage(width))
	b.WriteString(wrap(prog+": error: "+msg, width, 0, ""))
	if len(suggestions) > 0 {
		b.WriteString("\n\nDid you mean:")
		for _, s := range suggestions {
			b.WriteString("\n\t" + s)
		}
	}
	return &cli.ExitError{Code: cli.ExitFailure, Msg: b.String()}
}

// javaException is an exception escaping Kafka's main(): the JVM prints
// its class and message (and a stack trace) and exits 1.
func javaException(class, msg string) error {
	return &cli.ExitError{Code: cli.ExitFailure, Msg: fmt.Sprintf("Exception in thread \"main\" %s: %s", class, msg)}
}

// Parse reads the command line into o.
func (o *Options) Parse(args []string) error {
	p := newParser()
	res, err := p.parse(args)
	if err != nil {
		if _, ok := err.(helpRequested); ok {
			// Kafka prints the help on stdout, then exits 1 through its
			// error handler, which prints nothing more.
			fmt.Fprint(o.IO.Out, p.help(formatWidth(o.Columns)))
			return &cli.ExitError{Code: cli.ExitFailure}
		}
		var ae *argError
		if errors.As(err, &ae) {
			var sugg []string
			if ae.unrecognized != "" {
				sugg = p.suggestions(ae.unrecognized)
			}
			return o.usageError(ae.msg, sugg)
		}
		return err
	}
	o.Topic, _ = res.value("topic")
	v, _ := res.value("numRecords")
	o.NumRecords, _ = parseJavaInt(v, 64)
	if v, ok := res.value("recordSize"); ok {
		n, _ := parseJavaInt(v, 32)
		o.RecordSize, o.hasRecordSize = int32(n), true
	}
	o.PayloadFile, _ = res.value("payloadFile")
	o.PayloadMonotonic = res.has("payloadMonotonic")
	o.PayloadDelimiter = `\n`
	if v, ok := res.value("payloadDelimiter"); ok {
		o.PayloadDelimiter = v
	}
	v, _ = res.value("throughput")
	o.Throughput, _ = parseJavaDouble(v)
	o.ProducerProps = res["producerConfig"]
	o.ProducerConfig, _ = res.value("producerConfigFile")
	o.CommandConfig, _ = res.value("commandConfigFile")
	o.PrintMetrics = res.has("printMetrics")
	o.TransactionalID, o.hasTransactionalID = res.value("transactionalId")
	if v, ok := res.value("transactionDurationMs"); ok {
		o.TransactionDurationMs, _ = parseJavaInt(v, 64)
		o.hasTransactionDur = true
	}
	return nil
}

// Validate applies Kafka's checks after parsing, in Kafka's order and
// wording, then refuses transactions.
func (o *Options) Validate() error {
	if o.NumRecords <= 0 {
		return o.usageError("--num-records should be greater than zero", nil)
	}
	if o.hasRecordSize && o.RecordSize <= 0 {
		return o.usageError("--record-size should be greater than zero", nil)
	}
	if o.ProducerProps == nil && o.ProducerConfig == "" && o.CommandConfig == "" {
		return o.usageError("Either --producer-props or --producer.config must be specified.", nil)
	}
	if o.ProducerConfig != "" && o.CommandConfig != "" {
		return o.usageError("--producer.config and --command-config name the same file: give only one", nil)
	}
	if o.hasTransactionDur && o.TransactionDurationMs <= 0 {
		return o.usageError("--transaction-duration-ms should be greater than zero", nil)
	}
	if o.hasTransactionalID || o.hasTransactionDur {
		return o.transactionsRefused()
	}
	return nil
}

// transactionsRefused is the answer to --transactional-id,
// --transaction-duration-ms or a transactional.id property: kafka-server
// has no transactions, and a run that silently produced without them would
// measure something else than what was asked.
func (o *Options) transactionsRefused() error {
	return o.usageError("transactions are not supported by this tool", nil)
}

// readPayloads loads --payload-file as Kafka does: the whole file split
// with String.split(delimiter) semantics (the delimiter is a regular
// expression; trailing empty payloads are dropped).
func (o *Options) readPayloads() ([][]byte, error) {
	if o.PayloadFile == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(o.PayloadFile)
	if err != nil {
		abs = o.PayloadFile
	}
	fmt.Fprintf(o.IO.Out, "Reading payloads from: %s\n", abs)
	data, err := os.ReadFile(o.PayloadFile)
	if err != nil || len(data) == 0 {
		return nil, javaException("java.lang.IllegalArgumentException", "File does not exist or empty file provided.")
	}
	delim := o.PayloadDelimiter
	if delim == `\n` {
		delim = "\n"
	}
	payloads, err := splitPayloads(string(data), delim)
	if err != nil {
		return nil, javaException("java.util.regex.PatternSyntaxException", err.Error())
	}
	fmt.Fprintf(o.IO.Out, "Number of messages read: %d\n", len(payloads))
	return payloads, nil
}

// splitPayloads splits s at every match of the regular expression delim
// as Java's String.split does: a leading empty piece is kept unless the
// match at the start is empty, trailing empty pieces are removed, and an
// input without any match is one piece.
func splitPayloads(s, delim string) ([][]byte, error) {
	re, err := regexp.Compile(delim)
	if err != nil {
		return nil, err
	}
	var parts []string
	start := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[1] == 0 {
			continue // a zero-width match at the very start splits nothing
		}
		if m[0] == m[1] && m[0] >= len(s) {
			break
		}
		parts = append(parts, s[start:m[0]])
		start = m[1]
	}
	parts = append(parts, s[start:])
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 1 && parts[0] == "" && len(s) > 0 {
		parts = nil
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = []byte(p)
	}
	return out, nil
}

// readProps merges --producer.config and --producer-props as Kafka's
// readProps does: each prop is split at every "="; anything but exactly
// two pieces (Java drops trailing empty ones) is an invalid property.
func (o *Options) readProps() (*cli.Properties, error) {
	props := cli.NewProperties()
	for _, path := range []string{o.ProducerConfig, o.CommandConfig} {
		if path == "" {
			continue
		}
		p, err := cli.LoadProperties(path)
		if err != nil {
			return nil, javaException("java.nio.file.NoSuchFileException", path)
		}
		props.Merge(p)
	}
	for _, prop := range o.ProducerProps {
		pieces := strings.Split(prop, "=")
		for len(pieces) > 0 && pieces[len(pieces)-1] == "" {
			pieces = pieces[:len(pieces)-1]
		}
		if len(pieces) != 2 {
			return nil, javaException("java.lang.IllegalArgumentException", "Invalid property: "+prop)
		}
		props.Set(pieces[0], pieces[1])
	}
	if !props.Has("client.id") {
		props.Set("client.id", "perf-producer-client")
	}
	return props, nil
}

// clock reads milliseconds as System.currentTimeMillis differences do,
// from the monotonic clock.
type clock struct{ base time.Time }

func (c clock) ms() int64 { return int64(time.Since(c.base) / time.Millisecond) }

// Run produces the records and prints the report.
func (o *Options) Run(ctx context.Context) error {
	payloads, err := o.readPayloads()
	if err != nil {
		return err
	}
	props, err := o.readProps()
	if err != nil {
		return err
	}
	if props.Has("transactional.id") {
		return o.transactionsRefused()
	}
	pc, err := newProducerConfig(props)
	if err != nil {
		return configException(err)
	}
	if pc.conn, err = client.New("", props, client.Producer); err != nil {
		var ce *client.ConfigError
		if errors.As(err, &ce) && ce.Key == "" {
			// Address parsing happens inside KafkaProducer's constructor,
			// which wraps what it throws.
			return &cli.ExitError{Code: cli.ExitFailure, Msg: "Exception in thread \"main\" org.apache.kafka.common.KafkaException: Failed to construct kafka producer\n" +
				"Caused by: org.apache.kafka.common.config.ConfigException: " + ce.Error()}
		}
		return configException(err)
	}
	largest := int(max(o.RecordSize, 0))
	for _, p := range payloads {
		largest = max(largest, len(p))
	}
	if o.PayloadMonotonic {
		largest = max(largest, len(strconv.FormatInt(o.NumRecords, 10)))
	}
	opts, err := pc.kgoOptions(o.Topic, largest)
	if err != nil {
		return configException(err)
	}
	m := newMetrics(pc.conn.ClientID)
	opts = append(opts, kgo.WithHooks(m))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return configException(err)
	}
	defer cl.Close()

	// The Java producer blocks each send up to max.block.ms for the
	// topic's metadata and fails the send when it does not come; wait
	// once, before the clock starts, and stop with that error.
	if err := waitForTopic(ctx, cl, o.Topic, pc.conn.APITimeout); err != nil {
		if code, ok := cli.SignalExitCode(ctx); ok {
			return &cli.ExitError{Code: code}
		}
		return javaException("org.apache.kafka.common.errors.TimeoutException", err.Error())
	}

	var clk clock
	clk.base = time.Now()
	st := newStats(o.NumRecords, clk.ms(), 5000, o.IO.Out)
	gen := newGenerator(o, payloads)
	throttle := newThrottler(o.Throughput, clk)
	var failures atomic.Int64
	errOut := &lockedWriter{w: o.IO.ErrOut}
	defer errOut.flush()

	for i := int64(0); i < o.NumRecords; i++ {
		if ctx.Err() != nil {
			break
		}
		value := gen.next(i)
		sendStart := clk.ms()
		size := len(value)
		rec := &kgo.Record{Topic: o.Topic, Value: value}
		if int64(size)+recordOverhead > pc.maxRequestSize {
			failures.Add(1)
			errOut.println(fmt.Sprintf("org.apache.kafka.common.errors.RecordTooLargeException: The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.",
				int64(size)+recordOverhead, pc.maxRequestSize))
		} else {
			cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
				now := clk.ms()
				if err != nil {
					failures.Add(1)
					errOut.println(exceptionLine(err))
					return
				}
				st.record(int32(now-sendStart), size, now)
			})
		}
		if throttle.shouldThrottle(i, sendStart) {
			if err := throttle.throttle(ctx); err != nil {
				break
			}
		}
	}
	if code, ok := cli.SignalExitCode(ctx); ok {
		// The JVM dies on SIGINT without printing totals.
		return &cli.ExitError{Code: code}
	}
	if err := cl.Flush(ctx); err != nil {
		if code, ok := cli.SignalExitCode(ctx); ok {
			return &cli.ExitError{Code: code}
		}
		return err
	}
	errOut.flush()
	st.printTotal(clk.ms())
	if o.PrintMetrics {
		m.print(o.IO.Out, time.Since(clk.base))
	}
	return nil
}

// recordOverhead is the bytes a keyless, headerless record adds to its
// value in a batch of its own (Kafka counts the batch header towards
// max.request.size): 61 bytes of batch header plus at most 21 of record
// framing.
const recordOverhead = 61 + 21

// configException renders a configuration error as the uncaught
// ConfigException the Java tool dies with.
func configException(err error) error {
	var ce *client.ConfigError
	if errors.As(err, &ce) {
		return javaException("org.apache.kafka.common.config.ConfigException", ce.Error())
	}
	var ue *client.UnsupportedError
	if errors.As(err, &ue) {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: ue.Error()}
	}
	return javaException("org.apache.kafka.common.KafkaException", err.Error())
}

// exceptionLine is the first line of the stack trace Kafka's callback
// prints for a failed send.
func exceptionLine(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return "org.apache.kafka.common.errors." + javaErrorClass(ke) + ": " + ke.Description
	}
	if errors.Is(err, kgo.ErrRecordTimeout) {
		return "org.apache.kafka.common.errors.TimeoutException: " + err.Error()
	}
	return "org.apache.kafka.common.KafkaException: " + err.Error()
}

// javaErrorClass names the Java exception for a Kafka error code: its
// message name in CamelCase with "Exception", which is Kafka's naming for
// almost all of them.
func javaErrorClass(ke *kerr.Error) string {
	switch ke {
	case kerr.NotLeaderForPartition:
		return "NotLeaderOrFollowerException"
	case kerr.MessageTooLarge:
		return "RecordTooLargeException"
	case kerr.RequestTimedOut:
		return "TimeoutException"
	case kerr.TopicAuthorizationFailed:
		return "TopicAuthorizationException"
	case kerr.UnknownServerError:
		return "UnknownServerException"
	}
	var b strings.Builder
	for _, w := range strings.Split(strings.ToLower(ke.Message), "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	name := b.String()
	if !strings.HasSuffix(name, "Exception") {
		name += "Exception"
	}
	return name
}

// waitForTopic asks for the topic's metadata (which creates it when the
// cluster auto-creates topics) until every partition has a leader, for at
// most timeout.
func waitForTopic(ctx context.Context, cl *kgo.Client, topic string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req := kmsg.NewPtrMetadataRequest()
		req.AllowAutoTopicCreation = true
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 && len(resp.Topics[0].Partitions) > 0 {
			ready := true
			for _, p := range resp.Topics[0].Partitions {
				if p.Leader < 0 || p.ErrorCode != 0 {
					ready = false
				}
			}
			if ready {
				return nil
			}
		}
		if err == nil && len(resp.Topics) == 1 {
			if e := kerr.ErrorForCode(resp.Topics[0].ErrorCode); e != nil && !kerr.IsRetriable(e) {
				return fmt.Errorf("Topic %s not present in metadata: %v", topic, e)
			}
		}
		select {
		case <-ctx.Done():
			if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("Topic %s not present in metadata after %d ms.", topic, timeout.Milliseconds())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// generator makes record values as Kafka's tool does: random payloads from
// the file, the record number for --payload-monotonic, or random capital
// letters of --record-size bytes. Random values are slices of one random
// buffer at random offsets, so that no value is copied or allocated per
// record (kgo keeps the value until the record is acknowledged, so values
// are never rewritten).
type generator struct {
	payloads [][]byte
	size     int
	buf      []byte
	rnd      *rand.Rand
	mono     bool
}

func newGenerator(o *Options, payloads [][]byte) *generator {
	g := &generator{payloads: payloads, size: int(max(o.RecordSize, 0)), mono: o.PayloadMonotonic,
		rnd: rand.New(rand.NewPCG(0, 0))}
	if g.size > 0 {
		g.buf = make([]byte, max(1<<20, 2*g.size))
		for i := range g.buf {
			g.buf[i] = byte('A' + g.rnd.IntN(26))
		}
	}
	return g
}

func (g *generator) next(i int64) []byte {
	switch {
	case len(g.payloads) > 0:
		return g.payloads[g.rnd.IntN(len(g.payloads))]
	case g.size > 0:
		off := g.rnd.IntN(len(g.buf) - g.size + 1)
		return g.buf[off : off+g.size : off+g.size]
	}
	return []byte(strconv.FormatInt(i, 10))
}

// throttler is Kafka's ThroughputThrottler: once the average rate since
// the start exceeds the target, it sleeps off the accumulated deficit in
// steps of at least 2 ms. A target of 0 blocks until ctx ends; a negative
// target never throttles.
type throttler struct {
	target      float64
	clk         clock
	start       int64
	sleepNs     int64
	deficitNs   int64
	minSleepNs  int64
	unthrottled bool
}

func newThrottler(target float64, clk clock) *throttler {
	t := &throttler{target: target, clk: clk, start: clk.ms(), minSleepNs: 2_000_000}
	if target > 0 {
		t.sleepNs = int64(1e9 / target)
	}
	t.unthrottled = target < 0 || math.IsNaN(target)
	return t
}

func (t *throttler) shouldThrottle(sent int64, sendStartMs int64) bool {
	if t.unthrottled {
		return false
	}
	elapsed := float32(sendStartMs-t.start) / 1000
	return elapsed > 0 && float64(sent)/float64(elapsed) > t.target
}

func (t *throttler) throttle(ctx context.Context) error {
	if t.target == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	t.deficitNs += t.sleepNs
	if t.deficitNs < t.minSleepNs {
		return nil
	}
	timer := time.NewTimer(time.Duration(t.deficitNs))
	defer timer.Stop()
	start := time.Now()
	select {
	case <-timer.C:
		t.deficitNs = 0
		return nil
	case <-ctx.Done():
		t.deficitNs = max(0, t.deficitNs-int64(time.Since(start)))
		return ctx.Err()
	}
}
