// Package record owns the bytes of Kafka log entries: the magic 2 record
// batch (header, records, control records, CRC-32C), the legacy magic 0/1
// message sets (read only), and the compression codecs. The partition log,
// the broker's produce path, kafka-dump-log and the group coordinator all
// read and write batches through it; it knows nothing of files, sockets or
// the wire protocol around the records.
//
// # Reading
//
// An Iterator walks a region of concatenated entries (a .log file, a fetch
// or produce payload), yielding each Entry's position, raw bytes and
// decoded header (Header for magic 2, LegacyHeader for 0/1) without
// copying. ParseHeader and NewBatch decode a single v2 batch. A Batch's
// records are visited with Batch.EachRecord or a reusable Decoder, which
// decompresses within a caller-set limit; ScanRecords checks a records
// area exactly as decoding would, without building records, for the
// produce path when nothing needs the record fields; legacy entries, including
// compressed wrappers, are expanded with EachLegacyMessage. Control
// records are parsed with ParseControlKey and ParseEndTxnMarker.
//
// # Writing
//
// A Builder encodes a v2 batch with any codec and every header field
// settable; AppendEndTxnMarkerBatch writes COMMIT/ABORT markers. A leader
// edits a produced batch in place with SetBaseOffset,
// SetPartitionLeaderEpoch and SetLogAppendTime after checking it with
// Decoder.Validate.
//
// # Invariants
//
//   - Decoding never panics and never reads outside its input: every length
//     and count is checked against the bytes actually present, and a
//     failure is an error wrapping one of the ErrX sentinels (iteration
//     reports a *CorruptError with the byte position).
//   - Views alias their input. Entry, Batch, Record and LegacyMessage point
//     into the caller's buffer (or a decompression buffer); nothing is
//     copied, and the caller must not modify the buffer while a view is in
//     use. The *Record and *LegacyMessage passed to callbacks are reused and
//     valid only during the callback.
//   - Reading headers and iterating entries does not allocate; a Decoder
//     decodes uncompressed records without allocating, and reuses its
//     decompression buffer across batches.
//   - Decompression is bounded: output beyond the caller's limit
//     (DefaultMaxDecompressedSize unless set) fails with ErrTooLarge.
//   - Only the documented in-place editors write to a caller's buffer:
//     SetBaseOffset and SetPartitionLeaderEpoch change fields the CRC does
//     not cover, SetLogAppendTime recomputes the CRC.
//   - The v2 CRC covers bytes [21, end of batch); the base offset, length
//     and partition leader epoch are outside it so a leader can assign
//     offsets and stamp its epoch without re-encoding.
//   - Iteration stops at a torn tail without error, as Kafka's log reader
//     does, and reports how many bytes were left (Iterator.Trailing).
//   - Encoding uncompressed records reproduces Kafka's bytes exactly (tested
//     against real segments), and encode then decode round-trips.
//
// The package has no mutable package-level state apart from sync.Pool
// caches of compressor and decompressor objects.
//
// Benchmarks, and fuzzing one target at a time:
//
//	go test ./internal/record -run '^$' -bench . -benchmem
//	go test ./internal/record -run '^$' -fuzz '^FuzzRecords$' -fuzztime 60s
package record
