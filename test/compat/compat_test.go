// Package compat drives a real kafka-server process with Kafka clients that
// this project did not write: kcat (librdkafka), kafka-python,
// confluent-kafka (librdkafka), kafkajs, franz-go and sarama. Each client
// creates a topic, produces keyed records with headers, reads them all back
// and checks key, value, headers, partition and offset.
//
// The external clients are installed by .ci/run. When one is missing the
// test is skipped, unless KAFKAKIT_REQUIRE_CLIENTS=1 (set in CI), in which
// case it fails.
package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

const partitions = 3

var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kafkakit-compat-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin, err = testbroker.BuildServer(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func startServer(t *testing.T) *testbroker.Process {
	t.Helper()
	p, err := testbroker.StartProcess(serverBin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

func requireTool(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		if os.Getenv("KAFKAKIT_REQUIRE_CLIENTS") == "1" {
			t.Fatalf("client %s not usable: %v (run .ci/run or install it)", name, err)
		}
		t.Skipf("client %s not usable: %v", name, err)
	}
	return path
}

func runClient(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func clientsDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("clients")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestKafkaPython(t *testing.T) {
	py := requireTool(t, "/usr/bin/python3", "-c", "import kafka")
	p := startServer(t)
	out := runClient(t, exec.Command(py, filepath.Join(clientsDir(t), "kafka_python.py"), p.Addr, "kafka-python", "300"))
	if !strings.Contains(out, "ok 300") {
		t.Fatalf("unexpected output: %s", out)
	}
}

func TestConfluentKafka(t *testing.T) {
	py := requireTool(t, "/usr/bin/python3", "-c", "import confluent_kafka")
	p := startServer(t)
	out := runClient(t, exec.Command(py, filepath.Join(clientsDir(t), "confluent_kafka_client.py"), p.Addr, "confluent", "300"))
	if !strings.Contains(out, "ok 300") {
		t.Fatalf("unexpected output: %s", out)
	}
}

func TestKafkaJS(t *testing.T) {
	node := requireTool(t, "node", "--version")
	dir := clientsDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		if os.Getenv("KAFKAKIT_REQUIRE_CLIENTS") == "1" {
			t.Fatalf("kafkajs not installed in %s (npm ci)", dir)
		}
		t.Skip("kafkajs not installed (cd test/compat/clients && npm install)")
	}
	p := startServer(t)
	cmd := exec.Command(node, filepath.Join(dir, "kafkajs_client.js"), p.Addr, "kafkajs", "300")
	cmd.Dir = dir
	out := runClient(t, cmd)
	if !strings.Contains(out, "ok 300") {
		t.Fatalf("unexpected output: %s", out)
	}
}

// kcatRecord is one line of `kcat -C -J`.
type kcatRecord struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Payload   *string  `json:"payload"`
	Headers   []string `json:"headers"`
}

func TestKcat(t *testing.T) {
	kcat := requireTool(t, "kcat", "-V")
	p := startServer(t)
	const topic, n = "kcat", 90
	createTopic(t, p.Addr, topic)
	for part := 0; part < partitions; part++ {
		var in strings.Builder
		for i := part; i < n; i += partitions {
			fmt.Fprintf(&in, "key-%d:value-%d\n", i, i)
		}
		cmd := exec.Command(kcat, "-b", p.Addr, "-P", "-t", topic, "-p", strconv.Itoa(part), "-K", ":",
			"-H", "h1=kcat", "-H", "h2=", "-z", "snappy", "-X", "enable.idempotence=true")
		cmd.Stdin = strings.NewReader(in.String())
		runClient(t, cmd)
	}
	out := runClient(t, exec.Command(kcat, "-b", p.Addr, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n {
		t.Fatalf("consumed %d records, want %d:\n%s", len(lines), n, out)
	}
	for _, line := range lines {
		var r kcatRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad kcat JSON %q: %v", line, err)
		}
		i := int(r.Offset)*partitions + int(r.Partition)
		if r.Key == nil || *r.Key != fmt.Sprintf("key-%d", i) || r.Payload == nil || *r.Payload != fmt.Sprintf("value-%d", i) {
			t.Fatalf("record %d/%d: got %s", r.Partition, r.Offset, line)
		}
		if strings.Join(r.Headers, ",") != "h1,kcat,h2," {
			t.Fatalf("record %d/%d headers: got %v", r.Partition, r.Offset, r.Headers)
		}
	}
}

func createTopic(t *testing.T, addr, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

func TestFranzGo(t *testing.T) {
	p := startServer(t)
	const topic, n = "franz", 600
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Addr), kgo.ProducerBatchCompression(kgo.ZstdCompression()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	for i := 0; i < n; i++ {
		r := &kgo.Record{Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(fmt.Sprintf("value-%d", i)),
			Partition: int32(i % partitions), Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte(fmt.Sprintf("x%d", i))}, {Key: "h2"}}}
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			i, _ := strconv.Atoi(strings.TrimPrefix(string(r.Key), "key-"))
			if r.Partition != int32(i%partitions) || r.Offset != int64(i/partitions) {
				t.Errorf("record %d landed at %d/%d", i, r.Partition, r.Offset)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(p.Addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart(), 2: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := 0
	for seen < n {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("fetch after %d records: %v", seen, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			i := int(r.Offset)*partitions + int(r.Partition)
			if string(r.Key) != fmt.Sprintf("key-%d", i) || string(r.Value) != fmt.Sprintf("value-%d", i) ||
				len(r.Headers) != 2 || r.Headers[0].Key != "h1" || string(r.Headers[0].Value) != fmt.Sprintf("x%d", i) || r.Headers[1].Key != "h2" {
				t.Fatalf("record %d/%d: got key=%q value=%q headers=%v", r.Partition, r.Offset, r.Key, r.Value, r.Headers)
			}
			seen++
		})
	}
}

func TestSarama(t *testing.T) {
	p := startServer(t)
	const topic, n = "sarama", 300
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_9_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Compression = sarama.CompressionGZIP
	admin, err := sarama.NewClusterAdmin([]string{p.Addr}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	prod, err := sarama.NewSyncProducer([]string{p.Addr}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for i := 0; i < n; i++ {
		part, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: int32(i % partitions),
			Key: sarama.StringEncoder(fmt.Sprintf("key-%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("value-%d", i)),
			Headers: []sarama.RecordHeader{{Key: []byte("h1"), Value: []byte(fmt.Sprintf("x%d", i))}, {Key: []byte("h2"), Value: []byte{}}}})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if part != int32(i%partitions) || off != int64(i/partitions) {
			t.Fatalf("record %d landed at %d/%d", i, part, off)
		}
	}
	cons, err := sarama.NewConsumer([]string{p.Addr}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := 0
	for part := int32(0); part < partitions; part++ {
		pc, err := cons.ConsumePartition(topic, part, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		want := n / partitions
		for got := 0; got < want; got++ {
			select {
			case m := <-pc.Messages():
				i := int(m.Offset)*partitions + int(m.Partition)
				if string(m.Key) != fmt.Sprintf("key-%d", i) || string(m.Value) != fmt.Sprintf("value-%d", i) ||
					len(m.Headers) != 2 || string(m.Headers[0].Key) != "h1" || string(m.Headers[0].Value) != fmt.Sprintf("x%d", i) {
					t.Fatalf("record %d/%d: key=%q value=%q", m.Partition, m.Offset, m.Key, m.Value)
				}
				seen++
			case err := <-pc.Errors():
				t.Fatalf("consume partition %d: %v", part, err)
			case <-time.After(20 * time.Second):
				t.Fatalf("partition %d: timed out after %d records", part, got)
			}
		}
		pc.Close()
	}
	if seen != n {
		t.Fatalf("consumed %d, want %d", seen, n)
	}
}
