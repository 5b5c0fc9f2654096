// Package record owns the bytes of Kafka log entries: the magic 2 record
// batch (header, records, control records, CRC-32C), the legacy magic 0/1
// message sets (read only), and the compression codecs. The partition log,
// the broker's produce path, kafka-dump-log and the group coordinator all
// read and write batches through it.
//
// # Invariants
//
//   - Decoding never panics and never reads outside its input: every length
//     and count is checked against the bytes actually present, and a
//     failure is an error wrapping one of the ErrX sentinels.
//   - Views alias their input. Header, Entry, Batch and the Record visited by
//     Batch.EachRecord point into the caller's buffer (or a decompression
//     buffer); nothing is copied, and the caller must not modify the buffer
//     while a view is in use.
//   - Reading headers and iterating entries does not allocate; decoding the
//     records of an uncompressed batch with EachRecord allocates at most
//     once per call, not per record.
//   - Only the documented in-place editors write to a caller's buffer:
//     SetBaseOffset and SetPartitionLeaderEpoch change fields the CRC does
//     not cover, SetLogAppendTime recomputes the CRC.
//   - The v2 CRC covers bytes [21, end of batch); the base offset, length
//     and partition leader epoch are outside it so a leader can assign
//     offsets and stamp its epoch without re-encoding.
//   - Iteration over a region stops at a torn tail without error (as Kafka's
//     log reader does) and reports corruption with its byte position.
//
// The package has no mutable package-level state apart from sync.Pool
// caches of compressor and decompressor objects, which hold no data
// between uses.
package record
