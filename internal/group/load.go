package group

import (
	"context"
	"fmt"
	"slices"

	"github.com/kafkakit/kafkakit/internal/record"
)

// Load makes this coordinator the owner of a __consumer_offsets partition,
// called when the broker becomes its leader: the partition is replayed
// (requests for its groups get COORDINATOR_LOAD_IN_PROGRESS meanwhile), its
// groups and offsets rebuilt, and then served. Loaded members must heartbeat
// within their session timeout or are removed, as in Kafka. Loading a
// partition that is already loaded or loading does nothing.
//
// If the partition cannot be read or holds a record that cannot be decoded,
// Load returns the error and the partition stays unowned (NOT_COORDINATOR):
// serving it without the lost state could hand out stale offsets. Records
// of other group types (KIP-848 consumer groups, share groups) are skipped.
func (c *Coordinator) Load(ctx context.Context, partition int32) error {
	c.mu.Lock()
	if c.isClosed() {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.parts[partition] != nil {
		c.mu.Unlock()
		return nil
	}
	c.epoch++
	epoch := c.epoch
	c.parts[partition] = &partitionState{loading: true, epoch: epoch}
	c.mu.Unlock()

	groups, err := c.replay(ctx, partition)

	c.mu.Lock()
	ps := c.parts[partition]
	if ps == nil || ps.epoch != epoch {
		// Unloaded while loading: the state is not ours any more.
		c.mu.Unlock()
		return nil
	}
	if err != nil {
		delete(c.parts, partition)
		c.mu.Unlock()
		return fmt.Errorf("load __consumer_offsets-%d: %w", partition, err)
	}
	for _, g := range groups {
		c.groups[g.id] = g
	}
	ps.loading = false
	c.mu.Unlock()

	offsets := 0
	for _, g := range groups {
		g.mu.Lock()
		offsets += len(g.offsets)
		c.onGroupLoaded(g)
		g.mu.Unlock()
	}
	c.log.Info("loaded __consumer_offsets partition", "partition", partition, "groups", len(groups), "offsets", offsets)
	return nil
}

// onGroupLoaded starts a loaded group's session timers and, if the group is
// larger than group.max.size, rebalances it so the extra members are shed.
func (c *Coordinator) onGroupLoaded(g *group) {
	if g.is(stateDead) {
		return
	}
	if g.size() > c.cfg.MaxGroupSize {
		c.prepareRebalance(g, "freshly-loaded group is over capacity")
	}
	for _, m := range g.order {
		c.scheduleHeartbeat(g, m)
	}
}

// Unload gives up a __consumer_offsets partition, called when the broker is
// no longer its leader: its groups are dropped (they become Dead), members
// waiting in JoinGroup or SyncGroup get NOT_COORDINATOR so they look up the
// new coordinator, and timers stop.
func (c *Coordinator) Unload(partition int32) {
	c.mu.Lock()
	delete(c.parts, partition)
	var groups []*group
	for id, g := range c.groups {
		if g.partition == partition {
			groups = append(groups, g)
			delete(c.groups, id)
		}
	}
	c.mu.Unlock()

	for _, g := range groups {
		g.mu.Lock()
		c.transition(g, stateDead)
		for _, m := range g.order {
			g.maybeInvokeJoin(m, joinError(m.id, errNotCoordinator))
			g.maybeInvokeSync(m, syncError(errNotCoordinator))
		}
		c.stopGroupTimers(g)
		g.mu.Unlock()
	}
	if len(groups) > 0 {
		c.log.Info("unloaded __consumer_offsets partition", "partition", partition, "groups", len(groups))
	}
}

// stopGroupTimers disarms every timer of a group that is going away.
func (c *Coordinator) stopGroupTimers(g *group) {
	g.joinOp.stop()
	g.joinOp = nil
	g.syncOp.stop()
	g.syncOp = nil
	for _, m := range g.order {
		m.stopHeartbeat()
	}
	for id := range g.pending {
		g.removePending(id)
	}
}

// groupOffsetKey is an offset commit key across groups, used while loading.
type groupOffsetKey struct {
	group string
	tp    topicPartition
}

// loader accumulates the state of one partition while it is replayed, with
// Kafka's rules: the last record for a key wins, a tombstone deletes, and
// transactional commits count only once their COMMIT marker is read.
type loader struct {
	partition  int32
	offsets    map[groupOffsetKey]offsetEntry
	pendingTxn map[int64]map[groupOffsetKey]offsetEntry // by producer id
	groups     map[string]*group
	skipped    int // records of other group types
}

func newLoader(partition int32) *loader {
	return &loader{
		partition:  partition,
		offsets:    make(map[groupOffsetKey]offsetEntry),
		pendingTxn: make(map[int64]map[groupOffsetKey]offsetEntry),
		groups:     make(map[string]*group),
	}
}

// addChunk applies one chunk handed out by Storage.Replay: whole batches.
func (l *loader) addChunk(chunk []byte) error {
	it := record.NewIterator(chunk)
	for it.Next() {
		e := it.Entry()
		b, ok := e.Batch()
		if !ok {
			return fmt.Errorf("entry at offset %d: magic %d message sets are not supported in __consumer_offsets", e.LastOffset(), e.Magic)
		}
		if !b.ValidCRC() {
			return fmt.Errorf("batch at offset %d: %w", b.BaseOffset, record.ErrBadCRC)
		}
		if err := l.addBatch(b); err != nil {
			return fmt.Errorf("batch at offset %d: %w", b.BaseOffset, err)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if n := it.Trailing(); n > 0 {
		return fmt.Errorf("%d bytes of a partial batch after offset position %d", n, it.Position())
	}
	return nil
}

func (l *loader) addBatch(b record.Batch) error {
	if b.IsControl() {
		return b.EachRecord(func(r *record.Record) error {
			k, err := record.ParseControlKey(r.Key)
			if err != nil {
				return err
			}
			switch k.Type {
			case record.ControlCommit:
				for key, e := range l.pendingTxn[b.ProducerID] {
					if cur, ok := l.offsets[key]; !ok || cur.logOffset < e.logOffset {
						l.offsets[key] = e
					}
				}
				delete(l.pendingTxn, b.ProducerID)
			case record.ControlAbort:
				delete(l.pendingTxn, b.ProducerID)
			}
			return nil
		})
	}
	txn := b.IsTransactional()
	logOffset := b.LastOffset()
	return b.EachRecord(func(r *record.Record) error {
		if r.Key == nil {
			return fmt.Errorf("%w: record at offset %d has no key", errBadRecord, r.Offset)
		}
		k, err := decodeKey(r.Key)
		if err != nil {
			return fmt.Errorf("record at offset %d: %w", r.Offset, err)
		}
		switch {
		case k.isOffset():
			key := groupOffsetKey{k.group, k.tp}
			target := l.offsets
			if txn {
				if l.pendingTxn[b.ProducerID] == nil {
					l.pendingTxn[b.ProducerID] = make(map[groupOffsetKey]offsetEntry)
				}
				target = l.pendingTxn[b.ProducerID]
			}
			if r.Value == nil {
				delete(target, key)
				return nil
			}
			e, err := decodeOffsetValue(r.Value)
			if err != nil {
				return fmt.Errorf("record at offset %d: %w", r.Offset, err)
			}
			e.logOffset = logOffset
			target[key] = e
		case k.isGroup():
			if r.Value == nil {
				delete(l.groups, k.group)
				return nil
			}
			g, err := decodeGroupValue(k.group, l.partition, r.Value)
			if err != nil {
				return fmt.Errorf("record at offset %d: %w", r.Offset, err)
			}
			l.groups[k.group] = g
		default:
			l.skipped++
		}
		return nil
	})
}

// result builds the partition's groups: those with metadata, plus an Empty
// group for each id that only has offsets (a group that uses Kafka only to
// store offsets).
func (l *loader) result(nowMs int64) []*group {
	groups := l.groups
	for key, e := range l.offsets {
		g := groups[key.group]
		if g == nil {
			g = newGroup(key.group, l.partition, nowMs)
			groups[key.group] = g
		}
		g.offsets[key.tp] = e
	}
	out := make([]*group, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out
}

func (c *Coordinator) replay(ctx context.Context, partition int32) ([]*group, error) {
	l := newLoader(partition)
	if err := c.st.Replay(ctx, partition, l.addChunk); err != nil {
		return nil, err
	}
	if l.skipped > 0 {
		c.log.Warn("skipped records of other group types while loading", "partition", partition, "records", l.skipped)
	}
	if n := len(l.pendingTxn); n > 0 {
		c.log.Warn("ignoring offsets of transactions still open at the end of the partition", "partition", partition, "producers", n)
	}
	groups := l.result(c.nowMs())
	kept := groups[:0]
	for _, g := range groups {
		if p := c.PartitionFor(g.id); p != partition {
			// offsets.topic.num.partitions must never change; a group found
			// in the wrong partition cannot be served consistently.
			c.log.Warn("ignoring group stored in the wrong partition", "group", g.id, "partition", partition, "expected_partition", p)
			continue
		}
		kept = append(kept, g)
	}
	return kept, nil
}
