package server

// InitProducerId (key 22): v0-5, as Apache Kafka 3.9 serves it for
// idempotent producers.
//
// Behaviour: a producer without a transactional id gets a new producer id
// with epoch 0, from blocks of ids the controller hands to this broker
// (AllocateProducerIds), so ids are unique across the cluster and across
// restarts. Transactions are not offered (their APIs are not advertised);
// a request with a transactional id is answered with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients surface as fatal.
//
// Version notes: v2 flexible; v3 ProducerID/ProducerEpoch for epoch bumps
// (KIP-360: an idempotent producer simply gets a fresh id); v4-5 no
// behaviour change here.

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerIDs hands out producer ids from blocks allocated by the
// controller.
type producerIDs struct {
	mu        sync.Mutex
	next, end int64
}

func handleInitProducerID(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.InitProducerIDRequest) *kmsg.InitProducerIDResponse {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp
	}
	id, err := s.nextProducerID(ctx)
	if err != nil {
		resp.ErrorCode, _ = kafkaError(err)
		return resp
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp
}

func (s *Server) nextProducerID(ctx context.Context) (int64, error) {
	s.pids.mu.Lock()
	defer s.pids.mu.Unlock()
	if s.pids.next >= s.pids.end {
		img := s.cfg.Meta.Image()
		b := img.Brokers[s.cfg.NodeID]
		var epoch int64 = -1
		if b != nil {
			epoch = b.Epoch
		}
		first, count, err := s.controller().AllocateProducerIDs(ctx, s.cfg.NodeID, epoch)
		if err != nil {
			return -1, err
		}
		s.pids.next, s.pids.end = first, first+int64(count)
	}
	id := s.pids.next
	s.pids.next++
	return id, nil
}
