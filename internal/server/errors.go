package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
)

// controller returns the metadata controller.
func (s *Server) controller() *metadata.Controller { return s.cfg.Meta.Controller() }

func errorIs(err error, code *kerr.Error) bool { return errors.Is(err, code) }

// validTopicNameErr reports whether name is a legal topic name: 1 to 249
// characters of [a-zA-Z0-9._-], and not "." or "..".
func validTopicNameErr(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 249 {
		return kerr.InvalidTopicException
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return kerr.InvalidTopicException
		}
	}
	return nil
}

// kafkaError maps an engine error to a Kafka error code and message. nil
// maps to (0, nil).
func kafkaError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	code, msg := metadata.KafkaError(err)
	if code == nil {
		return 0, nil
	}
	return code.Code, &msg
}

func itoa(n int) string { return strconv.Itoa(n) }

// partitionError maps an error from the replica or log layer to a Kafka
// error code, a message for responses that carry one, and per-record errors
// (Produce v8+). It is the one place where data-path engine errors become
// wire codes; anything unexpected is UNKNOWN_SERVER_ERROR and logged.
func (s *Server) partitionError(err error, topic string, partition int32) (int16, *string, []log.RecordError) {
	if err == nil {
		return 0, nil, nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code, nil, nil
	}
	var ve *log.ValidationError
	var recErrs []log.RecordError
	var msg *string
	if errors.As(err, &ve) {
		recErrs = ve.RecordErrors
		if ve.Message != "" {
			msg = kmsg.StringPtr(ve.Message)
		}
	}
	for _, m := range []struct {
		sentinel error
		code     *kerr.Error
	}{
		{log.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
		{log.ErrCorruptMessage, kerr.CorruptMessage},
		{log.ErrMessageTooLarge, kerr.MessageTooLarge},
		{log.ErrRecordListTooLarge, kerr.RecordListTooLarge},
		{log.ErrInvalidTimestamp, kerr.InvalidTimestamp},
		{log.ErrUnsupportedMagic, kerr.UnsupportedForMessageFormat},
		{log.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
		{log.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
		{log.ErrInvalidTxnState, kerr.InvalidTxnState},
		{log.ErrUnknownProducerID, kerr.UnknownProducerID},
		{log.ErrInvalidRecord, kerr.InvalidRecord},
		{log.ErrInconsistentTopicID, kerr.InconsistentTopicID},
		{log.ErrKafkaStorage, kerr.KafkaStorageError},
		{log.ErrClosed, kerr.NotLeaderForPartition},
		{context.DeadlineExceeded, kerr.RequestTimedOut},
		{context.Canceled, kerr.RequestTimedOut},
	} {
		if errors.Is(err, m.sentinel) {
			if m.sentinel == log.ErrKafkaStorage {
				s.log.Error("storage error", "topic", topic, "partition", partition, "err", err)
			}
			return m.code.Code, msg, recErrs
		}
	}
	s.log.Error("unexpected error", "topic", topic, "partition", partition, "err", err)
	return kerr.UnknownServerError.Code, kmsg.StringPtr(err.Error()), nil
}

// syncMetadata catches this broker's metadata up with the active
// controller before answering that something does not exist, so a client
// that just created a topic through another broker finds it here. It is
// bounded and best effort.
func (s *Server) syncMetadata(ctx context.Context) *metadata.Image {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.controller().Sync(ctx); err != nil {
		s.log.Debug("metadata sync", "err", err)
	}
	return s.cfg.Meta.Image()
}
