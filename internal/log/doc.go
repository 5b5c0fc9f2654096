// Package log owns the partition logs of a broker and the log directories
// that hold them, in Apache Kafka's on-disk layout and formats, byte for
// byte: 20-digit segment files (.log, .index, .timeindex), producer-state
// .snapshot files, leader-epoch-checkpoint, partition.metadata, and at the
// directory level meta.properties, .lock, .kafka_cleanshutdown and the
// recovery-point, replication and log-start offset checkpoints.
//
// A Log is one partition replica. It validates and appends record batches
// (assigning offsets and stamping leader epochs in place, enforcing
// idempotent-producer sequences), serves reads as regions of segment files
// that can be sent with sendfile, rolls segments, applies retention and
// DeleteRecords, truncates for replication, answers ListOffsets and
// OffsetForLeaderEpoch, and recovers itself after a crash. Logs whose
// cleanup.policy includes compact are compacted by the log cleaner
// (cleaner.go), as Kafka 3.9's LogCleaner does: the latest record per key
// survives, tombstones until their delete horizon (KIP-534), offsets never
// change. With compression.type set to a codec, client batches are
// re-encoded in it on append. When no check needs the record fields (no
// timestamp window, not compacted, no re-encoding), a client batch's
// records are checked by a structural walk instead of being decoded; the
// walk accepts exactly what decoding accepts (FuzzValidateWalk), and an
// append allocates nothing. A Manager opens every log of a set of log
// directories, creates and deletes logs, writes the checkpoints and runs
// the periodic retention, flush, checkpoint and cleaner work.
//
// # Invariants
//
//   - Only Log.Append and the truncation methods change the log end
//     offset, and only under the log's write lock; offsets are assigned
//     there and nowhere else.
//   - Segments cover increasing, non-overlapping offset ranges; the last
//     segment is the active one and the only one written to. Its indexes
//     are pre-allocated to segment.index.bytes and trimmed when it is
//     rolled or the log is closed.
//   - Index entries follow Kafka's sparse rule: a batch starting more than
//     index.interval.bytes after the previous entry's position gets an
//     entry (its last offset, its position), so indexes rebuilt by recovery
//     equal those written by appends.
//   - LogStartOffset ≤ HighWatermark ≤ LogEndOffset at all times; retention
//     never deletes a segment holding offsets at or above the high
//     watermark.
//   - The recovery point only moves forward after the data below it has
//     been fsynced. Data is otherwise left to the page cache, as Kafka does
//     by default (flush.messages and flush.ms are honoured); segments are
//     fsynced when rolled and everything on Close.
//   - Recovery never drops a batch that was completely written and passes
//     its CRC: it truncates at the first invalid or torn entry only.
//   - The cleaner replaces segments only through the .cleaned → .swap →
//     final-name protocol, with the new files fsynced first; load finishes
//     a replacement whose files are all .swap and undoes one that still has
//     .cleaned files, so a crash at any step loses no record. Cleaned
//     batches keep their base and last offsets; the active segment and
//     offsets at or above the last stable offset are never cleaned.
//   - A log created by the Manager exists only in memory until its first
//     write creates its directory and first segment; an empty log has
//     nothing to lose, so creating a partition does no I/O. Its topic id,
//     leader epoch checkpoint and directory entries become durable soon
//     after (RunBackground persists new logs in batches), and in any case
//     at its first flush, the next checkpoint or close, always before the
//     recovery point moves past data that depends on them.
//   - A region returned by Read stays readable until released: segment
//     files are reference counted and closed by their last holder, so
//     retention and partition deletion never pull a file out from under a
//     reader. Only a truncation of the same segment can shorten it (see
//     ReadResult).
//
// # Concurrency and lock order
//
// Each Log has one sync.RWMutex, mu. Appends, truncation, retention and
// config of the log structure take it for writing; reads, offset lookups
// and accessors take it for reading. Reads hold it only while locating a
// region (an index lookup and a few header reads); the data is sent
// afterwards, so no lock is held across network I/O. Log.appendMu
// serializes appends and everything else that changes the segments; a
// client append holds it throughout but takes mu only to reserve its place
// and to publish the written batch, so the write to the segment file holds
// up no reader. The fsync of the segments left by
// a roll runs in a goroutine the log owns (Close and Delete wait for it), as
// Kafka schedules it on a background thread; the fsync that flush.messages
// calls for runs after Append has released the lock, before it returns.
//
// Locks are always taken in this order, never the reverse:
//
//	Manager.cleanerMu → Manager.mu → Manager.ckMu → Log.cleanMu → Log.flushMu → Log.appendMu → Log.mu → index.mu
//
// Manager.pendingMu (not shown) is a leaf taken under Log.mu when a new
// log is first written. Manager.cleanerMu guards which logs the cleaner
// goroutines are working on. Manager.mu guards the manager's map of logs and is never held while
// a log does I/O (a log being created is marked as such and opened without
// it). Log.cleanMu is held by a cleaning pass, which reads segment files
// without Log.mu and takes it for writing only to swap cleaned segments
// in; Close and Delete wait for it after telling the pass to stop.
// Log.flushMu serializes flushes so the recovery point moves
// monotonically. index.mu guards one index file's in-memory entries
// (loaded lazily for inactive segments by concurrent readers).
//
// # Benchmarks
//
// Append and read throughput, with append compared to a plain sequential
// write of the same bytes to the same disk in the same run:
//
//	go test ./internal/log -run '^$' -bench . -benchtime 2s
//
// Partition creation (50 partitions, then their first write and
// checkpoint), manager lookups with 10 000 partitions, and compaction:
//
//	go test ./internal/log -run '^$' -bench 'CreatePartitions|ManagerLookups|Clean' -benchtime 20x
package log
