package server

// Produce (key 0): v0-11 advertised, v3-11 served, as Apache Kafka 3.9.
//
// Behaviour:
//   - v0-2 (magic 0/1 message sets) are advertised but answered with
//     UNSUPPORTED_VERSION on every partition, as Kafka 4 does: old
//     librdkafka releases only compress when Produce v0 is advertised
//     (librdkafka#4956), and this broker stores only v2 batches;
//   - acks must be -1, 0 or 1 (INVALID_REQUIRED_ACKS); each partition is
//     appended on its leader (NOT_LEADER_OR_FOLLOWER elsewhere,
//     UNKNOWN_TOPIC_OR_PARTITION for unknown ones); the log validates every
//     batch (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_RECORD,
//     INVALID_TIMESTAMP, idempotence sequence errors) and nothing of a
//     rejected batch is written;
//   - a retried idempotent batch is answered with its original offsets;
//   - acks=-1 waits until the high watermark covers the batch (the ISR has
//     it), up to TimeoutMillis (REQUEST_TIMED_OUT); NOT_ENOUGH_REPLICAS when
//     the ISR is below min.insync.replicas;
//   - acks=0 gets no response; if a partition failed the connection is
//     closed so the client notices, as Kafka does.
//
// Version notes: v2 LogAppendTime; v3 transactional id and v2 batches
// only; v5 LogStartOffset; v8 per-record errors and ErrorMessage; v9
// flexible; v10-11 leader hints (KIP-951) as tagged fields.

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/replica"
)

func handleProduce(s *Server, ctx context.Context, c *conn, _ *request, req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	var uniform int16
	switch {
	case req.Version < 3:
		uniform = kerr.UnsupportedVersion.Code
	case req.Acks != 0 && req.Acks != 1 && req.Acks != -1:
		uniform = kerr.InvalidRequiredAcks.Code
	}
	type pending struct {
		p      *kmsg.ProduceResponseTopicPartition
		part   *replica.Partition
		offset int64 // high watermark needed for acks=-1
	}
	var waits []pending
	failed := false
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(t.Partitions))
		for i, tp := range t.Partitions {
			rp := &rt.Partitions[i]
			*rp = kmsg.NewProduceResponseTopicPartition()
			rp.Partition = tp.Partition
			rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
			if uniform != 0 {
				rp.ErrorCode = uniform
				failed = true
				continue
			}
			part, code := s.leaderPartition(t.Topic, tp.Partition)
			if code != 0 {
				rp.ErrorCode = code
				failed = true
				continue
			}
			res, err := part.Append(tp.Records, req.Acks, false)
			if err != nil {
				code, msg, recErrs := s.partitionError(err, t.Topic, tp.Partition)
				rp.ErrorCode = code
				if req.Version >= 8 {
					rp.ErrorMessage = msg
					for _, re := range recErrs {
						er := kmsg.NewProduceResponseTopicPartitionErrorRecord()
						er.RelativeOffset = re.Index
						er.ErrorMessage = kmsg.StringPtr(re.Message)
						rp.ErrorRecords = append(rp.ErrorRecords, er)
					}
				}
				failed = true
				continue
			}
			rp.BaseOffset = res.FirstOffset
			rp.LogAppendTime = res.LogAppendTime
			rp.LogStartOffset = res.LogStartOffset
			if req.Acks == -1 {
				waits = append(waits, pending{rp, part, res.LastOffset + 1})
			}
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if req.Acks == 0 {
		if failed {
			c.closeAfterResponse = true
		}
		return nil
	}
	if len(waits) > 0 {
		wctx, cancel := context.WithTimeout(ctx, time.Duration(max(req.TimeoutMillis, 0))*time.Millisecond)
		for _, w := range waits {
			if err := w.part.WaitForHighWatermark(wctx, w.offset); err != nil {
				if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
					w.p.ErrorCode = kerr.RequestTimedOut.Code
				} else {
					w.p.ErrorCode, _, _ = s.partitionError(err, "", 0)
				}
			}
		}
		cancel()
	}
	return resp
}

// leaderPartition returns the partition if this broker leads it, or the
// error code to answer with.
func (s *Server) leaderPartition(topic string, partition int32) (*replica.Partition, int16) {
	part, ok := s.cfg.Replicas.Get(topic, partition)
	if !ok {
		return nil, s.notHostedCode(topic, partition)
	}
	if !part.IsLeader() {
		return nil, kerr.NotLeaderForPartition.Code
	}
	return part, 0
}

// notHostedCode is the error for a partition this broker has no replica of:
// NOT_LEADER_OR_FOLLOWER if the partition exists, else
// UNKNOWN_TOPIC_OR_PARTITION.
func (s *Server) notHostedCode(topic string, partition int32) int16 {
	if s.cfg.Meta.Image().Partition(topic, partition) != nil {
		return kerr.NotLeaderForPartition.Code
	}
	return kerr.UnknownTopicOrPartition.Code
}
