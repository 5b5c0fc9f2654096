package group

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestConcurrentMembersStress runs many members of several groups as
// clients do (join, sync, heartbeat, commit, rejoin when told, leave) while
// appends are slow and sometimes fail. It checks that everything finishes
// (no deadlock), that no invariant is logged as broken, and that every
// acknowledged commit is what a reloaded coordinator returns.
func TestConcurrentMembersStress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("stress test")
	}
	f := newFixture(t)
	f.st.setHook(func(ctx context.Context, _ int32, _ []byte) error {
		if rand.IntN(20) == 0 {
			return kerr.NotLeaderForPartition
		}
		select {
		case <-time.After(time.Duration(rand.IntN(1500)) * time.Microsecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const groups, members, commitsPerMember = 3, 4, 25
	tps := []topicPartition{t0, t1, {"t", 2}, u0, {"u", 1}}
	var mu sync.Mutex
	acked := map[groupOffsetKey]int64{}
	var wg sync.WaitGroup
	errs := make(chan error, groups*members)
	for gi := range groups {
		group := fmt.Sprintf("stress-%d", gi)
		for mi := range members {
			tp := tps[mi]
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := runStressMember(ctx, f.c, group, tp, commitsPerMember, func(off int64) {
					mu.Lock()
					defer mu.Unlock()
					acked[groupOffsetKey{group, tp}] = off
				})
				if err != nil {
					errs <- fmt.Errorf("%s member %d: %w", group, mi, err)
				}
			}()
		}
	}
	// Meanwhile, read-only admin traffic.
	adminDone := make(chan struct{})
	go func() {
		defer close(adminDone)
		for ctx.Err() == nil {
			f.c.ListGroups(ctx, &kmsg.ListGroupsRequest{Version: 4})
			f.c.DescribeGroups(ctx, &kmsg.DescribeGroupsRequest{Version: 5, Groups: []string{"stress-0", "stress-1"}})
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
		}
	}()
	wg.Wait()
	cancel()
	<-adminDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	f.st.setHook(nil)
	f.reopen()
	for key, want := range acked {
		_, got := f.fetch(7, key.group, []topicPartition{key.tp}, false)
		if got[key.tp].offset != want {
			t.Errorf("%s %v: reloaded offset %d, last acknowledged %d", key.group, key.tp, got[key.tp].offset, want)
		}
	}
	gens := 0
	for _, r := range f.st.records(t, 0) {
		if r.key.isGroup() {
			gens++
		}
	}
	for p := int32(1); p < f.cfg.OffsetsTopicPartitions; p++ {
		for _, r := range f.st.records(t, p) {
			if r.key.isGroup() {
				gens++
			}
		}
	}
	t.Logf("group metadata records written: %d", gens)
	if len(acked) != groups*members {
		t.Errorf("acknowledged commits for %d partitions, want %d", len(acked), groups*members)
	}
}

// runStressMember is one consumer's life: it commits commits offsets (each
// acknowledged one reported through ack), rebalancing as it is told, then
// leaves.
func runStressMember(ctx context.Context, c *Coordinator, group string, tp topicPartition, commits int, ack func(int64)) error {
	memberID := ""
	next := int64(1)
	joinReqFor := func() *kmsg.JoinGroupRequest {
		r := joinReq(9, group, memberID, nil)
		r.SessionTimeoutMillis = 2000
		r.RebalanceTimeoutMillis = 3000
		return r
	}
	for next <= int64(commits) {
		if err := ctx.Err(); err != nil {
			return err
		}
		jr := c.JoinGroup(ctx, joinReqFor(), "stress", "/127.0.0.1")
		switch jr.ErrorCode {
		case errNone:
		case errMemberIDRequired:
			memberID = jr.MemberID
			continue
		case errUnknownMemberID:
			memberID = ""
			continue
		case errRebalanceInProgress, errNotCoordinator, errCoordinatorNotAvailable:
			continue
		default:
			return fmt.Errorf("join: error %d", jr.ErrorCode)
		}
		memberID = jr.MemberID
		gen := jr.Generation
		var assign map[string][]byte
		if jr.LeaderID == memberID {
			assign = map[string][]byte{}
			for _, m := range jr.Members {
				assign[m.MemberID] = []byte("a")
			}
		}
		sr := c.SyncGroup(ctx, syncReq(5, group, memberID, gen, assign))
		switch sr.ErrorCode {
		case errNone:
		case errUnknownMemberID:
			memberID = ""
			continue
		case errRebalanceInProgress, errIllegalGeneration, errNotCoordinator, errCoordinatorNotAvailable:
			continue
		default:
			return fmt.Errorf("sync: error %d", sr.ErrorCode)
		}
	stable:
		for next <= int64(commits) {
			hb := kmsg.NewPtrHeartbeatRequest()
			hb.Version, hb.Group, hb.MemberID, hb.Generation = 4, group, memberID, gen
			switch code := c.Heartbeat(ctx, hb).ErrorCode; code {
			case errNone:
			case errRebalanceInProgress:
				break stable
			case errUnknownMemberID:
				memberID = ""
				break stable
			case errIllegalGeneration:
				break stable
			default:
				return fmt.Errorf("heartbeat: error %d", code)
			}
			req := kmsg.NewPtrOffsetCommitRequest()
			req.Version, req.Group, req.MemberID, req.Generation = 8, group, memberID, gen
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = tp.topic
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset = tp.partition, next
			rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{rp}
			req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
			switch code := c.OffsetCommit(ctx, req).Topics[0].Partitions[0].ErrorCode; code {
			case errNone:
				ack(next)
				next++
				if next%10 == 0 {
					// Leave and come back as a new member: churn for everyone.
					leaveReq := kmsg.NewPtrLeaveGroupRequest()
					leaveReq.Version, leaveReq.Group = 3, group
					leaveReq.Members = []kmsg.LeaveGroupRequestMember{leaving(memberID, nil)}
					c.LeaveGroup(ctx, leaveReq)
					memberID = ""
					break stable
				}
			case errRebalanceInProgress, errIllegalGeneration, errUnknownMemberID, errNotCoordinator:
			default:
				return fmt.Errorf("commit: error %d", code)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
	}
	if memberID != "" {
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Version, req.Group = 3, group
		req.Members = []kmsg.LeaveGroupRequestMember{leaving(memberID, nil)}
		c.LeaveGroup(ctx, req)
	}
	return nil
}
