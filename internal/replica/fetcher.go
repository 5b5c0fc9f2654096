package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// Fetch versions a follower speaks: v12 brings LastFetchedEpoch and
// DivergingEpoch, on which truncation relies; v13 topic ids; v15 the
// follower's broker epoch in ReplicaState (KIP-903).
const (
	minReplicaFetchVersion = 12
	maxReplicaFetchVersion = 17
)

// fetcher replicates every partition this broker follows from one source
// broker, as Kafka's ReplicaFetcherThread does: one goroutine, one
// connection, one Fetch request covering all of its partitions, long-polled
// with replica.fetch.wait.max.ms and replica.fetch.min.bytes. The manager
// adds and removes partitions as leadership changes; a partition whose
// fetch fails is set aside for replica.fetch.backoff.ms while the others
// go on.
type fetcher struct {
	m      *Manager
	source int32
	log    *slog.Logger
	cancel context.CancelFunc

	mu      sync.Mutex
	parts   map[TopicPartition]*fetchPartition
	changed chan struct{} // cap 1: the partition set changed
	// inflight holds the partitions of the Fetch that is out, and abort
	// cancels it. A partition added meanwhile would otherwise wait for
	// that request's long poll to end (up to replica.fetch.wait.max.ms),
	// holding back the high watermark of a partition whose leader just
	// changed; add aborts the request instead, which costs a reconnect.
	inflight map[TopicPartition]*Partition
	abort    context.CancelFunc
}

type fetchPartition struct {
	part       *Partition
	delayUntil time.Time
	// retries counts the fetches in a row in which the leader did not
	// know the partition yet (see leaderBehind).
	retries int
}

// firstRetry is the wait before fetching a partition again whose leader
// did not know it yet; it doubles with each such answer up to
// replica.fetch.backoff.ms.
const firstRetry = 10 * time.Millisecond

// leaderBehind reports the partition errors a leader gives while its
// metadata is behind this broker's: a partition just created, or just
// moved to it. Kafka's followers wait replica.fetch.backoff.ms (1 s)
// after any partition error; for these the leader usually catches up
// within milliseconds, and the first acks=all produce to a new topic
// would otherwise wait the whole second for the followers.
func leaderBehind(err error) bool {
	return errors.Is(err, kerr.UnknownTopicID) || errors.Is(err, kerr.UnknownTopicOrPartition) ||
		errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.UnknownLeaderEpoch)
}

func newFetcher(m *Manager, source int32) *fetcher {
	return &fetcher{m: m, source: source, log: m.log.With("source_broker", source),
		parts: map[TopicPartition]*fetchPartition{}, changed: make(chan struct{}, 1)}
}

// add starts fetching tp for part, replacing another incarnation of it,
// and aborts a Fetch that is out without it.
func (f *fetcher) add(tp TopicPartition, part *Partition) {
	f.mu.Lock()
	if fp, ok := f.parts[tp]; !ok || fp.part != part {
		f.parts[tp] = &fetchPartition{part: part}
	}
	if f.abort != nil && f.inflight[tp] != part {
		f.abort()
		f.abort = nil
	}
	f.mu.Unlock()
	f.signal()
}

// sending records the partitions a Fetch about to go out was built from
// and returns the context to send it with; done must be called when it is
// answered. A partition added since they were chosen cancels the context
// at once.
func (f *fetcher) sending(ctx context.Context, parts map[TopicPartition]*Partition) (context.Context, func()) {
	rctx, cancel := context.WithCancel(ctx)
	now := f.m.now()
	f.mu.Lock()
	f.inflight, f.abort = parts, cancel
	for tp, fp := range f.parts {
		if parts[tp] != fp.part && !fp.delayUntil.After(now) {
			cancel()
			f.abort = nil
			break
		}
	}
	f.mu.Unlock()
	return rctx, func() {
		f.mu.Lock()
		f.inflight, f.abort = nil, nil
		f.mu.Unlock()
		cancel()
	}
}

// errFetchAborted means the Fetch that was out was abandoned because a
// partition was added; the connection is dropped and a new Fetch sent.
var errFetchAborted = errors.New("fetch aborted to add partitions")

// remove stops fetching tp if it is fetched for part (nil: any).
func (f *fetcher) remove(tp TopicPartition, part *Partition) {
	f.mu.Lock()
	if fp, ok := f.parts[tp]; ok && (part == nil || fp.part == part) {
		delete(f.parts, tp)
	}
	f.mu.Unlock()
}

func (f *fetcher) fetching(tp TopicPartition) *Partition {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fp, ok := f.parts[tp]; ok {
		return fp.part
	}
	return nil
}

func (f *fetcher) empty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.parts) == 0
}

func (f *fetcher) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// delay sets tp aside until now+d, if it is still fetched for part.
func (f *fetcher) delay(tp TopicPartition, part *Partition, d time.Duration) {
	f.mu.Lock()
	if fp, ok := f.parts[tp]; ok && fp.part == part {
		fp.delayUntil = f.m.now().Add(d)
	}
	f.mu.Unlock()
}

// retrySoon sets tp aside after a leaderBehind error: for firstRetry,
// doubling with each such error in a row, at most max.
func (f *fetcher) retrySoon(tp TopicPartition, part *Partition, max time.Duration) {
	f.mu.Lock()
	if fp, ok := f.parts[tp]; ok && fp.part == part {
		d := firstRetry << min(fp.retries, 16)
		fp.delayUntil = f.m.now().Add(min(d, max))
		fp.retries++
	}
	f.mu.Unlock()
}

// markRetried marks which of sent were retried after leaderBehind errors.
func (f *fetcher) markRetried(sent map[sentKey]*sentPartition) {
	f.mu.Lock()
	for _, s := range sent {
		if fp, ok := f.parts[s.tp]; ok && fp.part == s.part {
			s.retried = fp.retries > 0
		}
	}
	f.mu.Unlock()
}

// caughtUp ends tp's run of leaderBehind errors: any other answer shows
// that the leader knows the partition.
func (f *fetcher) caughtUp(tp TopicPartition, part *Partition) {
	f.mu.Lock()
	if fp, ok := f.parts[tp]; ok && fp.part == part {
		fp.retries = 0
	}
	f.mu.Unlock()
}

// ready returns the partitions to fetch now and how long until the first
// delayed one is due (0 when none is delayed).
func (f *fetcher) ready() (map[TopicPartition]*Partition, time.Duration) {
	now := f.m.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[TopicPartition]*Partition, len(f.parts))
	var wait time.Duration
	for tp, fp := range f.parts {
		if d := fp.delayUntil.Sub(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		out[tp] = fp.part
	}
	return out, wait
}

// run fetches until ctx ends.
func (f *fetcher) run(ctx context.Context) {
	var conn *brokerConn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	backoff := f.m.cfg.ReplicaFetchBackoff
	// Failures repeat every backoff while a leader is unreachable; only
	// the first of a run is a warning.
	failing := false
	fail := func(what string, err error) {
		if ctx.Err() != nil {
			return
		}
		if failing {
			f.log.Debug(what, "err", err)
		} else {
			f.log.Warn(what, "err", err)
			failing = true
		}
		sleepCtx(ctx, backoff)
	}
	for ctx.Err() == nil {
		parts, wait := f.ready()
		if len(parts) == 0 {
			f.idle(ctx, wait)
			continue
		}
		if conn == nil {
			var err error
			if conn, err = f.connect(ctx); err != nil {
				fail("connecting to leader", err)
				continue
			}
		}
		if err := f.fetchOnce(ctx, conn, parts, wait); err != nil {
			conn.Close()
			conn = nil
			if errors.Is(err, errFetchAborted) {
				f.log.Debug("fetch aborted: partitions added")
				continue
			}
			fail("fetching from leader", err)
			continue
		}
		if failing {
			f.log.Info("fetching from leader again")
			failing = false
		}
	}
}

// idle waits for a partition change, for wait (if not zero), or for ctx.
func (f *fetcher) idle(ctx context.Context, wait time.Duration) {
	var timer <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-f.changed:
	case <-timer:
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// connect dials the source broker's inter-broker listener as the latest
// image advertises it.
func (f *fetcher) connect(ctx context.Context) (*brokerConn, error) {
	ep, ok := brokerEndpoint(f.m.image(), f.source, f.m.cfg.InterBrokerListener)
	if !ok {
		return nil, fmt.Errorf("broker %d has no listener %q", f.source, f.m.cfg.InterBrokerListener)
	}
	if ep.SecurityProtocol != 0 && f.m.plainDial {
		return nil, fmt.Errorf("listener %s of broker %d needs security protocol %d, which the replica fetcher does not speak", ep.Name, f.source, ep.SecurityProtocol)
	}
	addr := net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
	// The response may exceed replica.fetch.response.max.bytes by one
	// batch (KIP-74), which may itself be as large as a topic allows.
	maxFrame := int32(min(int64(f.m.cfg.ReplicaFetchResponseMaxBytes)*2+64<<20, 1<<30))
	c, err := dialBroker(ctx, f.m.dial, addr, "broker-"+strconv.Itoa(int(f.m.cfg.NodeID))+"-fetcher-0", maxFrame, f.m.cfg.ReplicaSocketTimeout)
	if err != nil {
		return nil, err
	}
	if _, ok := c.version(1, maxReplicaFetchVersion, minReplicaFetchVersion); !ok {
		c.Close()
		return nil, fmt.Errorf("broker %d at %s does not serve Fetch v%d+", f.source, addr, minReplicaFetchVersion)
	}
	f.log.Debug("connected to leader", "remote", addr)
	return c, nil
}

// brokerEndpoint picks the endpoint followers use: the named listener, or
// with no name PLAINTEXT, else the broker's first listener.
func brokerEndpoint(img *metadata.Image, id int32, listener string) (metadata.Endpoint, bool) {
	if img == nil {
		return metadata.Endpoint{}, false
	}
	if listener != "" {
		return img.BrokerEndpoint(id, listener)
	}
	if ep, ok := img.BrokerEndpoint(id, "PLAINTEXT"); ok {
		return ep, true
	}
	if b := img.Brokers[id]; b != nil && len(b.Listeners) > 0 {
		return b.Listeners[0], true
	}
	return metadata.Endpoint{}, false
}

// sentPartition is one partition of an outstanding fetch, with the state
// the request was built from.
type sentPartition struct {
	tp          TopicPartition
	part        *Partition
	leaderEpoch int32
	fetchOffset int64
	retried     bool // after leaderBehind errors
}

type sentKey struct {
	topicID   [16]byte
	topic     string
	partition int32
}

// fetchOnce sends one Fetch for parts and applies the response. An error
// is about the connection or the whole request; partition errors are
// handled per partition. due, if not zero, is when the first partition set
// aside is due again: the leader answers by then, so that it joins the
// next Fetch on time.
func (f *fetcher) fetchOnce(ctx context.Context, conn *brokerConn, parts map[TopicPartition]*Partition, due time.Duration) error {
	version, _ := conn.version(1, maxReplicaFetchVersion, minReplicaFetchVersion)
	img := f.m.image()
	cfg := f.m.cfg
	req := kmsg.NewPtrFetchRequest()
	req.Version = version
	req.ReplicaID = cfg.NodeID
	req.ReplicaState.ID = cfg.NodeID
	req.ReplicaState.Epoch = brokerEpoch(img, cfg.NodeID)
	req.MaxWaitMillis = int32(cfg.ReplicaFetchWaitMax / time.Millisecond)
	if due > 0 && due < cfg.ReplicaFetchWaitMax {
		// Rounded up: a wait of 0 would have the leader answer at once,
		// again and again until the partition is due.
		req.MaxWaitMillis = int32((due + time.Millisecond - 1) / time.Millisecond)
	}
	req.MinBytes = cfg.ReplicaFetchMinBytes
	req.MaxBytes = cfg.ReplicaFetchResponseMaxBytes
	req.SessionID, req.SessionEpoch = 0, -1 // a full fetch every time, no session

	sent := make(map[sentKey]*sentPartition, len(parts))
	topicIdx := map[string]int{}
	for tp, part := range parts {
		leader, epoch, ok := part.followTarget()
		if !ok || leader != f.source {
			continue // the manager is moving it elsewhere
		}
		leo, lastEpoch, logStart := part.fetchPosition()
		i, ok := topicIdx[tp.Topic]
		if !ok {
			i = len(req.Topics)
			topicIdx[tp.Topic] = i
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID = tp.Topic, part.TopicID
			req.Topics = append(req.Topics, t)
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.CurrentLeaderEpoch = epoch
		rp.FetchOffset = leo
		rp.LastFetchedEpoch = lastEpoch
		rp.LogStartOffset = logStart
		rp.PartitionMaxBytes = cfg.ReplicaFetchMaxBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
		sent[f.key(version, tp.Topic, part.TopicID, tp.Partition)] = &sentPartition{tp: tp, part: part, leaderEpoch: epoch, fetchOffset: leo}
	}
	if len(sent) == 0 {
		wait := cfg.ReplicaFetchBackoff
		if due > 0 && due < wait {
			wait = due
		}
		f.idle(ctx, wait)
		return nil
	}
	f.markRetried(sent)
	rctx, done := f.sending(ctx, parts)
	if rctx.Err() != nil && ctx.Err() == nil {
		done()
		return nil // a partition was added: build the request again
	}
	kresp, err := conn.roundTrip(rctx, req, cfg.ReplicaFetchWaitMax+cfg.ReplicaSocketTimeout)
	aborted := rctx.Err() != nil && ctx.Err() == nil
	done()
	if err != nil {
		if aborted {
			return errFetchAborted
		}
		return err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	for _, t := range resp.Topics {
		for i := range t.Partitions {
			rp := &t.Partitions[i]
			s := sent[f.key(version, t.Topic, t.TopicID, rp.Partition)]
			if s == nil {
				continue
			}
			if err := f.handlePartition(ctx, conn, s, rp); err != nil {
				return err
			}
		}
	}
	return nil
}

// key names a partition of a fetch the way the response will: by topic
// id from v13, by name before.
func (f *fetcher) key(version int16, topic string, id [16]byte, partition int32) sentKey {
	if version >= 13 {
		return sentKey{topicID: id, partition: partition}
	}
	return sentKey{topic: topic, partition: partition}
}

// handlePartition applies one partition of a fetch response. Only an
// error that breaks the connection is returned.
func (f *fetcher) handlePartition(ctx context.Context, conn *brokerConn, s *sentPartition, rp *kmsg.FetchResponseTopicPartition) error {
	if f.fetching(s.tp) != s.part {
		return nil // removed or replaced while the fetch was out
	}
	lg := f.log.With("topic", s.tp.Topic, "partition", s.tp.Partition)
	backoff := f.m.cfg.ReplicaFetchBackoff
	err := kerr.ErrorForCode(rp.ErrorCode)
	if s.retried && !leaderBehind(err) {
		f.caughtUp(s.tp, s.part) // the leader knows the partition now
	}
	switch {
	case err == nil && rp.DivergingEpoch.Epoch >= 0 && rp.DivergingEpoch.EndOffset >= 0:
		to, err := s.part.truncateDiverging(f.source, s.leaderEpoch, rp.DivergingEpoch.Epoch, rp.DivergingEpoch.EndOffset)
		switch {
		case errors.Is(err, errStaleFetch):
		case err != nil:
			lg.Error("truncating divergent log", "err", err)
			f.delay(s.tp, s.part, backoff)
		default:
			lg.Info("truncated divergent log", "offset", to, "fetch_offset", s.fetchOffset,
				"diverging_epoch", rp.DivergingEpoch.Epoch, "leader_end_offset", rp.DivergingEpoch.EndOffset)
		}
	case err == nil:
		if _, err := s.part.appendFromLeader(f.source, s.leaderEpoch, rp.RecordBatches, rp.HighWatermark, rp.LogStartOffset); err != nil && !errors.Is(err, errStaleFetch) {
			lg.Error("appending fetched data", "offset", s.fetchOffset, "err", err)
			f.delay(s.tp, s.part, backoff)
		}
	case errors.Is(err, kerr.OffsetOutOfRange):
		return f.handleOutOfRange(ctx, conn, s, lg)
	case leaderBehind(err):
		lg.Debug("fetch error; the leader may not know the partition yet", "err", err)
		f.retrySoon(s.tp, s.part, backoff)
	default:
		lg.Debug("fetch error", "err", err)
		f.delay(s.tp, s.part, backoff)
	}
	return nil
}

// handleOutOfRange asks the leader for its log end and start offsets
// (ListOffsets with our replica id, so "latest" is its log end offset) and
// moves our log accordingly (see resetOutOfRange).
func (f *fetcher) handleOutOfRange(ctx context.Context, conn *brokerConn, s *sentPartition, lg *slog.Logger) error {
	end, err := f.listOffset(ctx, conn, s, -1)
	if err != nil {
		return err
	}
	start, err := f.listOffset(ctx, conn, s, -2)
	if err != nil {
		return err
	}
	if end < 0 || start < 0 {
		f.delay(s.tp, s.part, f.m.cfg.ReplicaFetchBackoff)
		return nil
	}
	leo, err := s.part.resetOutOfRange(f.source, s.leaderEpoch, start, end)
	switch {
	case errors.Is(err, errStaleFetch):
	case err != nil:
		lg.Error("resetting out-of-range log", "err", err)
		f.delay(s.tp, s.part, f.m.cfg.ReplicaFetchBackoff)
	default:
		lg.Warn("fetch offset out of range on the leader; log reset", "fetch_offset", s.fetchOffset,
			"leader_log_start", start, "leader_log_end", end, "offset", leo)
	}
	return nil
}

// listOffset asks the leader for one offset of one partition (timestamp
// -1 latest, -2 earliest). A partition-level error answers -1.
func (f *fetcher) listOffset(ctx context.Context, conn *brokerConn, s *sentPartition, ts int64) (int64, error) {
	version, ok := conn.version(2, 7, 1)
	if !ok {
		return -1, fmt.Errorf("broker %d does not serve ListOffsets v1+", f.source)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = version
	req.ReplicaID = f.m.cfg.NodeID
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = s.tp.Topic
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Partition = s.tp.Partition
	p.CurrentLeaderEpoch = s.leaderEpoch
	p.Timestamp = ts
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	kresp, err := conn.roundTrip(ctx, req, f.m.cfg.ReplicaSocketTimeout)
	if err != nil {
		return -1, err
	}
	resp := kresp.(*kmsg.ListOffsetsResponse)
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rt.Topic == s.tp.Topic && rp.Partition == s.tp.Partition && rp.ErrorCode == 0 {
				return rp.Offset, nil
			}
		}
	}
	return -1, nil
}

// brokerEpoch returns broker id's epoch in img, or -1.
func brokerEpoch(img *metadata.Image, id int32) int64 {
	if img == nil {
		return -1
	}
	if b := img.Brokers[id]; b != nil {
		return b.Epoch
	}
	return -1
}
