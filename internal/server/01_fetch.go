package server

// Fetch (key 1): v4-17, as Apache Kafka 3.9 serves it (v0-3 would need
// down-conversion to magic 0/1, which Kafka 4 also dropped).
//
// Behaviour:
//   - consumers read below the high watermark (below the last stable
//     offset with read_committed); the first batch of the first non-empty
//     partition is returned whole even above MaxBytes/PartitionMaxBytes so
//     consumers always make progress (KIP-74); batches are sent as stored;
//     a batch may start below the fetch offset (clients skip);
//   - long polling: with less than MinBytes available the request waits up
//     to MaxWaitMillis and is woken as soon as an append moves a watched
//     partition's high watermark;
//   - per-partition errors: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
//     UNKNOWN_TOPIC_ID (v13+), OFFSET_OUT_OF_RANGE, FENCED_LEADER_EPOCH /
//     UNKNOWN_LEADER_EPOCH (CurrentLeaderEpoch, v9+); LastFetchedEpoch
//     (v12+) that diverges from our log is answered with DivergingEpoch;
//   - incremental fetch sessions (KIP-227, v7+), see fetch_session.go;
//   - PreferredReadReplica is always -1 (no follower fetching).
//
// Version notes: v4 isolation level, last stable offset, aborted
// transactions; v5 log start offset; v7 sessions; v9 current leader epoch;
// v11 rack and preferred read replica; v12 flexible, last fetched epoch,
// diverging epoch; v13 topic ids; v15 replica state; v16-17 tagged fields.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/replica"
)

// fetchOut is the result of reading one partition for a fetch.
type fetchOut struct {
	sp        *sessionPartition
	errCode   int16
	hw        int64
	lso       int64
	logStart  int64
	data      []byte          // record bytes copied from the log, or
	region    *log.ReadResult // the log region itself, sent from the file
	diverging *kmsg.FetchResponseTopicPartitionDivergingEpoch
	partition *replica.Partition
	seen      uint64 // partition.Changes() before the read
	// caughtUp: the read found nothing because the fetch offset is at the
	// end of what it may read (not because max bytes ran out).
	caughtUp bool
}

// unchanged reports whether o, an empty answer without error for a fetch
// at the end of the readable log, still holds: nothing it depended on has
// moved since it was read. Wake-ups count the high watermark, log end,
// leadership and DeleteRecords; retention moving the log start and a
// storage failure do not wake anyone, so the log is asked for those.
func (o *fetchOut) unchanged() bool {
	if !o.caughtUp || o.partition == nil || o.partition.Changes() != o.seen {
		return false
	}
	start, ok := o.partition.Log().UsableFrom()
	return ok && start == o.logStart
}

func handleFetch(s *Server, ctx context.Context, c *conn, _ *request, req *kmsg.FetchRequest) *kmsg.FetchResponse {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	img := s.cfg.Meta.Image()
	rf := newReplicaFetch(req) // nil unless a follower fetches (replica_fetch.go)
	isReplica := rf != nil

	var parts []fetchPart
	var unknownIDs []fetchKey // v13+ topic ids we do not know
	for _, t := range req.Topics {
		name := t.Topic
		if req.Version >= 13 {
			topic := img.TopicByID(metadata.TopicID(t.TopicID))
			if topic == nil {
				for _, p := range t.Partitions {
					unknownIDs = append(unknownIDs, fetchKey{TopicID: t.TopicID, Partition: p.Partition})
				}
				continue
			}
			name = topic.Name
		} else if topic := img.Topics[name]; topic != nil {
			t.TopicID = topic.ID
		}
		for _, p := range t.Partitions {
			parts = append(parts, fetchPart{
				key:                fetchKey{TopicID: t.TopicID, Topic: name, Partition: p.Partition},
				fetchOffset:        p.FetchOffset,
				logStartOffset:     p.LogStartOffset,
				maxBytes:           p.PartitionMaxBytes,
				currentLeaderEpoch: p.CurrentLeaderEpoch,
				lastFetchedEpoch:   p.LastFetchedEpoch,
			})
		}
	}
	var forgotten []fetchKey
	for _, f := range req.ForgottenTopics {
		name := f.Topic
		if req.Version >= 13 {
			if topic := img.TopicByID(metadata.TopicID(f.TopicID)); topic != nil {
				name = topic.Name
			}
		} else if topic := img.Topics[name]; topic != nil {
			f.TopicID = topic.ID
		}
		for _, p := range f.Partitions {
			forgotten = append(forgotten, fetchKey{TopicID: f.TopicID, Topic: name, Partition: p})
		}
	}
	sessionID, sessionEpoch := req.SessionID, req.SessionEpoch
	if req.Version < 7 {
		sessionID, sessionEpoch = 0, fetchSessionFinalEpoch
	}
	sess := s.sessions.begin(sessionID, sessionEpoch, parts, forgotten, isReplica, time.Now(), c.fetchParts[:0])
	if sess.err != 0 {
		resp.ErrorCode = sess.err
		return resp
	}
	c.fetchParts = sess.parts
	defer c.clearFetchBuffers()
	// Consumers' empty answers are kept in their session partitions; only
	// the request holding the session uses them.
	keepIdle := !isReplica
	if fs := sess.session; fs != nil && keepIdle {
		if fs.busy.CompareAndSwap(false, true) {
			defer fs.busy.Store(false)
		} else {
			keepIdle = false
		}
	}
	resp.SessionID = sess.newID

	maxBytes := req.MaxBytes
	if req.Version < 3 || maxBytes <= 0 {
		maxBytes = 1<<31 - 1
	}
	wait := time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond
	deadline := time.Now().Add(wait)
	// Watch before the first read so an append between reading and waiting
	// still wakes us.
	var wake chan struct{}
	if wait > 0 && req.MinBytes > 0 {
		wake = c.watchFetch(s, sess.parts)
	}
	var outs []fetchOut
	for pass := 0; ; pass++ {
		var total int
		var stop bool
		// The passes alternate between the connection's two buffers: a
		// pass reads the previous one.
		buf := &c.fetchOuts[pass%2]
		outs, total, stop = s.readFetch(c, sess.parts, outs, (*buf)[:0], maxBytes, req.IsolationLevel == 1, keepIdle, rf, req.Version)
		*buf = outs
		if stop || total >= int(req.MinBytes) || len(unknownIDs) > 0 || wake == nil {
			break
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			break
		}
		// Not enough yet: let go of the regions while waiting (they pin
		// segment files that retention may have deleted); the next pass
		// reads again, and a cancelled wait answers without their data.
		releaseRegions(outs)
		if !c.waitFor(ctx, wake, remaining) {
			break
		}
	}

	var cur *kmsg.FetchResponseTopic
	for _, o := range outs {
		if !o.sp.include(sess.full, o.size() > 0, o.hw, o.lso, o.logStart, o.errCode) && o.diverging == nil {
			if o.region != nil {
				o.region.Release()
			}
			continue
		}
		if cur == nil || cur.Topic != o.sp.key.Topic || cur.TopicID != o.sp.key.TopicID {
			resp.Topics = append(resp.Topics, kmsg.NewFetchResponseTopic())
			cur = &resp.Topics[len(resp.Topics)-1]
			cur.Topic, cur.TopicID = o.sp.key.Topic, o.sp.key.TopicID
		}
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition = o.sp.key.Partition
		rp.ErrorCode = o.errCode
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = o.hw, o.lso, o.logStart
		rp.PreferredReadReplica = -1
		// Kafka sends empty (not null) records; librdkafka rejects null.
		rp.RecordBatches = o.data
		if o.region != nil {
			// Encoded as a placeholder that the connection replaces with
			// the region, sent from the file (zerocopy.go).
			rp.RecordBatches = c.addRegion(o.region)
		}
		if rp.RecordBatches == nil {
			rp.RecordBatches = []byte{}
		}
		if o.diverging != nil {
			rp.DivergingEpoch = *o.diverging
		}
		cur.Partitions = append(cur.Partitions, rp)
	}
	for _, k := range unknownIDs {
		rt := kmsg.NewFetchResponseTopic()
		rt.TopicID = k.TopicID
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition = k.Partition
		rp.ErrorCode = kerr.UnknownTopicID.Code
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
		rp.PreferredReadReplica = -1
		rp.RecordBatches = []byte{}
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// size is the number of record bytes o carries.
func (o *fetchOut) size() int {
	if o.region != nil {
		return int(o.region.Size())
	}
	return len(o.data)
}

// releaseRegions lets go of the log regions held by outs and forgets them.
func releaseRegions(outs []fetchOut) {
	for i := range outs {
		if outs[i].region != nil {
			outs[i].region.Release()
			outs[i].region = nil
		}
	}
}

// readFetch reads every partition of a fetch once, appending the answers
// to outs. It returns the bytes read in total and whether the request
// should be answered at once regardless of MinBytes (an error or a
// diverging epoch is news). prev is the previous pass of a long poll, if
// any: its empty answers are kept for partitions that have not changed
// since, instead of reading them again. With keepIdle (a consumer's
// request holding its session), empty answers are kept in the session the
// same way, from one request to the next.
func (s *Server) readFetch(c *conn, parts []*sessionPartition, prev, outs []fetchOut, maxBytes int32, committed, keepIdle bool, rf *replicaFetch, version int16) ([]fetchOut, int, bool) {
	total := 0
	c.fetchScratch = c.fetchScratch[:0]
	stop := false
	for i, sp := range parts {
		// A later pass finds in prev what the session kept on the first,
		// so only the first asks the session.
		if i < len(prev) {
			if prev[i].unchanged() {
				outs = append(outs, prev[i])
				continue
			}
		} else if keepIdle && sp.idleHolds(committed) {
			outs = append(outs, sp.idle)
			continue
		}
		room := int32(max(int(maxBytes)-total, 0))
		o, news := s.readPartition(c, sp, room, total == 0, committed, rf, version)
		if keepIdle {
			sp.keepIdle(o, committed)
		}
		total += o.size()
		stop = stop || news
		outs = append(outs, o)
	}
	return outs, total, stop
}

// readPartition reads one partition of a fetch, at most room bytes (the
// first batch whole with minOne). news reports an error or a diverging
// epoch, which answer the fetch at once.
func (s *Server) readPartition(c *conn, sp *sessionPartition, room int32, minOne, committed bool, rf *replicaFetch, version int16) (o fetchOut, news bool) {
	follower := rf != nil
	o = fetchOut{sp: sp, hw: -1, lso: -1, logStart: -1}
	part, code := s.hostedPartition(sp)
	if code != 0 {
		o.errCode = code
		return o, true
	}
	o.seen = part.Changes()
	if err := part.CheckLeader(sp.currentLeaderEpoch); err != nil {
		o.errCode, _, _ = s.partitionError(err, sp.key.Topic, sp.key.Partition)
		return o, true
	}
	o.partition = part
	l := part.Log()
	if version >= 12 && sp.lastFetchedEpoch >= 0 {
		epoch, end := l.EndOffsetForEpoch(sp.lastFetchedEpoch)
		if epoch != sp.lastFetchedEpoch || end < sp.fetchOffset {
			d := kmsg.NewFetchResponseTopicPartitionDivergingEpoch()
			d.Epoch, d.EndOffset = epoch, end
			o.diverging = &d
			o.hw, o.lso, o.logStart = l.HighWatermark(), l.LastStableOffset(), l.LogStartOffset()
			return o, true
		}
	}
	if follower {
		if code := s.recordReplicaFetch(rf, part, sp); code != 0 {
			o.errCode = code
			return o, true
		}
	}
	res, err := part.Read(replica.ReadOptions{
		Offset: sp.fetchOffset, MaxBytes: min(sp.maxBytes, room), MinOne: minOne, Committed: committed, Follower: follower,
	})
	if err != nil {
		o.errCode, _, _ = s.partitionError(err, sp.key.Topic, sp.key.Partition)
		o.hw, o.lso, o.logStart = l.HighWatermark(), l.LastStableOffset(), l.LogStartOffset()
		return o, true
	}
	o.hw, o.lso, o.logStart = res.HighWatermark, res.LastStableOffset, res.LogStartOffset
	end := res.HighWatermark
	switch {
	case follower:
		end = res.LogEndOffset
	case committed:
		end = res.LastStableOffset
	}
	o.caughtUp = res.Size() == 0 && sp.fetchOffset >= end
	if res.Size() >= zeroCopyMin && c.zeroCopy {
		// Large regions go from the file to the socket (zerocopy.go);
		// the region is held until the writer has sent it.
		o.region = res
		return o, false
	}
	defer res.Release()
	if res.Size() > 0 {
		// Read into the connection's scratch buffer: it is reused for
		// every fetch on this connection, and the response encoder
		// copies the bytes into the frame.
		buf, data, err := res.AppendTo(c.fetchScratch)
		c.fetchScratch = buf
		if err != nil {
			o.errCode, _, _ = s.partitionError(err, sp.key.Topic, sp.key.Partition)
			return o, true
		}
		o.data = data
	}
	return o, false
}

// watchFetch registers the connection's wake channel with every hosted
// partition of a long poll and returns it; clearFetchBuffers unregisters.
func (c *conn) watchFetch(s *Server, parts []*sessionPartition) chan struct{} {
	if c.fetchWake == nil {
		c.fetchWake = make(chan struct{}, 1)
	}
	select {
	case <-c.fetchWake: // left from an earlier fetch
	default:
	}
	for _, sp := range parts {
		if part, code := s.hostedPartition(sp); code == 0 {
			part.AddWatcher(c.fetchWake)
			c.fetchWatched = append(c.fetchWatched, part)
		}
	}
	return c.fetchWake
}

// clearFetchBuffers ends a fetch: watches are removed, and the buffers
// kept for the next fetch drop what they point to.
func (c *conn) clearFetchBuffers() {
	for _, part := range c.fetchWatched {
		part.RemoveWatcher(c.fetchWake)
	}
	clear(c.fetchWatched)
	c.fetchWatched = c.fetchWatched[:0]
	clear(c.fetchParts)
	c.fetchParts = c.fetchParts[:0]
	for i := range c.fetchOuts {
		clear(c.fetchOuts[i])
		c.fetchOuts[i] = c.fetchOuts[i][:0]
	}
}

// hostedPartition returns the partition sp names, kept in sp between the
// requests of a fetch session until the partition is retired, or the error
// code for a partition this broker does not host.
func (s *Server) hostedPartition(sp *sessionPartition) (*replica.Partition, int16) {
	if p := sp.part.Load(); p != nil && !p.Retired() {
		return p, 0
	}
	p, ok := s.cfg.Replicas.Get(sp.key.Topic, sp.key.Partition)
	if !ok {
		return nil, s.notHostedCode(sp.key.Topic, sp.key.Partition)
	}
	sp.part.Store(p)
	return p, 0
}

// waitFor blocks until wake fires, the timeout passes or ctx ends. It
// reports whether to read again (true also on timeout, so the response
// carries current offsets). The connection's timer is reused.
func (c *conn) waitFor(ctx context.Context, wake <-chan struct{}, timeout time.Duration) bool {
	if c.fetchTimer == nil {
		c.fetchTimer = time.NewTimer(timeout)
	} else {
		c.fetchTimer.Reset(timeout)
	}
	defer c.fetchTimer.Stop()
	select {
	case <-wake:
		return true
	case <-c.fetchTimer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
