package server_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// TestReassignmentsSingleBroker drives AlterPartitionReassignments and
// ListPartitionReassignments through sarama's ClusterAdmin and raw
// requests against one broker (node 1), where only refusals and no-op
// reassignments are possible.
func TestReassignmentsSingleBroker(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	admin := newSaramaAdmin(t, b.Addr)
	if err := admin.CreateTopic("t", &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}

	if err := admin.AlterPartitionReassignments("t", [][]int32{{1}, {1}}); err != nil {
		t.Errorf("reassign to the current replicas: %v", err)
	}
	err := admin.AlterPartitionReassignments("t", [][]int32{{1}, {1, 2}})
	if !errors.Is(err, sarama.ErrReassignPartitions) || !errors.Is(err, sarama.ErrInvalidReplicaAssignment) {
		t.Errorf("reassign to an unregistered broker: got %v, want INVALID_REPLICA_ASSIGNMENT", err)
	}
	err = admin.AlterPartitionReassignments("t", [][]int32{nil})
	if !errors.Is(err, sarama.ErrNoReassignmentInProgress) {
		t.Errorf("cancel with nothing in progress: got %v, want NO_REASSIGNMENT_IN_PROGRESS", err)
	}
	status, err := admin.ListPartitionReassignments("t", []int32{0, 1})
	if err != nil || len(status["t"]) != 0 {
		t.Errorf("list: got %+v, %v, want nothing in progress", status, err)
	}

	t.Run("per-partition messages", func(t *testing.T) {
		req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
		for _, topic := range []struct {
			name  string
			parts map[int32][]int32
		}{{"t", map[int32][]int32{0: {1, 1}, 1: {}}}, {"nope", map[int32][]int32{0: {1}}}} {
			rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
			rt.Topic = topic.name
			for _, p := range []int32{0, 1} {
				replicas, ok := topic.parts[p]
				if !ok {
					continue
				}
				rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
				rp.Partition, rp.Replicas = p, replicas
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		resp := roundTrip(t, b.Addr, req).(*kmsg.AlterPartitionAssignmentsResponse)
		if resp.ErrorCode != 0 {
			t.Errorf("top-level error: got %v", kerr.ErrorForCode(resp.ErrorCode))
		}
		want := map[string]map[int32]struct {
			code *kerr.Error
			msg  string
		}{
			"t": {
				0: {kerr.InvalidReplicaAssignment, "The manual partition assignment includes the broker 1 more than once."},
				1: {kerr.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list."},
			},
			"nope": {0: {kerr.UnknownTopicOrPartition, "Unable to find a topic named nope."}},
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				w := want[rt.Topic][rp.Partition]
				if rp.ErrorCode != w.code.Code || rp.ErrorMessage == nil || *rp.ErrorMessage != w.msg {
					t.Errorf("%s-%d: got %v %v, want %v %q", rt.Topic, rp.Partition, kerr.ErrorForCode(rp.ErrorCode), rp.ErrorMessage, w.code, w.msg)
				}
				delete(want[rt.Topic], rp.Partition)
			}
		}
		for topic, parts := range want {
			if len(parts) > 0 {
				t.Errorf("%s: no results for %v", topic, parts)
			}
		}
	})
	t.Run("list all", func(t *testing.T) {
		req := kmsg.NewPtrListPartitionReassignmentsRequest()
		resp := roundTrip(t, b.Addr, req).(*kmsg.ListPartitionReassignmentsResponse)
		if resp.ErrorCode != 0 || len(resp.Topics) != 0 {
			t.Errorf("got error %v topics %+v, want none", kerr.ErrorForCode(resp.ErrorCode), resp.Topics)
		}
	})
}

// FuzzReassignmentRequests sends arbitrary bodies of ElectLeaders,
// AlterPartitionReassignments and ListPartitionReassignments requests,
// under a well-formed header of each version, to a real broker: kmsg's
// decoding and these handlers must never crash it, and it keeps answering.
func FuzzReassignmentRequests(f *testing.F) {
	var (
		once sync.Once
		b    *testbroker.Broker
	)
	dir := f.TempDir()
	f.Cleanup(func() {
		if b != nil {
			b.Close()
		}
	})
	elect := kmsg.NewPtrElectLeadersRequest()
	et := kmsg.NewElectLeadersRequestTopic()
	et.Topic, et.Partitions = "fuzz", []int32{0, 1}
	elect.Topics = append(elect.Topics, et)
	alter := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	at := kmsg.NewAlterPartitionAssignmentsRequestTopic()
	at.Topic = "fuzz"
	for _, replicas := range [][]int32{{1}, nil, {1, 2}} {
		p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		p.Partition, p.Replicas = int32(len(at.Partitions)), replicas
		at.Partitions = append(at.Partitions, p)
	}
	alter.Topics = append(alter.Topics, at)
	list := kmsg.NewPtrListPartitionReassignmentsRequest()
	lt := kmsg.NewListPartitionReassignmentsRequestTopic()
	lt.Topic, lt.Partitions = "fuzz", []int32{0}
	list.Topics = append(list.Topics, lt)
	// apiIndex is the fuzz key that selects each API below.
	apiIndex := map[int16]int16{43: 0, 45: 1, 46: 2}
	for _, req := range []kmsg.Request{elect, alter, list, kmsg.NewPtrListPartitionReassignmentsRequest()} {
		for v := int16(0); v <= req.MaxVersion(); v++ {
			req.SetVersion(v)
			body := req.AppendTo(nil)
			f.Add(apiIndex[req.Key()], v, []byte{})
			f.Add(apiIndex[req.Key()], v, body)
			f.Add(apiIndex[req.Key()], v, body[:len(body)/2])
			f.Add(apiIndex[req.Key()], v, append(append([]byte{}, body...), 0xff, 0x00, 0x7f))
		}
	}
	f.Fuzz(func(t *testing.T, key, version int16, body []byte) {
		// Every input is one of the three APIs at a version we serve.
		var req kmsg.Request
		switch uint16(key) % 3 {
		case 0:
			req = kmsg.NewPtrElectLeadersRequest()
		case 1:
			req = kmsg.NewPtrAlterPartitionAssignmentsRequest()
		default:
			req = kmsg.NewPtrListPartitionReassignmentsRequest()
		}
		req.SetVersion(int16(uint16(version) % uint16(req.MaxVersion()+1)))
		once.Do(func() {
			var err error
			if b, err = testbroker.Start(testbroker.Options{Dir: dir}); err != nil {
				t.Fatal(err)
			}
		})
		// A header of the request's version, then the fuzzed body.
		frame := encodeFrame(req, 1)
		frame = append(frame[:len(frame)-len(req.AppendTo(nil))], body...)
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
		nc, err := net.DialTimeout("tcp", b.Addr, 2*time.Second)
		if err != nil {
			t.Fatalf("broker stopped accepting connections: %v", err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(2 * time.Second))
		nc.Write(frame)
		var size [4]byte
		if _, err := io.ReadFull(nc, size[:]); err == nil {
			n := binary.BigEndian.Uint32(size[:])
			if n > 1<<20 {
				t.Fatalf("response claims %d bytes", n)
			}
			io.CopyN(io.Discard, nc, int64(n))
		}
	})
}

// startKRaftCluster starts n in-process brokers that are also the controller
// quorum (process.roles=broker,controller, as scripts/cluster.sh runs
// them), each with its own directory, and returns them once all serve.
func startKRaftCluster(t *testing.T, n int) []*testbroker.Broker {
	t.Helper()
	ports := make([]int, n)
	var voters []string
	for i := range ports {
		p, err := testbroker.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, p))
	}
	brokers := make([]*testbroker.Broker, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range brokers {
		wg.Add(1)
		// The nodes wait for each other's votes, so they start together.
		go func() {
			defer wg.Done()
			brokers[i], errs[i] = testbroker.Start(testbroker.Options{Dir: t.TempDir(), Configs: map[string]string{
				"node.id":                   strconv.Itoa(i + 1),
				"process.roles":             "broker,controller",
				"listeners":                 fmt.Sprintf("PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:%d", ports[i]),
				"controller.listener.names": "CONTROLLER",
				"controller.quorum.voters":  strings.Join(voters, ","),
				"replica.lag.time.max.ms":   "2000",
				// raft's heartbeat timeout is the fetch timeout and may not
				// exceed the election timeout.
				"controller.quorum.fetch.timeout.ms":    "500",
				"controller.quorum.election.timeout.ms": "500",
			}})
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		// Together, so that most controlled shutdowns still find a
		// quorum. The last broker standing cannot have one and waits
		// for its controlled shutdown to time out (10 s).
		var wg sync.WaitGroup
		for _, b := range brokers {
			if b != nil {
				wg.Add(1)
				go func() { defer wg.Done(); b.Close() }()
			}
		}
		wg.Wait()
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("broker %d: %v", i+1, err)
		}
	}
	return brokers
}

// TestReassignmentMovesData moves a partition with data from broker 1 to
// brokers 2 and 3 of a three-node cluster through sarama's ClusterAdmin:
// the new replicas fetch the log, join the ISR, the move completes with
// leadership on broker 2, and a consumer reads every record from there.
// Then a reordered partition gets its new preferred leader through
// ElectLeaders.
func TestReassignmentMovesData(t *testing.T) {
	t.Parallel()
	start := time.Now()
	brokers := startKRaftCluster(t, 3)
	t.Logf("cluster up after %v", time.Since(start))
	var addrs []string
	for _, b := range brokers {
		addrs = append(addrs, b.Addr)
	}
	admin := newSaramaAdmin(t, addrs...)
	if err := admin.CreateTopic("moved", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{0: {1}}}, false); err != nil {
		t.Fatal(err)
	}
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_9_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	prod, err := sarama.NewSyncProducer(addrs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const records = 50
	for i := range records {
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: "moved", Value: sarama.StringEncoder(fmt.Sprintf("v%02d", i))}); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	prod.Close()

	t.Logf("topic created and written after %v", time.Since(start))
	if err := admin.AlterPartitionReassignments("moved", [][]int32{{2, 3}}); err != nil {
		t.Fatalf("reassign: %v", err)
	}
	reassigned := time.Now()
	pollUntil(t, "the reassignment to complete", func() (bool, string) {
		status, err := admin.ListPartitionReassignments("moved", []int32{0})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		return len(status["moved"]) == 0, fmt.Sprintf("in progress: %+v", status["moved"][0])
	})
	t.Logf("reassignment complete after %v", time.Since(reassigned))
	waitPartitionLeader(t, admin, "moved", 2, []int32{2, 3})
	t.Logf("leader moved after %v", time.Since(reassigned))
	cl, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cons, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	// The broker the client asks for metadata may learn of the new leader
	// a moment after the one waitPartitionLeader asked.
	var pc sarama.PartitionConsumer
	pollUntil(t, "a consumer of the moved partition", func() (bool, string) {
		if pc, err = cons.ConsumePartition("moved", 0, sarama.OffsetOldest); err != nil {
			cl.RefreshMetadata("moved")
			return false, err.Error()
		}
		return true, ""
	})
	defer pc.Close()
	timeout := time.After(20 * time.Second)
	for i := range records {
		select {
		case m := <-pc.Messages():
			if want := fmt.Sprintf("v%02d", i); string(m.Value) != want || m.Offset != int64(i) {
				t.Fatalf("record %d: got %q at offset %d, want %q", i, m.Value, m.Offset, want)
			}
		case err := <-pc.Errors():
			t.Fatalf("consume: %v", err)
		case <-timeout:
			t.Fatalf("consumed %d of %d records", i, records)
		}
	}
	t.Logf("records consumed after %v", time.Since(reassigned))

	// A reordering completes at once and keeps the leader; a preferred
	// election then hands leadership to the new first replica.
	if err := admin.CreateTopic("reordered", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{0: {1, 2, 3}}}, false); err != nil {
		t.Fatal(err)
	}
	if err := admin.AlterPartitionReassignments("reordered", [][]int32{{3, 2, 1}}); err != nil {
		t.Fatalf("reorder: %v", err)
	}
	results, err := admin.ElectLeaders(sarama.PreferredElection, map[string][]int32{"reordered": {0}})
	if err != nil || results["reordered"][0] == nil || results["reordered"][0].ErrorCode != sarama.ErrNoError {
		t.Fatalf("preferred election: %+v, %v", results, err)
	}
	waitPartitionLeader(t, admin, "reordered", 3, []int32{3, 2, 1})
}

// pollUntil polls cond until it holds, failing the test with cond's
// description of the state after 30 seconds.
func pollUntil(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		<-tick.C
	}
}

// waitPartitionLeader waits until partition 0 of topic has the given leader and
// replicas in the metadata the admin client sees.
func waitPartitionLeader(t *testing.T, admin sarama.ClusterAdmin, topic string, leader int32, replicas []int32) {
	t.Helper()
	pollUntil(t, fmt.Sprintf("%s-0 to have leader %d and replicas %v", topic, leader, replicas), func() (bool, string) {
		meta, err := admin.DescribeTopics([]string{topic})
		if err != nil {
			t.Fatal(err)
		}
		p := meta[0].Partitions[0]
		return p.Leader == leader && slices.Equal(p.Replicas, replicas), fmt.Sprintf("leader %d replicas %v isr %v", p.Leader, p.Replicas, p.Isr)
	})
}
