package configs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/broker"
	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/configs"
	"github.com/kafkakit/kafkakit/internal/cli/topics"
)

// testBroker is a kafka-server running in this process.
type testBroker struct {
	addr string
	dir  string // log.dirs
}

// startBroker starts a single-node broker on a free port with its data in a
// temporary directory and the given extra properties. Retention runs every
// 100ms so that its effects show quickly.
func startBroker(t *testing.T, overrides ...string) *testBroker {
	t.Helper()
	dir := t.TempDir()
	all := append([]string{
		"listeners=PLAINTEXT://127.0.0.1:0",
		"log.dirs=" + dir,
		"group.initial.rebalance.delay.ms=0",
		"log.retention.check.interval.ms=100",
	}, overrides...)
	opts := broker.Options{Overrides: all}
	if os.Getenv("KAFKAKIT_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := broker.Start(opts)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return &testBroker{addr: b.Addr("PLAINTEXT"), dir: dir}
}

// kafkaConfigs runs kafka-configs in process and returns its output and
// exit code.
func kafkaConfigs(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = configs.Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// mustConfigs runs kafka-configs against b and fails the test unless it
// succeeds.
func (b *testBroker) mustConfigs(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := kafkaConfigs(append([]string{"--bootstrap-server", b.addr}, args...)...)
	if code != 0 {
		t.Fatalf("kafka-configs %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// alterTopic sets (and deletes) topic configs with kafka-configs.
func (b *testBroker) alterTopic(t *testing.T, topic, add string, del ...string) {
	t.Helper()
	args := []string{"--alter", "--topic", topic}
	if add != "" {
		args = append(args, "--add-config", add)
	}
	if len(del) > 0 {
		args = append(args, "--delete-config", strings.Join(del, ","))
	}
	if out := b.mustConfigs(t, args...); out != "Completed updating config for topic "+topic+".\n" {
		t.Fatalf("alter %s: stdout %q", topic, out)
	}
}

// createTopic creates a one-partition topic with kafka-topics.
func (b *testBroker) createTopic(t *testing.T, topic string, configs ...string) {
	t.Helper()
	args := []string{"--bootstrap-server", b.addr, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1"}
	for _, c := range configs {
		args = append(args, "--config", c)
	}
	var out, errOut bytes.Buffer
	if code := topics.Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
		t.Fatalf("kafka-topics --create %s: exit %d\n%s%s", topic, code, out.String(), errOut.String())
	}
}

// client returns a franz-go client for b.
func (b *testBroker) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// produce writes records synchronously and returns the first error.
func produce(ctx context.Context, cl *kgo.Client, recs ...*kgo.Record) error {
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// consumeAll reads the partition from its start until it has n records.
func (b *testBroker) consumeAll(t *testing.T, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := b.client(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := ctxFor(t, 20*time.Second)
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s: %d of %d records before the deadline", topic, len(recs), n)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch: %v", err) })
		recs = append(recs, fs.Records()...)
	}
	return recs
}

// consumeToEnd reads the partition from its start up to its current end
// offset.
func (b *testBroker) consumeToEnd(t *testing.T, topic string) []*kgo.Record {
	t.Helper()
	adm := kadm.NewClient(b.client(t))
	ends, err := adm.ListEndOffsets(ctxFor(t, 10*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	end, ok := ends.Lookup(topic, 0)
	if !ok || end.Err != nil {
		t.Fatalf("end offset of %s: %v %v", topic, ok, end.Err)
	}
	if end.Offset <= b.startOffset(t, topic) {
		return nil
	}
	cl := b.client(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := ctxFor(t, 20*time.Second)
	var recs []*kgo.Record
	for len(recs) == 0 || recs[len(recs)-1].Offset < end.Offset-1 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s: reached offset %d of %d before the deadline", topic, len(recs), end.Offset)
		}
		recs = append(recs, fs.Records()...)
	}
	return recs
}

// startOffset is the partition's log start offset, as ListOffsets reports it.
func (b *testBroker) startOffset(t *testing.T, topic string) int64 {
	t.Helper()
	offs, err := kadm.NewClient(b.client(t)).ListStartOffsets(ctxFor(t, 10*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := offs.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("start offset of %s: %v %v", topic, ok, o.Err)
	}
	return o.Offset
}

// segments lists the partition's segment files (base offsets), sorted.
func (b *testBroker) segments(t *testing.T, topic string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(b.dir, topic+"-0", "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		files[i] = strings.TrimSuffix(filepath.Base(f), ".log")
	}
	sort.Strings(files)
	return files
}

// batchCodecs reads the partition's segment files and returns the
// compression codec (attributes & 7) of every record batch, as Kafka's
// on-disk format stores it.
func (b *testBroker) batchCodecs(t *testing.T, topic string) []int {
	t.Helper()
	var codecs []int
	for _, base := range b.segments(t, topic) {
		data, err := os.ReadFile(filepath.Join(b.dir, topic+"-0", base+".log"))
		if err != nil {
			t.Fatal(err)
		}
		for len(data) >= 61 {
			length := int(binary.BigEndian.Uint32(data[8:12]))
			if length < 49 || 12+length > len(data) {
				break
			}
			codecs = append(codecs, int(binary.BigEndian.Uint16(data[21:23])&7))
			data = data[12+length:]
		}
	}
	return codecs
}

// eventually polls cond every 50ms until it reports true or the timeout
// passes, then fails with cond's last explanation.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	if !within(timeout, cond) {
		_, why := cond()
		t.Fatalf("condition not met within %v: %s", timeout, why)
	}
}

// within polls cond until it holds or the timeout passes.
func within(timeout time.Duration, cond func() (bool, string)) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok, _ := cond(); ok {
			return true
		}
		select {
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// value returns n random bytes: they do not compress, so a batch's size on
// the wire is about n whatever codec the client picks.
func value(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
