package server_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
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
	admin := newAdmin(t, b.Addr)
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
