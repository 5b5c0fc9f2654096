package consumerperf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
	"github.com/kafkakit/kafkakit/internal/cli/metrics"
)

// header is Kafka's: the basic columns, then the rebalance and fetch-time
// columns.
func header(detailed bool) string {
	const extra = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if detailed {
		return "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extra + "\n"
	}
	return "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extra + "\n"
}

// failure is an exception caught by ConsumerPerformance.main, which prints
// its message (and a stack trace) on stderr and exits 1.
func failure(msg string) error {
	return &cli.ExitError{Code: cli.ExitFailure, Msg: msg}
}

func optionFailure(err error) error { return failure(err.Error()) }

// settings is what Run needs, read in the order Kafka reads it.
type settings struct {
	props             *cli.Properties
	conn              *client.Config
	numMessages       int64
	timeout           time.Duration
	reportingInterval int64 // ms
	detailed          bool
	dates             *dateFormat
}

// consumerProps builds the consumer properties as ConsumerPerfOptions.props
// does: the config file, then the tool's options on top of it.
func (o *Options) consumerProps() (*cli.Properties, error) {
	props := cli.NewProperties()
	if o.ConsumerConfig.Given() {
		path, err := o.ConsumerConfig.Get()
		if err != nil {
			return nil, optionFailure(err)
		}
		if props, err = cli.LoadProperties(path); err != nil {
			return nil, failure(path)
		}
	}
	get := func(v *cli.Value) (string, error) {
		s, err := v.Get()
		if err != nil {
			return "", optionFailure(err)
		}
		return s, nil
	}
	bootstrap, err := get(o.Bootstrap)
	if err != nil {
		return nil, err
	}
	props.Set("bootstrap.servers", bootstrap)
	group, err := get(o.Group)
	if err != nil {
		return nil, err
	}
	props.Set("group.id", group)
	if _, err := o.SocketBufferSize.Int32(); err != nil {
		return nil, optionFailure(err)
	}
	fetch, err := o.FetchSize.Int32()
	if err != nil {
		return nil, optionFailure(err)
	}
	props.Set("max.partition.fetch.bytes", fmt.Sprint(fetch))
	if *o.FromLatest {
		props.Set("auto.offset.reset", "latest")
	} else {
		props.Set("auto.offset.reset", "earliest")
	}
	props.Set("check.crcs", "false")
	if !props.Has("client.id") {
		props.Set("client.id", "perf-consumer-client")
	}
	return props, nil
}

// Run consumes and prints the report.
func (o *Options) Run(ctx context.Context) error {
	s := &settings{detailed: *o.ShowDetailedStats}
	if !*o.HideHeader {
		io.WriteString(o.IO.Out, header(s.detailed))
	}
	var err error
	if s.props, err = o.consumerProps(); err != nil {
		return err
	}
	if s.conn, err = client.New("", s.props, client.Consumer); err != nil {
		var ue *client.UnsupportedError
		if errors.As(err, &ue) {
			return failure(ue.Error())
		}
		return failure("Failed to construct kafka consumer")
	}
	opts, autoCommit, err := consumerOptions(s.conn, s.props)
	if err != nil {
		return failure(err.Error())
	}
	if s.numMessages, err = o.Messages.Int64(); err != nil {
		return optionFailure(err)
	}
	timeoutMs := int64(10000)
	if v, _ := o.Timeout.Get(); v != "" {
		if timeoutMs, err = o.Timeout.Int64(); err != nil {
			return optionFailure(err)
		}
	}
	s.timeout = time.Duration(timeoutMs) * time.Millisecond
	if s.reportingInterval, err = o.ReportingInterval.Int64(); err != nil {
		return optionFailure(err)
	}
	if s.reportingInterval <= 0 {
		return failure("Reporting interval must be greater than 0.")
	}
	pattern, err := o.DateFormat.Get()
	if err != nil {
		return optionFailure(err)
	}
	if s.dates, err = compileDateFormat(pattern); err != nil {
		return failure(err.Error())
	}
	topic, err := o.Topic.Get()
	if err != nil {
		return optionFailure(err)
	}
	return o.consume(ctx, s, topic, opts, autoCommit)
}

// consumerOptions maps the consumer properties to kgo with the Java
// consumer's defaults; autoCommit is enable.auto.commit.
func consumerOptions(c *client.Config, props *cli.Properties) (opts []kgo.Opt, autoCommit bool, err error) {
	opts = c.Kgo()
	ms := func(key, def string) (time.Duration, error) {
		n, err := client.Int(props, key, def, 32, 0)
		return time.Duration(n) * time.Millisecond, err
	}
	partBytes, err := client.Int(props, "max.partition.fetch.bytes", "1048576", 32, 0)
	if err != nil {
		return nil, false, err
	}
	maxBytes, err := client.Int(props, "fetch.max.bytes", "52428800", 32, 0)
	if err != nil {
		return nil, false, err
	}
	minBytes, err := client.Int(props, "fetch.min.bytes", "1", 32, 0)
	if err != nil {
		return nil, false, err
	}
	maxWait, err := ms("fetch.max.wait.ms", "500")
	if err != nil {
		return nil, false, err
	}
	session, err := ms("session.timeout.ms", "45000")
	if err != nil {
		return nil, false, err
	}
	heartbeat, err := ms("heartbeat.interval.ms", "3000")
	if err != nil {
		return nil, false, err
	}
	rebalance, err := ms("max.poll.interval.ms", "300000")
	if err != nil {
		return nil, false, err
	}
	autoCommit, err = client.Bool(props, "enable.auto.commit", true)
	if err != nil {
		return nil, false, err
	}
	commitEvery, err := ms("auto.commit.interval.ms", "5000")
	if err != nil {
		return nil, false, err
	}
	reset, err := client.OneOf(props, "auto.offset.reset", "latest", "latest", "earliest", "none")
	if err != nil {
		return nil, false, err
	}
	isolation, err := client.OneOf(props, "isolation.level", "read_uncommitted", "read_committed", "read_uncommitted")
	if err != nil {
		return nil, false, err
	}
	opts = append(opts,
		kgo.ConsumerGroup(props.Value("group.id", "")),
		kgo.FetchMaxPartitionBytes(int32(max(partBytes, 1))),
		kgo.FetchMaxBytes(int32(max(maxBytes, 1))),
		kgo.FetchMinBytes(int32(max(minBytes, 1))),
		kgo.FetchMaxWait(max(maxWait, time.Millisecond)),
		kgo.SessionTimeout(session),
		kgo.HeartbeatInterval(heartbeat),
		kgo.RebalanceTimeout(rebalance),
		kgo.DisableFetchCRCValidation(),
	)
	if !autoCommit {
		opts = append(opts, kgo.DisableAutoCommit())
	} else if commitEvery > 0 {
		opts = append(opts, kgo.AutoCommitInterval(commitEvery))
	}
	switch reset {
	case "earliest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	}
	if isolation == "read_committed" {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if id, ok := props.Get("group.instance.id"); ok && id != "" {
		opts = append(opts, kgo.InstanceID(id))
	}
	balancers, err := assignors(props.Value("partition.assignment.strategy", "range,cooperative-sticky"))
	if err != nil {
		return nil, false, err
	}
	return append(opts, kgo.Balancers(balancers...)), autoCommit, nil
}

// assignors maps partition.assignment.strategy (class or short names) to
// kgo balancers, keeping only the eager ones when both kinds are listed
// (kgo cannot offer both; Kafka's default list starts with range, which
// a lone consumer ends up using).
func assignors(list string) ([]kgo.GroupBalancer, error) {
	var eager, coop []kgo.GroupBalancer
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch name[strings.LastIndexByte(name, '.')+1:] {
		case "range", "RangeAssignor":
			eager = append(eager, kgo.RangeBalancer())
		case "roundrobin", "RoundRobinAssignor":
			eager = append(eager, kgo.RoundRobinBalancer())
		case "sticky", "StickyAssignor":
			eager = append(eager, kgo.StickyBalancer())
		case "cooperative-sticky", "CooperativeStickyAssignor":
			coop = append(coop, kgo.CooperativeStickyBalancer())
		case "":
		default:
			return nil, &client.ConfigError{Key: "partition.assignment.strategy", Value: list, Reason: "unknown assignor " + name}
		}
	}
	if len(eager) > 0 {
		return eager, nil
	}
	if len(coop) == 0 {
		return nil, &client.ConfigError{Key: "partition.assignment.strategy", Value: list, Reason: "no assignor"}
	}
	return coop, nil
}

// joinTimes tracks the time spent joining the group, as Kafka's
// ConsumerPerfRebListener does: from the start (or the last revocation) to
// the next assignment.
type joinTimes struct {
	start  atomic.Int64 // ms
	total  atomic.Int64 // ms
	round  atomic.Int64 // ms, since the last report
	rounds atomic.Int64
}

// consume is ConsumerPerformance.consume and the final report.
func (o *Options) consume(ctx context.Context, s *settings, topic string, opts []kgo.Opt, autoCommit bool) error {
	base := time.Now()
	now := func() int64 { return base.UnixMilli() + int64(time.Since(base)/time.Millisecond) }
	var jt joinTimes
	m := &consumerMetrics{clientID: s.conn.ClientID}
	opts = append(opts,
		kgo.ConsumeTopics(topic),
		kgo.WithHooks(m),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			elapsed := now() - jt.start.Load()
			jt.total.Add(elapsed)
			jt.round.Add(elapsed)
			jt.rounds.Add(1)
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, _ map[string][]int32) {
			jt.start.Store(now())
			// Replacing kgo's default revoke handler drops its commit: with
			// auto commit, commit what was polled before giving the
			// partitions up, as the Java consumer does on rebalance and on
			// close.
			if autoCommit {
				_ = cl.CommitUncommittedOffsets(ctx)
			}
		}),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return failure("Failed to construct kafka consumer")
	}
	closed := false
	defer func() {
		if !closed {
			cl.Close()
		}
	}()

	startMs := now()
	jt.start.Store(startMs)
	var messages, bytes, lastMessages, lastBytes int64
	current := now()
	lastReport, lastConsumed := current, current
	// Kafka replaces its per-round join counter with a fresh one after the
	// first report while the listener keeps adding to the old one, so
	// only the first detailed line shows the join time.
	reported := false
	for messages < s.numMessages && time.Duration(current-lastConsumed)*time.Millisecond <= s.timeout {
		pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		fetches := cl.PollRecords(pctx, 500)
		cancel()
		if code, ok := cli.SignalExitCode(ctx); ok {
			return &cli.ExitError{Code: code}
		}
		if err := fatalFetchError(fetches); err != nil {
			return failure(err.Error())
		}
		current = now()
		if fetches.NumRecords() > 0 {
			lastConsumed = current
		}
		fetches.EachRecord(func(r *kgo.Record) {
			messages++
			bytes += int64(len(r.Key) + len(r.Value))
			if current-lastReport >= s.reportingInterval {
				if s.detailed {
					round := int64(0)
					if !reported {
						round = jt.round.Load()
					}
					o.printProgress(s, bytes, lastBytes, messages, lastMessages, lastReport, current, round)
				}
				reported = true
				lastReport, lastMessages, lastBytes = current, messages, bytes
			}
		})
	}
	if messages < s.numMessages {
		fmt.Fprintf(o.IO.Out, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n", s.timeout.Milliseconds())
	}
	endMs := now()
	cl.Close() // commits the offsets consumed, as KafkaConsumer.close does
	closed = true

	if !s.detailed {
		elapsedSec := float64(endMs-startMs) / 1000.0
		fetchMs := (endMs - startMs) - jt.total.Load()
		mb := float64(bytes) / (1024 * 1024)
		f4 := func(v float64) string { return cli.FormatFixed(v, 4) }
		fmt.Fprintf(o.IO.Out, "%s, %s, %s, %s, %d, %s, %d, %d, %s, %s\n",
			s.dates.format(time.UnixMilli(startMs)), s.dates.format(time.UnixMilli(endMs)),
			f4(mb), f4(mb/elapsedSec), messages, f4(float64(messages)/elapsedSec),
			jt.total.Load(), fetchMs,
			f4(mb/(float64(fetchMs)/1000.0)), f4(float64(messages)/(float64(fetchMs)/1000.0)))
	}
	if *o.PrintMetrics {
		m.joins = jt.rounds.Load()
		m.print(o.IO.Out, time.Duration(endMs-startMs)*time.Millisecond)
	}
	return nil
}

// printProgress is one --show-detailed-stats line.
func (o *Options) printProgress(s *settings, bytes, lastBytes, messages, lastMessages, startMs, endMs, joinMs int64) {
	f4 := func(v float64) string { return cli.FormatFixed(v, 4) }
	elapsed := float64(endMs - startMs)
	totalMB := float64(bytes) / (1024 * 1024)
	intervalMB := float64(bytes-lastBytes) / (1024 * 1024)
	fetchMs := endMs - startMs - joinMs
	fetchMBps, fetchRate := 0.0, 0.0
	if fetchMs > 0 {
		fetchMBps = 1000.0 * intervalMB / float64(fetchMs)
		fetchRate = 1000.0 * float64(messages-lastMessages) / float64(fetchMs)
	}
	fmt.Fprintf(o.IO.Out, "%s, %d, %s, %s, %d, %s, %d, %d, %s, %s\n",
		s.dates.format(time.UnixMilli(endMs)), 0,
		f4(totalMB), f4(1000.0*intervalMB/elapsed), messages, f4(float64(messages-lastMessages)/elapsed*1000.0),
		joinMs, fetchMs, f4(fetchMBps), f4(fetchRate))
}

// fatalFetchError returns the first error a Java consumer's poll would
// throw: authorization and other non-retriable broker errors. Retriable
// ones (a topic not yet created, a leader moving) are retried by the
// client, as Java's are.
func fatalFetchError(f kgo.Fetches) error {
	var fatal error
	f.EachError(func(t string, p int32, err error) {
		if fatal != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		var ke *kerr.Error
		if errors.As(err, &ke) && !ke.Retriable {
			fatal = fmt.Errorf("%s", ke.Description)
			return
		}
		if errors.Is(err, kgo.ErrClientClosed) {
			fatal = err
		}
	})
	return fatal
}

// consumerMetrics collects, through kgo's hooks, the Java consumer metrics
// this client can measure, for --print-metrics.
type consumerMetrics struct {
	clientID string
	joins    int64

	records, recordBytes atomic.Int64
	fetches, fetchNanos  atomic.Int64
	fetchMax             metrics.Max
	bytesIn, bytesOut    atomic.Int64
	requests, fetchErrs  atomic.Int64
	metrics.Connections
}

var (
	_ kgo.HookFetchBatchRead = (*consumerMetrics)(nil)
	_ kgo.HookBrokerE2E      = (*consumerMetrics)(nil)
	_ kgo.HookBrokerConnect  = (*consumerMetrics)(nil)
)

func (m *consumerMetrics) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, b kgo.FetchBatchMetrics) {
	m.records.Add(int64(b.NumRecords))
	m.recordBytes.Add(int64(b.UncompressedBytes))
}

func (m *consumerMetrics) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e kgo.BrokerE2E) {
	m.requests.Add(1)
	m.bytesOut.Add(int64(e.BytesWritten))
	m.bytesIn.Add(int64(e.BytesRead))
	if key != 1 { // fetch requests only below
		return
	}
	if e.Err() != nil {
		m.fetchErrs.Add(1)
		return
	}
	d := int64(e.DurationE2E())
	m.fetches.Add(1)
	m.fetchNanos.Add(d)
	m.fetchMax.Observe(d)
}

func (m *consumerMetrics) print(w io.Writer, elapsed time.Duration) {
	secs := elapsed.Seconds()
	div := metrics.Ratio
	tags := ":{client-id=" + m.clientID + "}"
	fm := "consumer-fetch-manager-metrics:"
	cm := "consumer-metrics:"
	fetches := float64(m.fetches.Load())
	vals := map[string]float64{
		fm + "records-consumed-total" + tags:             float64(m.records.Load()),
		fm + "records-consumed-rate" + tags:              div(float64(m.records.Load()), secs),
		fm + "bytes-consumed-total" + tags:               float64(m.recordBytes.Load()),
		fm + "bytes-consumed-rate" + tags:                div(float64(m.recordBytes.Load()), secs),
		fm + "fetch-total" + tags:                        fetches,
		fm + "fetch-rate" + tags:                         div(fetches, secs),
		fm + "fetch-latency-avg" + tags:                  div(float64(m.fetchNanos.Load())/1e6, fetches),
		fm + "fetch-latency-max" + tags:                  float64(m.fetchMax.Load()) / 1e6,
		fm + "records-per-request-avg" + tags:            div(float64(m.records.Load()), fetches),
		cm + "incoming-byte-total" + tags:                float64(m.bytesIn.Load()),
		cm + "outgoing-byte-total" + tags:                float64(m.bytesOut.Load()),
		cm + "request-total" + tags:                      float64(m.requests.Load()),
		cm + "connection-creation-total" + tags:          float64(m.Created.Load()),
		"consumer-coordinator-metrics:join-total" + tags: float64(m.joins),
	}
	metrics.Print(w, vals)
}
