package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/replica"
)

const offsetsTopic = "__consumer_offsets"

// offsetsStorage is the group coordinator's view of __consumer_offsets:
// appends go through the partition leader with acks=all, loading reads the
// partition's log from start to end.
type offsetsStorage struct {
	replicas *replica.Manager
}

func (st offsetsStorage) partition(p int32) (*replica.Partition, error) {
	part, ok := st.replicas.Get(offsetsTopic, p)
	if !ok || !part.IsLeader() {
		return nil, kerr.NotLeaderForPartition
	}
	return part, nil
}

func (st offsetsStorage) Append(ctx context.Context, p int32, batch []byte) (int64, error) {
	part, err := st.partition(p)
	if err != nil {
		return -1, err
	}
	res, err := part.Append(batch, -1, true)
	if err != nil {
		switch {
		case errors.Is(err, log.ErrMessageTooLarge), errors.Is(err, log.ErrRecordListTooLarge):
			return -1, kerr.MessageTooLarge
		case errors.Is(err, replica.ErrNotLeader):
			return -1, kerr.NotLeaderForPartition
		case errors.Is(err, replica.ErrNotEnoughReplicas):
			return -1, kerr.NotEnoughReplicas
		}
		return -1, err
	}
	if err := part.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return -1, kerr.RequestTimedOut
		case errors.Is(err, replica.ErrNotEnoughReplicasAfterAppend):
			return -1, kerr.NotEnoughReplicasAfterAppend
		case errors.Is(err, replica.ErrNotLeader):
			return -1, kerr.NotLeaderForPartition
		}
		return -1, err
	}
	return res.LastOffset, nil
}

func (st offsetsStorage) Replay(ctx context.Context, p int32, fn func(batch []byte) error) error {
	part, err := st.partition(p)
	if err != nil {
		return err
	}
	l := part.Log()
	offset := l.LogStartOffset()
	end := l.LogEndOffset()
	for offset < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := l.Read(offset, 1<<20, end, true)
		if err != nil {
			return fmt.Errorf("replay %s-%d at %d: %w", offsetsTopic, p, offset, err)
		}
		data, err := res.Bytes()
		res.Release()
		if err != nil {
			return err
		}
		// Hand over whole batches only and continue after the last one.
		it := record.NewIterator(data)
		whole, next := 0, offset
		for it.Next() {
			e := it.Entry()
			whole = e.Position + e.Size()
			next = e.LastOffset() + 1
		}
		if whole == 0 {
			return fmt.Errorf("replay %s-%d at %d: no complete batch", offsetsTopic, p, offset)
		}
		if err := fn(data[:whole]); err != nil {
			return err
		}
		offset = next
	}
	return nil
}

// followCoordinatorLeadership loads the groups of the __consumer_offsets
// partitions this broker now leads and unloads those it no longer leads.
// It runs on the metadata apply goroutine; loading runs in the background.
func (b *Broker) followCoordinatorLeadership(img *metadata.Image) {
	if b.groups == nil {
		return
	}
	b.coordMu.Lock()
	defer b.coordMu.Unlock()
	led := map[int32]int32{}
	if t := img.Topics[offsetsTopic]; t != nil {
		for _, p := range t.Partitions {
			if p.Leader == b.nodeID {
				led[p.ID] = p.LeaderEpoch
			}
		}
	}
	for p := range b.coordLoaded {
		if _, still := led[p]; !still {
			b.groups.Unload(p)
			delete(b.coordLoaded, p)
			b.logger.Info("unloaded group coordinator partition", "partition", p)
		}
	}
	for p, epoch := range led {
		if cur, ok := b.coordLoaded[p]; ok && cur == epoch {
			continue
		}
		if _, ok := b.coordLoaded[p]; ok {
			b.groups.Unload(p)
		}
		b.coordLoaded[p] = epoch
		b.bg.Add(1)
		go func(p int32) {
			defer b.bg.Done()
			if err := b.groups.Load(b.ctx, p); err != nil && b.ctx.Err() == nil {
				b.logger.Error("loading group coordinator partition", "partition", p, "err", err)
			}
		}(p)
	}
}
