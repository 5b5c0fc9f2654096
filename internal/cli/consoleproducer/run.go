package consoleproducer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// settings are the producer configs, resolved as ConsoleProducer does.
type settings struct {
	props       *cli.Properties // everything, for the client package
	acks        sarama.RequiredAcks
	compression sarama.CompressionCodec
	level       int
	batchSize   int
	linger      time.Duration
	retries     int
	maxRequest  int
	idempotent  bool
	roundRobin  bool
}

// Run reads the input and produces it.
func (o *Options) Run(ctx context.Context) error {
	topic, err := o.Topic.Get()
	if err != nil {
		return optionError(err)
	}
	servers, _ := o.servers()
	s, err := o.producerSettings(servers)
	if err != nil {
		return err
	}
	cfg, err := client.New(servers, s.props, client.Producer)
	if err != nil {
		return producerConfigError(err)
	}
	reader, err := o.newReader(topic)
	if err != nil {
		return err
	}
	logger := cli.NewLogger(o.IO.ErrOut, "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback", slog.LevelWarn)
	p := &producer{
		topic:    topic,
		settings: s,
		cfg:      cfg,
		sync:     *o.Sync,
		ignore:   reader.ignoreError,
		log:      logger,
	}
	reader.Reset(o.IO.In, promptWriter(o.IO))
	return p.run(ctx, reader)
}

// promptWriter returns stdout when both standard input and output are a
// terminal (Java's System.console() is then set), for the ">" prompt.
func promptWriter(io cli.IOStreams) io.Writer {
	in, ok1 := io.In.(*os.File)
	out, ok2 := io.Out.(*os.File)
	if !ok1 || !ok2 {
		return nil
	}
	for _, f := range []*os.File{in, out} {
		fi, err := f.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			return nil
		}
	}
	return out
}

// newReader builds the line reader from --reader-config and --property.
func (o *Options) newReader(topic string) (*LineReader, error) {
	class, err := o.LineReader.Get()
	if err != nil {
		return nil, optionError(err)
	}
	switch class {
	case defaultLineReader, "org.apache.kafka.tools.LineMessageReader":
	default:
		return nil, javaException("java.lang.ClassNotFoundException", "%s", class)
	}
	props := cli.NewProperties()
	if o.ReaderConfig.Given() {
		path, err := o.ReaderConfig.Get()
		if err != nil {
			return nil, optionError(err)
		}
		if props, err = cli.LoadProperties(path); err != nil {
			return nil, javaException("java.io.FileNotFoundException", "%s", err)
		}
	}
	props.Set("topic", topic)
	props.Merge(cli.ParseKeyValues(o.Property.Values()))
	r, err := NewLineReader(props)
	if err != nil {
		return nil, javaException("org.apache.kafka.common.KafkaException", "%s", err)
	}
	return r, nil
}

// producerSettings merges --producer.config, --producer-property and the
// dedicated options as ConsoleProducer.producerProps does: an option given
// explicitly wins, then the property, then the option's default.
func (o *Options) producerSettings(servers string) (*settings, error) {
	props := cli.NewProperties()
	if o.ProducerConfig.Given() {
		path, err := o.ProducerConfig.Get()
		if err != nil {
			return nil, optionError(err)
		}
		if props, err = cli.LoadProperties(path); err != nil {
			return nil, javaException("java.io.FileNotFoundException", "%s", err)
		}
	}
	props.Merge(cli.ParseKeyValues(o.ProducerProperty.Values()))
	props.Set("bootstrap.servers", servers)

	codec := "none"
	if o.CompressionCodec.Given() {
		v, err := o.CompressionCodec.Get()
		if err != nil {
			return nil, optionError(err)
		}
		codec = v
		if codec == "" {
			codec = "gzip"
		}
	}
	props.Set("compression.type", codec)
	if !props.Has("client.id") {
		props.Set("client.id", "console-producer")
	}
	for _, m := range []struct {
		key string
		opt *cli.Value
	}{
		{"linger.ms", o.Timeout},
		{"acks", o.RequestRequiredAcks},
		{"request.timeout.ms", o.RequestTimeout},
		{"retries", o.MessageSendMaxRetries},
		{"retry.backoff.ms", o.RetryBackoff},
		{"send.buffer.bytes", o.SocketBuff},
		{"buffer.memory", o.MaxMemoryBytes},
		{"batch.size", o.BatchSize},
		{"batch.size", o.MaxPartitionMemoryBytes},
		{"metadata.max.age.ms", o.MetadataExpiry},
		{"max.block.ms", o.MaxBlock},
	} {
		if m.opt.Given() || !props.Has(m.key) {
			v, err := m.opt.Get()
			if err != nil {
				return nil, optionError(err)
			}
			// Numeric options are converted here, as jopt-simple's valueOf
			// converts them.
			if _, err := convert(m.opt); err != nil {
				return nil, optionError(err)
			}
			props.Set(m.key, v)
		}
	}
	return parseSettings(props)
}

func convert(v *cli.Value) (int64, error) {
	switch v.Name() {
	case "request-required-acks":
		return 0, nil
	case "batch-size", "request-timeout-ms", "message-send-max-retries", "socket-buffer-size", "max-partition-memory-bytes":
		n, err := v.Int32()
		return int64(n), err
	}
	return v.Int64()
}

// parseSettings validates producer configs in the order of Kafka's
// ProducerConfig definitions, with ConfigException's wording.
func parseSettings(props *cli.Properties) (*settings, error) {
	s := &settings{props: props}
	get := func(k, def string) string { return strings.TrimSpace(props.Value(k, def)) }
	var err error
	if _, err = configInt(props, "buffer.memory", "33554432", 64, 0); err != nil {
		return nil, err
	}
	if s.retries, err = configIntAsInt(props, "retries", "2147483647", 32, 0); err != nil {
		return nil, err
	}
	switch v := get("acks", "all"); v {
	case "all", "-1":
		s.acks = sarama.WaitForAll
	case "1":
		s.acks = sarama.WaitForLocal
	case "0":
		s.acks = sarama.NoResponse
	default:
		return nil, producerConfigError(&client.ConfigError{Key: "acks", Value: props.Value("acks", ""), Reason: "String must be one of: all, -1, 0, 1"})
	}
	switch v := get("compression.type", "none"); v {
	case "none":
		s.compression = sarama.CompressionNone
	case "gzip":
		s.compression = sarama.CompressionGZIP
	case "snappy":
		s.compression = sarama.CompressionSnappy
	case "lz4":
		s.compression = sarama.CompressionLZ4
	case "zstd":
		s.compression = sarama.CompressionZSTD
	default:
		return nil, producerConfigError(&client.ConfigError{Key: "compression.type", Value: props.Value("compression.type", ""), Reason: "String must be one of: none, gzip, snappy, lz4, zstd"})
	}
	s.level = sarama.CompressionLevelDefault
	if k := "compression." + get("compression.type", "none") + ".level"; props.Has(k) {
		if s.level, err = configIntAsInt(props, k, "0", 32, -1<<31); err != nil {
			return nil, err
		}
	}
	if s.batchSize, err = configIntAsInt(props, "batch.size", "16384", 32, 0); err != nil {
		return nil, err
	}
	linger, err := configInt(props, "linger.ms", "0", 64, 0)
	if err != nil {
		return nil, err
	}
	s.linger = time.Duration(linger) * time.Millisecond
	if _, err = configInt(props, "send.buffer.bytes", "131072", 32, -1); err != nil {
		return nil, err
	}
	if s.maxRequest, err = configIntAsInt(props, "max.request.size", "1048576", 32, 0); err != nil {
		return nil, err
	}
	if v := strings.ToLower(get("enable.idempotence", "false")); v == "true" {
		s.idempotent = true
	}
	switch get("partitioner.class", "") {
	case "", "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
		"org.apache.kafka.clients.producer.UniformStickyPartitioner":
	case "org.apache.kafka.clients.producer.RoundRobinPartitioner":
		s.roundRobin = true
	default:
		return nil, &cli.ExitError{Code: cli.ExitFailure,
			Msg: fmt.Sprintf("partitioner.class=%s is not supported: records are placed as Kafka's default partitioner does, or round-robin with org.apache.kafka.clients.producer.RoundRobinPartitioner", get("partitioner.class", ""))}
	}
	if get("transactional.id", "") != "" {
		return nil, &cli.ExitError{Code: cli.ExitFailure, Msg: "transactional.id is not supported by kafka-console-producer"}
	}
	return s, nil
}

func configInt(props *cli.Properties, key, def string, bits int, least int64) (int64, error) {
	n, err := client.Int(props, key, def, bits, least)
	if err != nil {
		return 0, producerConfigError(err)
	}
	return n, nil
}

func configIntAsInt(props *cli.Properties, key, def string, bits int, least int64) (int, error) {
	n, err := configInt(props, key, def, bits, least)
	return int(n), err
}

// producerConfigError is how a KafkaProducer that cannot be built shows in
// ConsoleProducer's stack trace.
func producerConfigError(err error) error {
	var ce *client.ConfigError
	if errors.As(err, &ce) {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: "org.apache.kafka.common.config.ConfigException: " + ce.Error(), Err: err}
	}
	return &cli.ExitError{Code: cli.ExitFailure, Msg: err.Error(), Err: err}
}

// producer sends the records of one run.
type producer struct {
	topic    string
	settings *settings
	cfg      *client.Config
	sync     bool
	ignore   bool
	log      *slog.Logger

	client      sarama.Client
	async       sarama.AsyncProducer
	partitioner *stickyPartitioner
	roundRobin  int32
	acc         accumulator
	results     sync.WaitGroup

	mu        sync.Mutex
	failure   error // the first refused record, unless ignored
	failed    chan struct{}
	pending   map[*sarama.ProducerMessage]chan error
	closeOnce sync.Once
}

// run sends every record the reader yields, then flushes and closes.
func (p *producer) run(ctx context.Context, r *LineReader) error {
	p.failed = make(chan struct{})
	p.pending = map[*sarama.ProducerMessage]chan error{}

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	lines := make(chan lineResult)
	go func() {
		// Reading standard input cannot be interrupted; on cancellation
		// this goroutine stays blocked until the input ends or the process
		// exits.
		defer close(lines)
		for {
			rec, err := r.Next()
			select {
			case lines <- lineResult{rec, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	var runErr error
	acc := &p.acc
	for runErr == nil {
		select {
		case <-p.failed:
			// A refused record ends the run before the next line.
			break
		default:
		}
		if p.hasFailed() {
			break
		}
		select {
		case <-ctx.Done():
		case <-p.failed:
		case <-acc.timer():
			acc.releaseAll(ctx)
			continue
		case lr, ok := <-lines:
			if !ok || errors.Is(lr.err, io.EOF) {
				break
			}
			if lr.err != nil {
				var re *ReaderError
				if errors.As(lr.err, &re) {
					runErr = javaException("org.apache.kafka.common.KafkaException", "%s", re.Msg)
				} else {
					runErr = javaException("java.io.IOException", "%s", lr.err)
				}
				break
			}
			runErr = p.send(ctx, lr.rec)
			continue
		}
		break
	}
	// Like Kafka's producer on close, send what is still lingering at once.
	acc.releaseAll(ctx)
	p.close()
	if runErr == nil {
		p.mu.Lock()
		runErr = p.failure
		p.mu.Unlock()
	}
	if code, ok := cli.SignalExitCode(ctx); ok && runErr == nil {
		return &cli.ExitError{Code: code}
	}
	return runErr
}

type lineResult struct {
	rec *Record
	err error
}

// open connects on the first record, as Kafka's producer waits for the
// topic's metadata on the first send (max.block.ms).
func (p *producer) open(ctx context.Context) error {
	if p.async != nil {
		return nil
	}
	sc := p.cfg.Sarama()
	s := p.settings
	sc.Producer.RequiredAcks = s.acks
	sc.Producer.Compression = s.compression
	sc.Producer.CompressionLevel = s.level
	sc.Producer.Timeout = p.cfg.RequestTimeout
	sc.Producer.Retry.Max = s.retries
	sc.Producer.Retry.Backoff = p.cfg.RetryBackoff
	sc.Producer.MaxMessageBytes = s.maxRequest
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	// The tool lingers and batches itself (accumulator) and picks
	// partitions itself; sarama only groups what arrives together.
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	sc.Producer.Flush.Frequency = 2 * time.Millisecond
	sc.Producer.Flush.Bytes = max(s.batchSize, 1)
	if s.idempotent {
		sc.Producer.Idempotent = true
		sc.Net.MaxOpenRequests = 1
	}
	available := func() []int32 {
		ids, _ := p.client.WritablePartitions(p.topic)
		return ids
	}
	p.partitioner = newStickyPartitioner(p.topic, s.batchSize, available, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0)))
	linger := s.linger
	if p.sync {
		linger = 0
	}
	p.acc = accumulator{linger: linger, batchSize: s.batchSize, push: p.push, released: p.partitioner.BatchSent}

	cl, err := client.Connect(ctx, p.cfg, sc, "producer")
	var nt *client.NodeTimeoutError
	if errors.As(err, &nt) {
		return javaException("org.apache.kafka.common.errors.TimeoutException",
			"Topic %s not present in metadata after %d ms.", p.topic, p.cfg.APITimeout.Milliseconds())
	}
	if err != nil {
		return javaException("org.apache.kafka.common.KafkaException", "%s", client.Message(err))
	}
	p.client = cl
	if err := p.waitForTopic(ctx); err != nil {
		cl.Close()
		p.client = nil
		return err
	}
	ap, err := sarama.NewAsyncProducerFromClient(cl)
	if err != nil {
		cl.Close()
		p.client = nil
		return javaException("org.apache.kafka.common.KafkaException", "%s", err)
	}
	p.async = ap
	p.results.Add(2)
	go p.drainSuccesses()
	go p.drainErrors()
	return nil
}

// waitForTopic refreshes metadata until the topic has partitions (a
// broker may create it on the request) or max.block.ms passes.
func (p *producer) waitForTopic(ctx context.Context) error {
	deadline := time.Now().Add(p.cfg.APITimeout)
	backoff := max(p.cfg.RetryBackoff, 10*time.Millisecond)
	for {
		if err := p.client.RefreshMetadata(p.topic); err == nil {
			if parts, err := p.client.Partitions(p.topic); err == nil && len(parts) > 0 {
				return nil
			}
		} else if errors.Is(err, sarama.ErrTopicAuthorizationFailed) {
			return javaException("org.apache.kafka.common.errors.TopicAuthorizationException",
				"Not authorized to access topics: [%s]", p.topic)
		}
		if time.Now().Add(backoff).After(deadline) {
			return javaException("org.apache.kafka.common.errors.TimeoutException",
				"Topic %s not present in metadata after %d ms.", p.topic, p.cfg.APITimeout.Milliseconds())
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// send hands one record to the producer; in --sync mode it waits for the
// broker's answer.
func (p *producer) send(ctx context.Context, rec *Record) error {
	if err := p.checkSize(rec); err != nil {
		if p.sync && !p.ignore {
			return &cli.ExitError{Code: cli.ExitFailure, Msg: "java.util.concurrent.ExecutionException: " + err.Error()}
		}
		p.refused(rec, err)
		return nil
	}
	if err := p.open(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	msg := &sarama.ProducerMessage{Topic: p.topic}
	if rec.Key != nil {
		msg.Key = sarama.ByteEncoder(rec.Key)
	}
	if rec.Value != nil {
		msg.Value = sarama.ByteEncoder(rec.Value)
	}
	for _, h := range rec.Headers {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value})
	}
	msg.Metadata = rec
	var done chan error
	if p.sync {
		done = make(chan error, 1)
		p.mu.Lock()
		p.pending[msg] = done
		p.mu.Unlock()
	}
	part, err := p.partition(msg)
	if err != nil {
		return javaException("org.apache.kafka.common.KafkaException", "%s", client.Message(err))
	}
	msg.Partition = part
	p.acc.add(ctx, msg)
	if done == nil {
		return nil
	}
	select {
	case err := <-done:
		if err != nil && !p.ignore {
			// Kafka's --sync mode fails on the send's future.
			p.mu.Lock()
			p.failure = &cli.ExitError{Code: cli.ExitFailure, Msg: "java.util.concurrent.ExecutionException: " + exceptionFor(err)}
			p.mu.Unlock()
			return p.failure
		}
	case <-ctx.Done():
	}
	return nil
}

// partition picks the record's partition: murmur2 of the key, sticky for
// records without key, or round-robin when configured.
func (p *producer) partition(msg *sarama.ProducerMessage) (int32, error) {
	parts, err := p.client.Partitions(p.topic)
	if err != nil {
		return 0, err
	}
	n := int32(len(parts))
	if n == 0 {
		return 0, sarama.ErrLeaderNotAvailable
	}
	if p.settings.roundRobin {
		ids, _ := p.client.WritablePartitions(p.topic)
		if len(ids) == 0 {
			ids = parts
		}
		id := ids[int(p.roundRobin)%len(ids)]
		p.roundRobin++
		return id, nil
	}
	return p.partitioner.Partition(msg, n)
}

// push hands a record to sarama.
func (p *producer) push(ctx context.Context, msg *sarama.ProducerMessage) {
	select {
	case p.async.Input() <- msg:
	case <-ctx.Done():
	}
}

// checkSize refuses a record larger than max.request.size before sending,
// as Java's producer does, with its estimate of the serialised size.
func (p *producer) checkSize(rec *Record) error {
	size := estimateBatchSize(rec)
	if size > p.settings.maxRequest {
		return fmt.Errorf("org.apache.kafka.common.errors.RecordTooLargeException: The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.", size, p.settings.maxRequest)
	}
	return nil
}

// estimateBatchSize is Kafka's DefaultRecordBatch.estimateBatchSizeUpperBound:
// the batch header (61 bytes), the most a record's fixed fields can take
// (21: length, attributes, timestamp and offset deltas at their widest), and
// the key, value and headers.
func estimateBatchSize(rec *Record) int {
	const batchOverhead, maxRecordOverhead = 61, 21
	n := batchOverhead + maxRecordOverhead + bytesField(rec.Key) + bytesField(rec.Value)
	n += varintLen(int64(len(rec.Headers)))
	for _, h := range rec.Headers {
		n += varintLen(int64(len(h.Key))) + len(h.Key) + bytesField(h.Value)
	}
	return n
}

func bytesField(b []byte) int {
	if b == nil {
		return 1 // varint -1
	}
	return varintLen(int64(len(b))) + len(b)
}

// varintLen is the size of a zig-zag varint.
func varintLen(v int64) int {
	u := uint64((v << 1) ^ (v >> 63))
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

func (p *producer) drainSuccesses() {
	defer p.results.Done()
	for msg := range p.async.Successes() {
		p.complete(msg, nil)
	}
}

func (p *producer) drainErrors() {
	defer p.results.Done()
	for pe := range p.async.Errors() {
		rec, _ := pe.Msg.Metadata.(*Record)
		err := fmt.Errorf("%s", exceptionFor(pe.Err))
		if p.complete(pe.Msg, err) {
			continue // --sync reports it itself
		}
		p.refused(rec, err)
	}
}

func (p *producer) hasFailed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failure != nil
}

// complete hands a --sync send its result; it reports whether one waited.
func (p *producer) complete(msg *sarama.ProducerMessage, err error) bool {
	p.mu.Lock()
	done, ok := p.pending[msg]
	delete(p.pending, msg)
	p.mu.Unlock()
	if ok {
		done <- err
		if err != nil && p.ignore {
			rec, _ := msg.Metadata.(*Record)
			p.logRefused(rec, err)
		}
	}
	return ok
}

// refused logs a record that was not produced, as Kafka's
// ErrorLoggingCallback does, and remembers the first failure.
func (p *producer) refused(rec *Record, err error) {
	p.logRefused(rec, err)
	if p.ignore {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failure == nil {
		p.failure = &cli.ExitError{Code: cli.ExitFailure, Err: err}
		close(p.failed)
	}
}

func (p *producer) logRefused(rec *Record, err error) {
	size := func(b []byte) string {
		if b == nil {
			return "null"
		}
		return fmt.Sprintf("%d bytes", len(b))
	}
	var key, value []byte
	if rec != nil {
		key, value = rec.Key, rec.Value
	}
	p.log.Error(fmt.Sprintf("Error when sending message to topic %s with key: %s, value: %s with error:", p.topic, size(key), size(value)), "err", err.Error())
}

// exceptionFor renders a send failure as the Java exception line.
func exceptionFor(err error) string {
	if s := err.Error(); strings.HasPrefix(s, "org.apache.kafka") {
		return s
	}
	return client.JavaException(err)
}

// close flushes what is buffered and waits for every answer.
func (p *producer) close() {
	p.closeOnce.Do(func() {
		if p.async != nil {
			p.async.AsyncClose()
			p.results.Wait()
		}
		if p.client != nil {
			_ = p.client.Close()
		}
	})
}
