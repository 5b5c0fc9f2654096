package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// propertiesFile is a node's server.properties in the shape of Kafka's
// config/server.properties for a combined broker and controller.
const propertiesFile = `# Node %[1]d of a three-node KRaft cluster.
process.roles=broker,controller
node.id=%[1]d
controller.quorum.voters=%[2]s
listeners=PLAINTEXT://127.0.0.1:%[3]d,CONTROLLER://127.0.0.1:%[4]d
advertised.listeners=PLAINTEXT://127.0.0.1:%[3]d
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=%[5]s
num.partitions=1
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
# hashicorp/raft, under the metadata quorum, wants the election timeout at
# least as long as the fetch (heartbeat) timeout, 2000 ms by default.
controller.quorum.election.timeout.ms=2000
`

// startFromPropertiesFiles writes a server.properties per node and starts
// "kafka-server <file>" for each, as an operator would, and returns the
// nodes' client addresses once every broker is registered.
func startFromPropertiesFiles(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	ports := make([][2]int, n)
	var voters []string
	for i := range ports {
		for j := range ports[i] {
			p, err := testbroker.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			ports[i][j] = p
		}
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, ports[i][1]))
	}
	var addrs []string
	for i := range n {
		ndir := filepath.Join(dir, "node-"+strconv.Itoa(i+1))
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			t.Fatal(err)
		}
		props := filepath.Join(dir, fmt.Sprintf("server-%d.properties", i+1))
		text := fmt.Sprintf(propertiesFile, i+1, strings.Join(voters, ","), ports[i][0], ports[i][1], ndir)
		if err := os.WriteFile(props, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("node-%d.log", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bins.server, props)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
			if t.Failed() {
				b, _ := os.ReadFile(logf.Name())
				t.Logf("node %d log, last lines:\n%s", i+1, tail(string(b), 40))
			}
		})
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", ports[i][0]))
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	waitFor(t, 40*time.Second, fmt.Sprintf("every node answers and lists %d brokers", n), func() (bool, string) {
		var answers []string
		all := true
		for i, seed := range cl.SeedBrokers() {
			if !testbroker.Ready(addrs[i]) {
				return false, addrs[i] + " does not answer"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			resp, err := seed.Request(ctx, kmsg.NewPtrMetadataRequest())
			cancel()
			if err != nil {
				return false, fmt.Sprintf("node %d: %v", i+1, err)
			}
			var ids []int32
			for _, b := range resp.(*kmsg.MetadataResponse).Brokers {
				ids = append(ids, b.NodeID)
			}
			all = all && len(ids) == n
			answers = append(answers, fmt.Sprintf("node %d lists %v", i+1, ids))
		}
		return all, strings.Join(answers, ", ")
	})
	return addrs
}

// describedPartition is one partition line of kafka-topics --describe.
type describedPartition struct {
	topic     string
	partition int
	leader    int32
	replicas  []int32
	isr       []int32
}

// kafkaTopics runs our kafka-topics binary and returns its stdout.
func kafkaTopics(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runKafkaTopics(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runKafkaTopics(args ...string) (string, error) {
	cmd := exec.Command(bins.topics, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kafka-topics %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// parseDescribe reads the partition lines of kafka-topics --describe
// (Kafka's tab-separated "Key: value" format).
func parseDescribe(t *testing.T, out string) []describedPartition {
	t.Helper()
	var ps []describedPartition
	for line := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(line, "\t") || !strings.Contains(line, "Partition: ") {
			continue
		}
		fields := map[string]string{}
		for f := range strings.SplitSeq(strings.TrimSpace(line), "\t") {
			k, v, _ := strings.Cut(f, ": ")
			fields[k] = strings.TrimSuffix(v, ":")
		}
		p, err := strconv.Atoi(fields["Partition"])
		if err != nil {
			t.Fatalf("partition line %q: %v", line, err)
		}
		leader, err := strconv.Atoi(fields["Leader"])
		if err != nil {
			t.Fatalf("partition line %q: %v", line, err)
		}
		ps = append(ps, describedPartition{topic: fields["Topic"], partition: p, leader: int32(leader),
			replicas: brokerList(t, fields["Replicas"]), isr: brokerList(t, fields["Isr"])})
	}
	return ps
}

func brokerList(t *testing.T, s string) []int32 {
	t.Helper()
	var out []int32
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("broker list %q: %v", s, err)
		}
		out = append(out, int32(n))
	}
	return out
}

// TestPropertiesClusterPlacesReplicasCrosswise starts three nodes from
// Kafka-style server.properties files, creates topics with three
// partitions and replication factors 2 and 3 with our kafka-topics, and
// checks with kafka-topics --describe that leaders and followers are
// spread over all brokers as Kafka's placement does: each broker leads
// one partition and holds the same number of replicas, every partition's
// replicas are distinct brokers, the first replica leads, and the ISR is
// complete.
func TestPropertiesClusterPlacesReplicasCrosswise(t *testing.T) {
	addrs := startFromPropertiesFiles(t, 3)
	bootstrap := strings.Join(addrs, ",")
	for _, rf := range []int{2, 3} {
		topic := fmt.Sprintf("crosswise-rf%d", rf)
		out := kafkaTopics(t, "--bootstrap-server", bootstrap, "--create", "--topic", topic,
			"--partitions", "3", "--replication-factor", strconv.Itoa(rf))
		if want := "Created topic " + topic + ".\n"; out != want {
			t.Errorf("create %s: output %q, want %q", topic, out, want)
		}
		var ps []describedPartition
		var desc string
		waitFor(t, 15*time.Second, topic+" is described with full ISRs", func() (bool, string) {
			// A broker that has not applied the new topic yet answers
			// UNKNOWN_TOPIC_OR_PARTITION, as Kafka's do.
			var err error
			if desc, err = runKafkaTopics("--bootstrap-server", bootstrap, "--describe", "--topic", topic); err != nil {
				return false, err.Error()
			}
			ps = parseDescribe(t, desc)
			if len(ps) != 3 {
				return false, desc
			}
			for _, p := range ps {
				if !slices.Equal(slices.Sorted(slices.Values(p.isr)), slices.Sorted(slices.Values(p.replicas))) {
					return false, desc
				}
			}
			return true, ""
		})
		t.Logf("kafka-topics --describe --topic %s:\n%s", topic, desc)
		leads := map[int32]int{}
		hosts := map[int32]int{}
		for _, p := range ps {
			leads[p.leader]++
			if len(p.replicas) != rf {
				t.Errorf("%s partition %d: replicas %v, want %d", topic, p.partition, p.replicas, rf)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(p.replicas)))) != len(p.replicas) {
				t.Errorf("%s partition %d: replicas %v repeat a broker", topic, p.partition, p.replicas)
			}
			if len(p.replicas) > 0 && p.leader != p.replicas[0] {
				t.Errorf("%s partition %d: leader %d, want the preferred replica %d", topic, p.partition, p.leader, p.replicas[0])
			}
			for _, id := range p.replicas {
				hosts[id]++
			}
		}
		for id := int32(1); id <= 3; id++ {
			if leads[id] != 1 {
				t.Errorf("%s: broker %d leads %d partitions, want 1 (leaders %v)", topic, id, leads[id], leads)
			}
			if hosts[id] != rf {
				t.Errorf("%s: broker %d holds %d replicas, want %d (replicas per broker %v)", topic, id, hosts[id], rf, hosts)
			}
		}
		// Followers are crosswise too: no two partitions have the same
		// replica list in the same order.
		seen := map[string]int{}
		for _, p := range ps {
			key := fmt.Sprint(p.replicas)
			if q, dup := seen[key]; dup {
				t.Errorf("%s: partitions %d and %d have the same replicas %v", topic, q, p.partition, p.replicas)
			}
			seen[key] = p.partition
		}
	}
}
