package log

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// maxBatchesPerProducer is how many recent batches Kafka remembers per
// producer for duplicate detection; it matches the producer's limit of five
// in-flight requests.
const maxBatchesPerProducer = 5

// batchMeta is one remembered batch of an idempotent producer.
type batchMeta struct {
	firstSeq, lastSeq       int32
	firstOffset, lastOffset int64
	timestamp               int64 // the batch's max timestamp after validation
}

// producerEntry is the state of one producer id, as Kafka's
// ProducerStateEntry.
type producerEntry struct {
	epoch                 int16
	batches               []batchMeta // oldest first, at most maxBatchesPerProducer
	coordinatorEpoch      int32
	lastTimestamp         int64
	currentTxnFirstOffset int64 // -1 when no transaction is open
}

func (e *producerEntry) lastSeq() int32 {
	if len(e.batches) == 0 {
		return -1
	}
	return e.batches[len(e.batches)-1].lastSeq
}

func (e *producerEntry) clone() *producerEntry {
	c := *e
	c.batches = slices.Clone(e.batches)
	return &c
}

// addBatch records a batch, resetting the history when the epoch changes.
func (e *producerEntry) addBatch(epoch int16, m batchMeta) {
	if epoch != e.epoch {
		e.epoch = epoch
		e.batches = e.batches[:0]
	}
	if len(e.batches) == maxBatchesPerProducer {
		e.batches = append(e.batches[:0], e.batches[1:]...)
	}
	e.batches = append(e.batches, m)
	e.lastTimestamp = m.timestamp
}

// duplicateOf returns the remembered batch with exactly this epoch and
// sequence range, as Kafka's ProducerStateEntry.findDuplicateBatch.
func (e *producerEntry) duplicateOf(epoch int16, firstSeq, lastSeq int32) (batchMeta, bool) {
	if epoch != e.epoch {
		return batchMeta{}, false
	}
	for _, b := range e.batches {
		if b.firstSeq == firstSeq && b.lastSeq == lastSeq {
			return b, true
		}
	}
	return batchMeta{}, false
}

// ProducerState describes one producer id for DescribeProducers.
type ProducerState struct {
	ProducerID            int64
	ProducerEpoch         int16
	LastSequence          int32
	LastTimestamp         int64
	CoordinatorEpoch      int32
	CurrentTxnStartOffset int64 // -1 when no transaction is open
}

// producerStateManager is the per-partition table of idempotent and
// transactional producers, guarded by the owning Log's lock. mapEndOffset
// is the offset up to which the log has been applied to the table.
type producerStateManager struct {
	producers    map[int64]*producerEntry
	mapEndOffset int64
}

func newProducerStateManager() *producerStateManager {
	return &producerStateManager{producers: map[int64]*producerEntry{}}
}

// batchInfo is what producer state needs from a batch header.
type producerBatch struct {
	producerID    int64
	epoch         int16
	baseSequence  int32
	lastSequence  int32
	baseOffset    int64
	lastOffset    int64
	maxTimestamp  int64
	transactional bool
	control       bool
	// coordinatorEpoch is the coordinator epoch of a COMMIT or ABORT
	// marker, -1 when the batch is not one or was not decoded.
	coordinatorEpoch int32
}

// appendChecker validates and stages the batches of one append against the
// table without changing it; commit applies the staged entries. It mirrors
// Kafka's ProducerAppendInfo.
type appendChecker struct {
	psm        *producerStateManager
	validate   bool // client appends check sequences and epochs
	coordWrite bool // coordinator appends check epochs only
	staged     map[int64]*producerEntry
}

func (p *producerStateManager) checker(validate, coordinator bool) *appendChecker {
	return &appendChecker{psm: p, validate: validate, coordWrite: coordinator, staged: map[int64]*producerEntry{}}
}

// current returns the staged entry for pid, creating it from the table (or
// empty, with epoch -1) on first use, plus whether the producer was known
// before this append.
func (c *appendChecker) current(pid int64) (*producerEntry, *producerEntry) {
	orig := c.psm.producers[pid]
	if e, ok := c.staged[pid]; ok {
		return e, orig
	}
	var e *producerEntry
	if orig != nil {
		e = orig.clone()
		// Like Kafka's updatedEntry, the staged copy starts without batch
		// history so sequence checks can tell "first batch of this append"
		// from later ones; commit merges histories.
		e.batches = nil
	} else {
		e = &producerEntry{epoch: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: -1}
	}
	c.staged[pid] = e
	return e, orig
}

// add validates one batch and stages its effect.
func (c *appendChecker) add(b producerBatch) error {
	e, orig := c.current(b.producerID)
	checkEpoch := c.validate || c.coordWrite
	if b.epoch < e.epoch && checkEpoch {
		return invalid(ErrInvalidProducerEpoch, "epoch of producer %d at offset %d is %d, which is smaller than the last seen epoch %d",
			b.producerID, b.baseOffset, b.epoch, e.epoch)
	}
	if b.control {
		// A transaction marker ends the producer's open transaction.
		if b.coordinatorEpoch >= 0 {
			if e.coordinatorEpoch > b.coordinatorEpoch && checkEpoch {
				return invalid(ErrTransactionCoordinatorFenced, "invalid coordinator epoch for producerId %d at offset %d: %d (zombie), %d (current)",
					b.producerID, b.baseOffset, b.coordinatorEpoch, e.coordinatorEpoch)
			}
			e.coordinatorEpoch = b.coordinatorEpoch
		}
		if b.epoch > e.epoch || e.epoch == -1 {
			e.epoch = b.epoch
			e.batches = nil
		}
		e.currentTxnFirstOffset = -1
		e.lastTimestamp = b.maxTimestamp
		return nil
	}
	if c.validate {
		if err := c.checkSequence(b, e, orig); err != nil {
			return err
		}
	}
	e.addBatch(b.epoch, batchMeta{
		firstSeq: b.baseSequence, lastSeq: b.lastSequence,
		firstOffset: b.baseOffset, lastOffset: b.lastOffset, timestamp: b.maxTimestamp,
	})
	switch {
	case e.currentTxnFirstOffset >= 0 && !b.transactional:
		if c.validate || c.coordWrite {
			return invalid(ErrInvalidTxnState, "expected transactional write from producer %d at offset %d", b.producerID, b.baseOffset)
		}
	case e.currentTxnFirstOffset < 0 && b.transactional:
		e.currentTxnFirstOffset = b.baseOffset
	}
	return nil
}

// checkSequence applies Kafka 3.9's rules (ProducerAppendInfo.checkSequence)
// for a producer without transaction verification.
func (c *appendChecker) checkSequence(b producerBatch, staged, orig *producerEntry) error {
	if b.epoch != staged.epoch {
		// A new epoch must start at sequence 0, unless the producer was
		// unknown (KIP-360: any first sequence is accepted then).
		if b.baseSequence != 0 && staged.epoch != -1 {
			return invalid(ErrOutOfOrderSequence, "invalid sequence number for new epoch of producer %d at offset %d: %d (request epoch), %d (seq. number), %d (current producer epoch)",
				b.producerID, b.baseOffset, b.epoch, b.baseSequence, staged.epoch)
		}
		return nil
	}
	var lastSeq int32 = -1
	switch {
	case len(staged.batches) > 0:
		lastSeq = staged.lastSeq()
	case orig != nil && orig.epoch == b.epoch:
		lastSeq = orig.lastSeq()
	}
	origEpoch := int16(-1)
	if orig != nil {
		origEpoch = orig.epoch
	}
	if origEpoch == -1 || inSequence(lastSeq, b.baseSequence) {
		return nil
	}
	return invalid(ErrOutOfOrderSequence, "out of order sequence number for producer %d at offset %d: %d (incoming seq. number), %d (current end sequence number)",
		b.producerID, b.baseOffset, b.baseSequence, lastSeq)
}

func inSequence(lastSeq, nextSeq int32) bool {
	return int64(nextSeq) == int64(lastSeq)+1 || (nextSeq == 0 && lastSeq == math.MaxInt32)
}

// commit applies the staged entries to the table.
func (c *appendChecker) commit() {
	for pid, staged := range c.staged {
		cur := c.psm.producers[pid]
		if cur == nil {
			c.psm.producers[pid] = staged
			continue
		}
		if staged.epoch != cur.epoch {
			cur.epoch = staged.epoch
			cur.batches = cur.batches[:0]
		}
		for _, b := range staged.batches {
			cur.addBatch(staged.epoch, b)
		}
		cur.coordinatorEpoch = staged.coordinatorEpoch
		cur.lastTimestamp = staged.lastTimestamp
		cur.currentTxnFirstOffset = staged.currentTxnFirstOffset
	}
}

// findDuplicate looks a client batch up in the remembered history.
func (p *producerStateManager) findDuplicate(pid int64, epoch int16, firstSeq, lastSeq int32) (batchMeta, bool) {
	e := p.producers[pid]
	if e == nil {
		return batchMeta{}, false
	}
	return e.duplicateOf(epoch, firstSeq, lastSeq)
}

// snapshotEntries renders the table for a .snapshot file, sorted by
// producer id.
func (p *producerStateManager) snapshotEntries() []ProducerSnapshotEntry {
	out := make([]ProducerSnapshotEntry, 0, len(p.producers))
	for pid, e := range p.producers {
		s := ProducerSnapshotEntry{
			ProducerID: pid, Epoch: e.epoch, LastSequence: -1, LastOffset: -1,
			Timestamp: e.lastTimestamp, CoordinatorEpoch: e.coordinatorEpoch,
			CurrentTxnFirstOffset: e.currentTxnFirstOffset,
		}
		if n := len(e.batches); n > 0 {
			last := e.batches[n-1]
			s.LastSequence = last.lastSeq
			s.LastOffset = last.lastOffset
			s.OffsetDelta = int32(last.lastOffset - last.firstOffset)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b ProducerSnapshotEntry) int { return cmp.Compare(a.ProducerID, b.ProducerID) })
	return out
}

// loadSnapshot replaces the table with a snapshot's entries, dropping
// producers already expired at now, as Kafka's loadFromSnapshot does.
func (p *producerStateManager) loadSnapshot(entries []ProducerSnapshotEntry, offset int64, nowMs, expirationMs int64) {
	p.producers = make(map[int64]*producerEntry, len(entries))
	for _, s := range entries {
		e := &producerEntry{
			epoch: s.Epoch, coordinatorEpoch: s.CoordinatorEpoch,
			lastTimestamp: s.Timestamp, currentTxnFirstOffset: s.CurrentTxnFirstOffset,
		}
		if s.LastSequence >= 0 {
			e.batches = []batchMeta{{
				firstSeq:    decrementSequence(s.LastSequence, s.OffsetDelta),
				lastSeq:     s.LastSequence,
				firstOffset: s.LastOffset - int64(s.OffsetDelta),
				lastOffset:  s.LastOffset,
				timestamp:   s.Timestamp,
			}}
		}
		if e.expired(nowMs, expirationMs) {
			continue
		}
		p.producers[s.ProducerID] = e
	}
	p.mapEndOffset = offset
}

func (e *producerEntry) expired(nowMs, expirationMs int64) bool {
	return e.currentTxnFirstOffset < 0 && nowMs-e.lastTimestamp >= expirationMs
}

// removeExpired drops producers idle for expirationMs with no open
// transaction and reports how many were removed.
func (p *producerStateManager) removeExpired(nowMs, expirationMs int64) int {
	n := 0
	for pid, e := range p.producers {
		if e.expired(nowMs, expirationMs) {
			delete(p.producers, pid)
			n++
		}
	}
	return n
}

// reset empties the table and sets its end offset.
func (p *producerStateManager) reset(offset int64) {
	p.producers = map[int64]*producerEntry{}
	p.mapEndOffset = offset
}

// firstUnstableOffset returns the start of the oldest open transaction, or
// -1 when none is open.
func (p *producerStateManager) firstUnstableOffset() int64 {
	first := int64(-1)
	for _, e := range p.producers {
		if e.currentTxnFirstOffset >= 0 && (first < 0 || e.currentTxnFirstOffset < first) {
			first = e.currentTxnFirstOffset
		}
	}
	return first
}

func (p *producerStateManager) describe(pid int64) (ProducerState, bool) {
	e := p.producers[pid]
	if e == nil {
		return ProducerState{}, false
	}
	return ProducerState{
		ProducerID: pid, ProducerEpoch: e.epoch, LastSequence: e.lastSeq(),
		LastTimestamp: e.lastTimestamp, CoordinatorEpoch: e.coordinatorEpoch,
		CurrentTxnStartOffset: e.currentTxnFirstOffset,
	}, true
}

// decrementSequence subtracts d from a producer sequence, wrapping below 0
// to MaxInt32 as Kafka's DefaultRecordBatch.decrementSequence does.
func decrementSequence(seq, d int32) int32 {
	if seq < d {
		return math.MaxInt32 - (d - seq) + 1
	}
	return seq - d
}

func (b producerBatch) String() string {
	return fmt.Sprintf("producer %d epoch %d seq [%d,%d] offsets [%d,%d]", b.producerID, b.epoch, b.baseSequence, b.lastSequence, b.baseOffset, b.lastOffset)
}
