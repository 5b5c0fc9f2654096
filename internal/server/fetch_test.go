package server_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fetchV12 is a Fetch v12 for partitions 0..n-1 of topic from offset 0,
// without leader epoch checks, as a sessionless request.
func fetchV12(topic string, n int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxBytes = 50 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	for p := range n {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p
		fp.CurrentLeaderEpoch, fp.LastFetchedEpoch, fp.LogStartOffset = -1, -1, -1
		fp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, fp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// recordBytes maps each partition of the response's first topic to its
// record bytes, failing on any partition error.
func recordBytes(t *testing.T, resp *kmsg.FetchResponse) map[int32]int {
	t.Helper()
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 {
		t.Fatalf("fetch error %d with %d topics", resp.ErrorCode, len(resp.Topics))
	}
	got := map[int32]int{}
	for _, rp := range resp.Topics[0].Partitions {
		if rp.ErrorCode != 0 {
			t.Fatalf("partition %d: error %d", rp.Partition, rp.ErrorCode)
		}
		got[rp.Partition] = len(rp.RecordBatches)
	}
	return got
}

// TestLongPollAnswersWithEverythingRead: a fetch that waits for MinBytes
// and is woken by an append to one partition answers with what every
// partition holds, including those that did not change while it waited
// (one sent from the file, one copied, one empty).
func TestLongPollAnswersWithEverythingRead(t *testing.T) {
	t.Parallel()
	_, br, ctx, cl := startWithTopic(t, "lp", 4)
	big := bytes.Repeat([]byte("b"), 1000)
	produceN(t, ctx, cl, "lp", 0, 50, big)            // about 50 KiB: a region sent from the file
	produceN(t, ctx, cl, "lp", 1, 1, []byte("small")) // copied
	nc := dialBroker(t, br.Addr)
	req := fetchV12("lp", 4)
	req.MaxWaitMillis = 5000
	req.MinBytes = 80 << 10 // more than partitions 0 and 1 hold: the fetch waits
	sent := time.Now()
	sendFetch(t, nc, req, 1)
	time.Sleep(200 * time.Millisecond)     // the fetch has read once and waits
	produceN(t, ctx, cl, "lp", 2, 40, big) // wakes it, then brings it past MinBytes
	resp := receiveFetch(t, nc, req, 1)
	if time.Since(sent) > 4*time.Second {
		t.Fatalf("the fetch answered after %v, at its timeout rather than when MinBytes was reached", time.Since(sent))
	}
	got := recordBytes(t, resp)
	if got[0] < 50<<10-2000 || got[1] == 0 || got[2] == 0 || got[3] != 0 || got[0]+got[1]+got[2] < int(req.MinBytes) {
		t.Fatalf("record bytes per partition %v: want about 50 KiB, a small batch, some and nothing, %d in all", got, req.MinBytes)
	}
}

// TestFetchSessionFollowsRecreatedTopic: a fetch session keeps its
// partitions between requests; when the topic is deleted and created again
// under the same name, the session reads the new partition.
func TestFetchSessionFollowsRecreatedTopic(t *testing.T) {
	t.Parallel()
	_, br, ctx, cl := startWithProducer(t)
	adm := kadm.NewClient(cl)
	create := func(value string) {
		t.Helper()
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, "again"); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "again", Value: []byte(value)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	create("old")
	nc := dialBroker(t, br.Addr)
	req := fetchV12("again", 1)
	req.SessionEpoch = 0 // open a session
	resp := fetchRaw(t, nc, req, 1)
	if !bytes.Contains(resp.Topics[0].Partitions[0].RecordBatches, []byte("old")) {
		t.Fatalf("first fetch: %v", recordBytes(t, resp))
	}
	if resp.SessionID == 0 {
		t.Fatal("no fetch session opened")
	}
	if _, err := adm.DeleteTopics(ctx, "again"); err != nil {
		t.Fatal(err)
	}
	// The name is free again once the old partition is gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, "again"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "again", Value: []byte("new")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// An incremental fetch lists nothing: the session's partition is read
	// at the offset it last asked for, 0, in the new topic.
	inc := kmsg.NewPtrFetchRequest()
	inc.Version = 12
	inc.ReplicaID = -1
	inc.MaxBytes = 50 << 20
	inc.SessionID, inc.SessionEpoch = resp.SessionID, 1
	resp = fetchRaw(t, nc, inc, 2)
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("incremental fetch: error %d, %d topics", resp.ErrorCode, len(resp.Topics))
	}
	rp := resp.Topics[0].Partitions[0]
	if rp.ErrorCode != 0 || !bytes.Contains(rp.RecordBatches, []byte("new")) || bytes.Contains(rp.RecordBatches, []byte("old")) {
		t.Fatalf("incremental fetch after re-creation: error %d, records %q", rp.ErrorCode, rp.RecordBatches)
	}
}

// nextOffset is the offset after the last batch in batches.
func nextOffset(t *testing.T, batches []byte, from int64) int64 {
	t.Helper()
	next := from
	for len(batches) >= 27 {
		base := int64(binary.BigEndian.Uint64(batches))
		length := int(binary.BigEndian.Uint32(batches[8:]))
		lastDelta := int64(int32(binary.BigEndian.Uint32(batches[23:])))
		next = base + lastDelta + 1
		if 12+length > len(batches) {
			t.Fatalf("a batch cut short: %d of %d bytes", len(batches)-12, length)
		}
		batches = batches[12+length:]
	}
	return next
}

// TestFetchSessionServesPartitionsPastMaxBytes: when a response's max bytes
// run out before a partition is reached, that partition's data must come in
// a later response of the session, even though nothing is appended to it
// meanwhile.
func TestFetchSessionServesPartitionsPastMaxBytes(t *testing.T) {
	t.Parallel()
	_, br, ctx, cl := startWithTopic(t, "room", 2)
	const perPartition = 20
	value := bytes.Repeat([]byte("r"), 1000)
	for p := range int32(2) {
		produceN(t, ctx, cl, "room", p, perPartition, value)
	}
	nc := dialBroker(t, br.Addr)
	req := fetchV12("room", 2)
	req.MaxBytes = 5000 // a few batches per response
	req.SessionEpoch = 0
	offsets := [2]int64{}
	for i := range 40 {
		resp := fetchRaw(t, nc, req, int32(i+1))
		if resp.ErrorCode != 0 || resp.SessionID == 0 {
			t.Fatalf("fetch %d: error %d, session %d", i, resp.ErrorCode, resp.SessionID)
		}
		// The next request lists only the partitions that moved.
		next := kmsg.NewPtrFetchRequest()
		next.Version, next.ReplicaID, next.MaxBytes = 12, -1, req.MaxBytes
		next.SessionID, next.SessionEpoch = resp.SessionID, req.SessionEpoch+1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "room"
		for _, t0 := range resp.Topics {
			for _, rp := range t0.Partitions {
				if rp.ErrorCode != 0 {
					t.Fatalf("fetch %d partition %d: error %d", i, rp.Partition, rp.ErrorCode)
				}
				if len(rp.RecordBatches) == 0 {
					continue
				}
				offsets[rp.Partition] = nextOffset(t, rp.RecordBatches, offsets[rp.Partition])
				fp := kmsg.NewFetchRequestTopicPartition()
				fp.Partition, fp.FetchOffset = rp.Partition, offsets[rp.Partition]
				fp.CurrentLeaderEpoch, fp.LastFetchedEpoch, fp.LogStartOffset = -1, -1, -1
				fp.PartitionMaxBytes = 1 << 20
				rt.Partitions = append(rt.Partitions, fp)
			}
		}
		if offsets == [2]int64{perPartition, perPartition} {
			return
		}
		if len(rt.Partitions) > 0 {
			next.Topics = append(next.Topics, rt)
		}
		req = next
	}
	t.Fatalf("after 40 fetches the session has read up to offsets %v of %d", offsets, perPartition)
}

// TestFetchSessionSendsLogStartMovedByRetention: retention moving the log
// start of a partition a consumer is caught up on wakes nobody, but the
// next incremental response of the session must still carry the new log
// start offset (KIP-227 sends a partition whose log start changed).
func TestFetchSessionSendsLogStartMovedByRetention(t *testing.T) {
	t.Parallel()
	_, br, ctx, cl := startWithConfigs(t, map[string]string{"log.retention.check.interval.ms": "50"})
	adm := kadm.NewClient(cl)
	createTopic(t, ctx, cl, "ret", 1, map[string]string{"segment.bytes": "1024"})
	produceN(t, ctx, cl, "ret", 0, 5, bytes.Repeat([]byte("r"), 700)) // one segment each
	nc := dialBroker(t, br.Addr)
	req := fetchV12("ret", 1)
	req.Topics[0].Partitions[0].FetchOffset = 5 // caught up
	req.SessionEpoch = 0
	resp := fetchRaw(t, nc, req, 1)
	if resp.ErrorCode != 0 || resp.SessionID == 0 || resp.Topics[0].Partitions[0].LogStartOffset != 0 {
		t.Fatalf("first fetch: error %d, session %d, log start %d", resp.ErrorCode, resp.SessionID, resp.Topics[0].Partitions[0].LogStartOffset)
	}
	inc := kmsg.NewPtrFetchRequest()
	inc.Version, inc.ReplicaID, inc.MaxBytes = 12, -1, 1<<20
	inc.SessionID, inc.SessionEpoch = resp.SessionID, 1
	if resp := fetchRaw(t, nc, inc, 2); len(resp.Topics) != 0 {
		t.Fatalf("nothing changed, yet the incremental response has %d topics", len(resp.Topics))
	}
	retention := "1"
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.bytes", Value: &retention}}, "ret"); err != nil {
		t.Fatal(err)
	}
	for epoch := int32(2); ; epoch++ {
		inc.SessionEpoch = epoch
		resp := fetchRaw(t, nc, inc, epoch+1)
		if resp.ErrorCode != 0 {
			t.Fatalf("incremental fetch: error %d", resp.ErrorCode)
		}
		if len(resp.Topics) == 1 && resp.Topics[0].Partitions[0].LogStartOffset > 0 {
			return
		}
		if epoch > 100 { // 5 s
			full := fetchV12("ret", 1)
			full.Topics[0].Partitions[0].FetchOffset = 5
			r := fetchRaw(t, nc, full, 1000).Topics[0].Partitions[0]
			t.Fatalf("the session never reported a new log start offset; a sessionless fetch reports %d", r.LogStartOffset)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
