package log

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps at most one of these
// so the broker can map it to a Kafka error code with errors.Is; the comment
// names the code Kafka answers with.
var (
	// ErrOffsetOutOfRange: a read or DeleteRecords offset lies outside
	// [LogStartOffset, LogEndOffset] (OFFSET_OUT_OF_RANGE, 1).
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrCorruptMessage: a batch's CRC does not match, or the bytes are not a
	// sequence of whole batches (CORRUPT_MESSAGE, 2).
	ErrCorruptMessage = errors.New("corrupt message")
	// ErrMessageTooLarge: a batch is larger than max.message.bytes
	// (MESSAGE_TOO_LARGE, 10).
	ErrMessageTooLarge = errors.New("message too large")
	// ErrRecordListTooLarge: an append is larger than segment.bytes, so no
	// segment could hold it (RECORD_LIST_TOO_LARGE, 18).
	ErrRecordListTooLarge = errors.New("record batch larger than the segment size")
	// ErrInvalidTimestamp: a record timestamp lies outside the window allowed
	// by message.timestamp.before/after.max.ms, or a producer set
	// LogAppendTime on a CreateTime topic (INVALID_TIMESTAMP, 32).
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrUnsupportedMagic: a client batch is not magic 2; this log only
	// writes the v2 format (UNSUPPORTED_FOR_MESSAGE_FORMAT, 43).
	ErrUnsupportedMagic = errors.New("unsupported message format")
	// ErrOutOfOrderSequence: an idempotent batch does not continue its
	// producer's sequence (OUT_OF_ORDER_SEQUENCE_NUMBER, 45).
	ErrOutOfOrderSequence = errors.New("out of order sequence number")
	// ErrInvalidProducerEpoch: an idempotent or transactional batch carries a
	// producer epoch older than the one last seen (INVALID_PRODUCER_EPOCH, 47).
	ErrInvalidProducerEpoch = errors.New("invalid producer epoch")
	// ErrInvalidTxnState: a producer with an open transaction wrote a
	// non-transactional batch (INVALID_TXN_STATE, 48).
	ErrInvalidTxnState = errors.New("invalid transaction state")
	// ErrTransactionCoordinatorFenced: a transaction marker carries a
	// coordinator epoch older than one already seen for its producer
	// (TRANSACTION_COORDINATOR_FENCED, 90).
	ErrTransactionCoordinatorFenced = errors.New("transaction coordinator fenced")
	// ErrUnknownProducerID (UNKNOWN_PRODUCER_ID, 59) is never returned by
	// Append: since Kafka 2.5 (KIP-360) a broker accepts any first sequence
	// from a producer it holds no state for, and this log does the same. It
	// exists so callers that map errors have a name for the code.
	ErrUnknownProducerID = errors.New("unknown producer id")
	// ErrInvalidRecord: a batch or record breaks a rule of the format or of
	// the topic: inconsistent record count, more than one batch in a client
	// append, a null key on a compacted topic, a control batch from a client
	// (INVALID_RECORD, 87).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrKafkaStorage: reading or writing the log's files failed; the
	// partition should be treated as offline (KAFKA_STORAGE_ERROR, 56).
	ErrKafkaStorage = errors.New("log storage error")
	// ErrInconsistentTopicID: partition.metadata holds a different topic id
	// than the caller expects (INCONSISTENT_TOPIC_ID, 103).
	ErrInconsistentTopicID = errors.New("inconsistent topic id")
	// ErrUnexpectedAppendOffset: a replicated append starts below the log
	// end offset (Kafka's UnexpectedAppendOffsetException); the follower
	// should truncate and fetch again.
	ErrUnexpectedAppendOffset = errors.New("unexpected append offset")
	// ErrClosed: the log or manager has been closed or deleted.
	ErrClosed = errors.New("log closed")
)

// RecordError names one record that failed validation, as the
// record_errors field of a Produce response (KIP-467) does.
type RecordError struct {
	Index   int32  // position of the record in its batch
	Message string // why it failed
}

// ValidationError is returned by Append when a batch is rejected. Err is the
// sentinel naming the Kafka error code; Message is the text for the
// response's error_message; RecordErrors lists individual records when the
// failure is per record (invalid timestamps, missing keys).
type ValidationError struct {
	Err          error
	Message      string
	RecordErrors []RecordError
}

func (e *ValidationError) Error() string { return e.Err.Error() + ": " + e.Message }

func (e *ValidationError) Unwrap() error { return e.Err }

func invalid(sentinel error, format string, args ...any) error {
	return &ValidationError{Err: sentinel, Message: fmt.Sprintf(format, args...)}
}

// storageErr marks an I/O failure so that it matches ErrKafkaStorage while
// keeping the underlying error inspectable.
func storageErr(op, path string, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrKafkaStorage, op, path, err)
}
