package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/kafkakit/kafkakit/internal/record"
)

// inBatch is one batch of an append: its bytes inside the caller's buffer
// and its parsed header.
type inBatch struct {
	raw []byte
	hdr record.Header
	// maxTimestamp is the largest record timestamp found while validating
	// (what Kafka writes back as the batch's MaxTimestamp), or the header's
	// for replicated batches.
	maxTimestamp int64
}

func producerBatchOf(h record.Header) producerBatch {
	return producerBatch{
		producerID: h.ProducerID, epoch: h.ProducerEpoch,
		baseSequence: h.BaseSequence, lastSequence: h.LastSequence(),
		baseOffset: h.BaseOffset, lastOffset: h.LastOffset(), maxTimestamp: h.MaxTimestamp,
		transactional: h.IsTransactional(), control: h.IsControl(), coordinatorEpoch: -1,
	}
}

// producerBatchOfRaw is producerBatchOf for a whole batch: a transaction
// marker's coordinator epoch is read from its control record.
func producerBatchOfRaw(h record.Header, raw []byte) producerBatch {
	pb := producerBatchOf(h)
	if !h.IsControl() {
		return pb
	}
	errDone := errors.New("done")
	(record.Batch{Header: h, Raw: raw}).EachRecord(func(r *record.Record) error {
		k, err := record.ParseControlKey(r.Key)
		if err == nil && (k.Type == record.ControlAbort || k.Type == record.ControlCommit) {
			if m, err := record.ParseEndTxnMarker(r.Value); err == nil {
				pb.coordinatorEpoch = m.CoordinatorEpoch
			}
		}
		return errDone
	})
	return pb
}

// Append validates and writes batches, a sequence of whole v2 record
// batches as they arrive in a produce request or a follower fetch.
//
// A client (or coordinator) append must hold exactly one batch, as Kafka's
// LogValidator requires for magic 2. It is validated completely before
// anything is written: magic 2 only (ErrUnsupportedMagic), base offset 0,
// size at most max.message.bytes (ErrMessageTooLarge), CRC
// (ErrCorruptMessage), record count consistent with the offset range and
// offset deltas 0, 1, … (ErrInvalidRecord), no control batches from clients,
// a sequence whenever there is a producer id, record timestamps inside the
// allowed window (ErrInvalidTimestamp), keys on compacted topics. When
// compression.type names a codec other than the batch's, the records are
// re-encoded in that codec (offset deltas, timestamps, headers and producer
// fields kept, CRC recomputed) and max.message.bytes applies again to the
// rewritten batch, as in Kafka's LogValidator. Offsets are then assigned by
// rewriting the batch's base offset in place (the caller's buffer is
// modified unless the batch was re-encoded), the partition leader epoch is
// stamped, and on LogAppendTime topics the broker time is written into the
// batch.
// Idempotent producers are checked as Kafka 3.9 does; a retry of one of a
// producer's last five batches is not written again and returns the
// original offsets with Duplicate set.
//
// A replicated append keeps the leader's offsets and epochs; batches must
// have valid CRCs, increasing offsets and start at or after the log end
// offset (ErrUnexpectedAppendOffset).
//
// Append holds the log's append lock throughout, so appends (and whatever
// else changes the log's segments) happen one at a time. A client batch is
// written to the active segment without the partition lock: the lock is
// taken to assign its offsets and reserve its place, released for the
// write, and taken again to make the batch visible (segment size, indexes,
// log end offset), so reads, offset lookups and high watermark updates are
// not held up by the write. Replicated appends are written under the lock.
// The fsync that a roll or flush.messages calls for happens after both
// locks are released.
func (l *Log) Append(data []byte, info AppendInfo) (AppendResult, error) {
	cfg := l.config()
	// A produce request holds one batch: keep it on the stack.
	var one [1]inBatch
	batches, err := splitBatches(one[:0], data)
	if err != nil {
		return AppendResult{}, err
	}
	if len(batches) == 0 {
		return AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: l.LogStartOffset()}, nil
	}
	if info.Replicated {
		err = validateReplicated(batches)
	} else {
		err = l.validateClient(batches, cfg, info)
	}
	if err != nil {
		return AppendResult{}, err
	}

	var res AppendResult
	var fl flushPlan
	l.appendMu.Lock()
	l.mu.Lock()
	if info.Replicated {
		res, fl, err = l.appendLocked(batches, cfg, info)
		l.startRollFlushLocked(fl, err)
		l.mu.Unlock()
	} else {
		// The producer-state checker is kept apart from w: w's segment
		// escapes, and the checker must not go with it.
		chk := l.producers.checker(!info.Coordinator, info.Coordinator)
		w := pendingWrite{b: &batches[0]}
		err = l.reserveLocked(&w, chk, cfg, info)
		l.mu.Unlock()
		res = w.res
		if err == nil && w.seg != nil {
			if l.writeHook != nil {
				l.writeHook()
			}
			werr := w.seg.write(w.b.raw, w.pos)
			l.mu.Lock()
			res, fl, err = l.commitLocked(&w, chk, werr, cfg, info)
			l.startRollFlushLocked(fl, err)
			l.mu.Unlock()
		}
	}
	l.appendMu.Unlock()
	if err != nil {
		return AppendResult{}, err
	}
	if fl.due > 0 {
		// flush.messages reached: fsync before answering, as Kafka does.
		if err := l.flushUpTo(fl.due); err != nil {
			return res, err
		}
	}
	return res, nil
}

// startRollFlushLocked starts the background fsync of the segments a
// roll left behind, like Kafka's scheduled "flush-log" task: the producer
// does not wait for it.
func (l *Log) startRollFlushLocked(fl flushPlan, err error) {
	if fl.rolledTo > 0 && err == nil && !l.closed {
		l.bg.Add(1)
		go l.backgroundFlush(fl.rolledTo)
	}
}

// flushPlan says which flushes an append calls for: rolledTo, the base of a
// new segment whose predecessors are to be fsynced in the background; due,
// the offset up to which flush.messages requires an fsync now.
type flushPlan struct {
	rolledTo int64
	due      int64
}

// backgroundFlush fsyncs up to offset; a failure takes the log offline, as
// an I/O error takes a Kafka log directory offline.
func (l *Log) backgroundFlush(offset int64) {
	defer l.bg.Done()
	if err := l.flushUpTo(offset); err != nil {
		l.logger.Error("flush after roll", "offset", offset, "err", err)
		l.mu.Lock()
		if l.failed == nil {
			l.failed = err
		}
		l.mu.Unlock()
	}
}

// splitBatches cuts data into whole v2 batches, appending them to out.
func splitBatches(out []inBatch, data []byte) ([]inBatch, error) {
	it := record.NewIterator(data)
	for it.Next() {
		e := it.Entry()
		if e.Magic != 2 {
			return nil, invalid(ErrUnsupportedMagic, "batch at position %d has magic %d; only magic 2 is accepted", e.Position, e.Magic)
		}
		out = append(out, inBatch{raw: e.Raw, hdr: e.Header, maxTimestamp: e.Header.MaxTimestamp})
	}
	if err := it.Err(); err != nil {
		return nil, invalid(ErrCorruptMessage, "%v", err)
	}
	if t := it.Trailing(); t > 0 {
		return nil, invalid(ErrCorruptMessage, "%d bytes after the last complete batch", t)
	}
	return out, nil
}

func validateReplicated(batches []inBatch) error {
	prev := int64(-1)
	for i, b := range batches {
		if !record.ValidCRC(b.raw) {
			return invalid(ErrCorruptMessage, "record is corrupt (stored crc = %d) in batch %d", b.hdr.CRC, i)
		}
		if b.hdr.BaseOffset <= prev || b.hdr.LastOffsetDelta < 0 {
			return invalid(ErrInvalidRecord, "out of order offsets in replicated append: batch %d starts at %d after %d", i, b.hdr.BaseOffset, prev)
		}
		prev = b.hdr.LastOffset()
	}
	return nil
}

// validateClient runs the checks of Kafka's analyzeAndValidateRecords and
// LogValidator that do not depend on the log's state.
func (l *Log) validateClient(batches []inBatch, cfg Config, info AppendInfo) error {
	if len(batches) > 1 {
		return invalid(ErrInvalidRecord, "produce requests with magic 2 must contain exactly one record batch, got %d", len(batches))
	}
	b := &batches[0]
	h := b.hdr
	name := l.name()
	if h.BaseOffset != 0 && !info.Coordinator {
		return invalid(ErrInvalidRecord, "the baseOffset of the record batch in the append to %s should be 0, but it is %d", name, h.BaseOffset)
	}
	if len(b.raw) > int(cfg.MaxMessageBytes) {
		return invalid(ErrMessageTooLarge, "the record batch size in the append to %s is %d bytes which exceeds the maximum configured value of %d", name, len(b.raw), cfg.MaxMessageBytes)
	}
	if !record.ValidCRC(b.raw) {
		return invalid(ErrCorruptMessage, "record is corrupt (stored crc = %d) in topic partition %s", h.CRC, name)
	}
	if !h.Codec().Valid() {
		return invalid(ErrInvalidRecord, "unknown compression codec %d in topic partition %s", h.Codec(), name)
	}
	if h.LastOffsetDelta < 0 {
		return invalid(ErrInvalidRecord, "batch has an invalid offset range: [%d, %d] in topic partition %s", h.BaseOffset, h.LastOffset(), name)
	}
	if h.NumRecords <= 0 {
		return invalid(ErrInvalidRecord, "invalid reported count for record batch: %d in topic partition %s", h.NumRecords, name)
	}
	if int64(h.LastOffsetDelta)+1 != int64(h.NumRecords) {
		return invalid(ErrInvalidRecord, "inconsistent batch offset range [%d, %d] and count of records %d in topic partition %s", h.BaseOffset, h.LastOffset(), h.NumRecords, name)
	}
	if h.IsControl() && !info.Coordinator {
		return invalid(ErrInvalidRecord, "clients are not allowed to write control records in topic partition %s", name)
	}
	// The coordinator writes transactional offset commits with a producer
	// id but no sequence, so only clients must send one.
	if h.ProducerID >= 0 && h.BaseSequence < 0 && !h.IsControl() && !info.Coordinator {
		return invalid(ErrInvalidRecord, "invalid sequence number %d in record batch with producerId %d in topic partition %s", h.BaseSequence, h.ProducerID, name)
	}
	return l.validateRecords(b, cfg)
}

// validateRecords decodes the records (decompressing within
// MaxUncompressedBatchBytes) and applies Kafka's per-record checks:
// timestamps inside [now-before.max, now+after.max] on CreateTime topics,
// keys on compacted topics, offset deltas 0, 1, …. It records the largest
// timestamp for the batch header.
//
// When no check needs a record's fields — no timestamp window (Kafka's
// default, both bounds unlimited, or a LogAppendTime topic), not a
// compacted topic, no re-encoding — the records are checked by a
// structural walk (record.ScanRecords) instead of being decoded. The walk
// accepts exactly the batches decoding accepts; when it fails, the batch is
// decoded to find and report the first problem just as without it.
func (l *Log) validateRecords(b *inBatch, cfg Config) error {
	h := b.hdr
	createTime := !cfg.logAppendTime()
	if createTime && h.TimestampType() == record.LogAppendTime {
		return &ValidationError{Err: ErrInvalidTimestamp,
			Message:      fmt.Sprintf("invalid timestamp type in batch for %s: producer should not set timestamp type to LogAppendTime", l.name()),
			RecordErrors: []RecordError{{Index: 0, Message: "producer should not set timestamp type to LogAppendTime"}}}
	}
	compacted := cfg.Compact() && !h.IsControl()
	rc := newRecompression(h, cfg)
	if rc == nil && !compacted && (!createTime || unboundedTimestamps(cfg)) && !l.decodeToValidate {
		if maxTs, ok := l.scanRecords(b, cfg); ok {
			b.maxTimestamp = maxTs
			return nil
		}
	}
	nowMs := l.nowMs()
	dec := l.decoder()
	defer l.releaseDecoder(dec)
	dec.MaxDecompressedSize = int(min(cfg.MaxUncompressedBatchBytes, math.MaxInt32))
	var recErrs []RecordError
	var tsErr bool
	idx := int32(0)
	maxTs := int64(-1)
	err := dec.EachRecord(record.Batch{Header: h, Raw: b.raw}, func(r *record.Record) error {
		if r.OffsetDelta != idx {
			return invalid(ErrInvalidRecord, "record %d of the batch has offset delta %d in topic partition %s", idx, r.OffsetDelta, l.name())
		}
		if compacted && r.Key == nil {
			recErrs = append(recErrs, RecordError{Index: idx, Message: fmt.Sprintf("compacted topic cannot accept message without key in topic partition %s", l.name())})
		} else if createTime && r.Timestamp != -1 && !timestampAllowed(r.Timestamp, nowMs, cfg) {
			tsErr = true
			recErrs = append(recErrs, RecordError{Index: idx, Message: fmt.Sprintf("timestamp %d of message with offset %d is out of range; the timestamp should be within [%d, %d]",
				r.Timestamp, r.Offset, satSub(nowMs, cfg.MessageTimestampBeforeMaxMs), satAdd(nowMs, cfg.MessageTimestampAfterMaxMs))})
		}
		maxTs = max(maxTs, r.Timestamp)
		idx++
		if rc != nil {
			return rc.add(r)
		}
		return nil
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return err
		}
		return invalid(ErrInvalidRecord, "%s: %v", l.name(), err)
	}
	if idx != h.NumRecords {
		return invalid(ErrInvalidRecord, "batch holds %d records but its header says %d in topic partition %s", idx, h.NumRecords, l.name())
	}
	if len(recErrs) > 0 {
		sentinel := ErrInvalidRecord
		if tsErr {
			sentinel = ErrInvalidTimestamp
		}
		return &ValidationError{Err: sentinel, Message: recErrs[0].Message, RecordErrors: recErrs}
	}
	b.maxTimestamp = maxTs
	if rc != nil {
		return l.recompress(b, rc, cfg)
	}
	return nil
}

// unboundedTimestamps reports whether message.timestamp.before.max.ms and
// message.timestamp.after.max.ms both allow any timestamp.
func unboundedTimestamps(cfg Config) bool {
	return cfg.MessageTimestampBeforeMaxMs == math.MaxInt64 && cfg.MessageTimestampAfterMaxMs == math.MaxInt64
}

// scanRecords checks the batch's records with record.ScanRecords,
// decompressing them first if needed, and returns their largest timestamp.
func (l *Log) scanRecords(b *inBatch, cfg Config) (int64, bool) {
	if b.hdr.Codec() == record.CodecNone {
		return record.ScanRecords(b.hdr, b.raw[record.HeaderSize:])
	}
	dec := l.decoder()
	defer l.releaseDecoder(dec)
	dec.MaxDecompressedSize = int(min(cfg.MaxUncompressedBatchBytes, math.MaxInt32))
	area, err := dec.RecordsArea(record.Batch{Header: b.hdr, Raw: b.raw})
	if err != nil {
		return 0, false
	}
	return record.ScanRecords(b.hdr, area)
}

// recompress replaces a validated client batch with its rewrite in the
// codec compression.type names. As in Kafka, max.message.bytes applies
// again to the batch as it will be written.
func (l *Log) recompress(b *inBatch, rc *recompression, cfg Config) error {
	out, err := rc.finish(b.hdr.LastOffsetDelta)
	if err != nil {
		return invalid(ErrInvalidRecord, "recompress batch for %s to %s: %v", l.name(), rc.codec, err)
	}
	if len(out) > int(cfg.MaxMessageBytes) {
		return invalid(ErrMessageTooLarge, "message batch size is %d bytes in append to partition %s which exceeds the maximum configured size of %d",
			len(out), l.name(), cfg.MaxMessageBytes)
	}
	h, err := record.ParseHeader(out)
	if err != nil {
		return invalid(ErrInvalidRecord, "recompress batch for %s: %v", l.name(), err)
	}
	b.raw, b.hdr = out, h
	return nil
}

// timestampAllowed applies message.timestamp.before/after.max.ms.
func timestampAllowed(ts, nowMs int64, cfg Config) bool {
	diff := ts - nowMs
	if cfg.MessageTimestampBeforeMaxMs != math.MaxInt64 && ts < satSub(nowMs, cfg.MessageTimestampBeforeMaxMs) {
		return false
	}
	if cfg.MessageTimestampAfterMaxMs != math.MaxInt64 && diff > cfg.MessageTimestampAfterMaxMs {
		return false
	}
	return true
}

func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func (l *Log) decoder() *record.Decoder {
	if d, ok := l.decoders.Get().(*record.Decoder); ok {
		return d
	}
	return &record.Decoder{}
}

func (l *Log) releaseDecoder(d *record.Decoder) { l.decoders.Put(d) }

// appendLocked assigns offsets, checks producer state, rolls if needed and
// writes. It returns the flushes the append calls for.
func (l *Log) appendLocked(batches []inBatch, cfg Config, info AppendInfo) (AppendResult, flushPlan, error) {
	if err := l.usableLocked(); err != nil {
		return AppendResult{}, flushPlan{}, err
	}
	if err := l.materializeLocked(); err != nil {
		return AppendResult{}, flushPlan{}, err
	}
	return l.appendReplicatedLocked(batches, cfg)
}

// pendingWrite is a client batch between reserveLocked and commitLocked:
// offsets assigned, producer state checked and staged (in the append's
// checker), its place in the
// active segment reserved. seg is nil when nothing is to be written (a
// retried batch answered with its original offsets).
type pendingWrite struct {
	b        *inBatch
	res      AppendResult
	seg      *segment
	pos      int64
	rolledTo int64
	nowMs    int64
}

// reserveLocked assigns the batch its offsets (rewriting its header in
// place), checks producer state, rolls if the active segment cannot take
// it, and reserves its position at the end of the active segment. Nothing
// is visible to readers until commitLocked.
func (l *Log) reserveLocked(w *pendingWrite, chk *appendChecker, cfg Config, info AppendInfo) error {
	if err := l.usableLocked(); err != nil {
		return err
	}
	if err := l.materializeLocked(); err != nil {
		return err
	}
	b := w.b
	leo := l.logEndOffset
	w.res = AppendResult{FirstOffset: leo, LastOffset: leo + int64(b.hdr.LastOffsetDelta), LogAppendTime: -1}
	nowMs := l.nowMs()
	w.nowMs = nowMs

	// Offsets, epoch and timestamps are written into the batch in place;
	// none of it is covered by the CRC except the timestamp fields, which
	// the record package rewrites with a fresh CRC.
	if err := record.SetBaseOffset(b.raw, leo); err != nil {
		return invalid(ErrCorruptMessage, "%v", err)
	}
	if err := record.SetPartitionLeaderEpoch(b.raw, info.LeaderEpoch); err != nil {
		return invalid(ErrCorruptMessage, "%v", err)
	}
	if cfg.logAppendTime() {
		if err := record.SetLogAppendTime(b.raw, nowMs); err != nil {
			return invalid(ErrCorruptMessage, "%v", err)
		}
		w.res.LogAppendTime = nowMs
		b.maxTimestamp = nowMs
	} else if b.maxTimestamp != b.hdr.MaxTimestamp {
		setMaxTimestamp(b.raw, b.maxTimestamp)
	}
	h, err := record.ParseHeader(b.raw)
	if err != nil {
		return invalid(ErrCorruptMessage, "%v", err)
	}
	b.hdr = h

	if h.ProducerID >= 0 {
		if !info.Coordinator && !h.IsControl() {
			if dup, ok := l.producers.findDuplicate(h.ProducerID, h.ProducerEpoch, h.BaseSequence, h.LastSequence()); ok {
				w.res = AppendResult{FirstOffset: dup.firstOffset, LastOffset: dup.lastOffset, LogAppendTime: -1,
					LogStartOffset: l.logStartOffset, Duplicate: true}
				if cfg.logAppendTime() {
					w.res.LogAppendTime = dup.timestamp
				}
				return nil
			}
		}
		if err := chk.add(producerBatchOfRaw(h, b.raw)); err != nil {
			return err
		}
	}
	if w.rolledTo, err = l.prepareWriteLocked(b, cfg, nowMs); err != nil {
		return err
	}
	w.seg = l.active()
	w.pos = w.seg.size
	return nil
}

// commitLocked makes a batch written by Append visible: the segment's
// size and indexes, the log end offset, the leader epoch cache and the
// producer state. werr is the write's error, which takes the log offline
// as any failed write does.
func (l *Log) commitLocked(w *pendingWrite, chk *appendChecker, werr error, cfg Config, info AppendInfo) (AppendResult, flushPlan, error) {
	b := w.b
	if werr != nil {
		if !errors.Is(werr, ErrKafkaStorage) {
			werr = storageErr("append", w.seg.path(logSuffix), werr)
		}
		l.failed = werr
		return AppendResult{}, flushPlan{}, werr
	}
	if err := l.commitBatchLocked(w.seg, w.pos, b, cfg); err != nil {
		return AppendResult{}, flushPlan{}, err
	}
	res := w.res
	if _, err := l.epochs.assign(info.LeaderEpoch, res.FirstOffset); err != nil {
		l.failed = storageErr("write", l.epochs.path, err)
		return AppendResult{}, flushPlan{}, l.failed
	}
	chk.commit()
	l.producers.mapEndOffset = l.logEndOffset
	res.LogStartOffset = l.logStartOffset
	fl := flushPlan{rolledTo: w.rolledTo}
	if l.logEndOffset-l.recoveryPoint >= cfg.FlushMessages {
		fl.due = l.logEndOffset
	}
	return res, fl, nil
}

func (l *Log) appendReplicatedLocked(batches []inBatch, cfg Config) (AppendResult, flushPlan, error) {
	first := batches[0].hdr
	if first.BaseOffset < l.logEndOffset {
		return AppendResult{}, flushPlan{}, fmt.Errorf("%w: first offset %d in append to %s is below the log end offset %d",
			ErrUnexpectedAppendOffset, first.BaseOffset, l.name(), l.logEndOffset)
	}
	nowMs := l.nowMs()
	chk := l.producers.checker(false, false)
	var fl flushPlan
	epochsChanged := false
	for i := range batches {
		b := &batches[i]
		if b.hdr.ProducerID >= 0 {
			if err := chk.add(producerBatchOfRaw(b.hdr, b.raw)); err != nil {
				return AppendResult{}, flushPlan{}, err
			}
		}
		rolled, err := l.writeBatchLocked(b, cfg, nowMs)
		if err != nil {
			return AppendResult{}, flushPlan{}, err
		}
		fl.rolledTo = max(fl.rolledTo, rolled)
		if l.epochs.assignNoWrite(b.hdr.PartitionLeaderEpoch, b.hdr.BaseOffset) {
			epochsChanged = true
		}
	}
	if epochsChanged {
		if err := l.epochs.write(); err != nil {
			l.failed = storageErr("write", l.epochs.path, err)
			return AppendResult{}, flushPlan{}, l.failed
		}
	}
	chk.commit()
	l.producers.mapEndOffset = l.logEndOffset
	if l.logEndOffset-l.recoveryPoint >= cfg.FlushMessages {
		fl.due = l.logEndOffset
	}
	return AppendResult{
		FirstOffset: first.BaseOffset, LastOffset: batches[len(batches)-1].hdr.LastOffset(),
		LogAppendTime: -1, LogStartOffset: l.logStartOffset,
	}, fl, nil
}

// writeBatchLocked rolls if the active segment cannot take the batch and
// writes it, moving the log end offset. After a roll it returns the new
// segment's base offset, below which everything is to be flushed (else 0).
func (l *Log) writeBatchLocked(b *inBatch, cfg Config, nowMs int64) (int64, error) {
	flushTo, err := l.prepareWriteLocked(b, cfg, nowMs)
	if err != nil {
		return 0, err
	}
	seg := l.active()
	pos := seg.size
	if err := seg.write(b.raw, pos); err != nil {
		if !errors.Is(err, ErrKafkaStorage) {
			err = storageErr("append", seg.path(logSuffix), err)
		}
		l.failed = err
		return 0, err
	}
	return flushTo, l.commitBatchLocked(seg, pos, b, cfg)
}

// prepareWriteLocked checks that the batch fits in a segment and rolls if
// the active segment cannot take it. After a roll it returns the new
// segment's base offset, below which everything is to be flushed (else 0).
func (l *Log) prepareWriteLocked(b *inBatch, cfg Config, nowMs int64) (int64, error) {
	size := int64(len(b.raw))
	if size > cfg.SegmentBytes {
		return 0, invalid(ErrRecordListTooLarge, "message batch size is %d bytes in append to partition %s, which exceeds the maximum configured segment size of %d",
			size, l.name(), cfg.SegmentBytes)
	}
	if l.active().shouldRoll(cfg, size, b.maxTimestamp, b.hdr.LastOffset(), nowMs) {
		if err := l.rollLocked(b.hdr.BaseOffset, cfg, nowMs); err != nil {
			l.failed = err
			return 0, err
		}
		return b.hdr.BaseOffset, nil
	}
	return 0, nil
}

// commitBatchLocked records a batch written at pos of seg: segment size,
// indexes and the log end offset.
func (l *Log) commitBatchLocked(seg *segment, pos int64, b *inBatch, cfg Config) error {
	size := int64(len(b.raw))
	if err := seg.appended(pos, []appendedBatch{{size: size, lastOffset: b.hdr.LastOffset(), maxTimestamp: b.maxTimestamp}}, size, cfg.IndexIntervalBytes); err != nil {
		l.failed = err
		return err
	}
	l.logEndOffset = b.hdr.LastOffset() + 1
	return nil
}

// rollLocked closes the active segment for appends and starts a new one at
// base, writing a producer snapshot named after it (reference 11.1). An
// empty active segment is replaced instead of kept.
func (l *Log) rollLocked(base int64, cfg Config, nowMs int64) error {
	old := l.active()
	if base < l.logEndOffset {
		base = l.logEndOffset
	}
	if old.base == base {
		return nil
	}
	if old.size == 0 {
		if err := old.remove(); err != nil {
			return storageErr("delete segment", old.path(logSuffix), err)
		}
		l.segments = l.segments[:len(l.segments)-1]
	} else if err := old.deactivate(false); err != nil {
		return storageErr("roll", old.path(logSuffix), err)
	}
	s, err := createSegment(l.dir, base, cfg, nowMs, l.jitter(cfg))
	if err != nil {
		return err
	}
	l.segments = append(l.segments, s)
	l.producers.mapEndOffset = base
	if err := l.writeSnapshotLocked(base); err != nil {
		return err
	}
	l.logger.Debug("rolled segment", "offset", base, "previous", old.base, "previous_size", old.size)
	return nil
}

// setMaxTimestamp rewrites a v2 batch's MaxTimestamp and its CRC, as
// Kafka's setMaxTimestamp does when the producer's value is not the true
// maximum of the record timestamps.
func setMaxTimestamp(b []byte, ts int64) {
	binary.BigEndian.PutUint64(b[maxTimestampPos:], uint64(ts))
	putCRC(b)
}
