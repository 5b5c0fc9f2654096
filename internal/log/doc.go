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
// OffsetForLeaderEpoch, and recovers itself after a crash. A Manager opens
// every log of a set of log directories, creates and deletes logs, writes
// the checkpoints and runs the periodic retention, flush and checkpoint
// work.
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
//   - A region returned by Read stays readable until released: segment
//     files are reference counted and closed by their last holder, so
//     retention and partition deletion never pull a file out from under a
//     reader. Only a truncation of the same segment can shorten it (see
//     ReadResult).
//
// # Concurrency and lock order
//
// Each Log has one sync.RWMutex. Appends, truncation, retention and config
// of the log structure take it for writing; reads, offset lookups and
// accessors take it for reading. Reads hold it only while locating a region
// (an index lookup and a few header reads); the data is sent afterwards,
// so no lock is held across network I/O. The fsync of the segments left by
// a roll runs in a goroutine the log owns (Close and Delete wait for it), as
// Kafka schedules it on a background thread; the fsync that flush.messages
// calls for runs after Append has released the lock, before it returns.
//
// Locks are always taken in this order, never the reverse:
//
//	Manager.mu → Manager.ckMu → Log.flushMu → Log.mu → index.mu
//
// Manager.mu guards the manager's map of logs and is not held while a log
// does I/O except to open, create or delete that log. Log.flushMu
// serializes flushes so the recovery point moves monotonically. index.mu
// guards one index file's in-memory entries (loaded lazily for inactive
// segments by concurrent readers).
//
// # Benchmarks
//
// Append and read throughput, with append compared to a plain sequential
// write of the same bytes to the same disk in the same run:
//
//	go test ./internal/log -run '^$' -bench . -benchtime 2s
package log
