package group

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Heartbeat handles a Heartbeat request (versions 0-4; v3+ carries the
// static member's instance id). A member learns of a rebalance from
// REBALANCE_IN_PROGRESS and rejoins; while the group's partition is still
// loading the answer is a blind success, as in Kafka, so members do not
// rejoin needlessly.
func (c *Coordinator) Heartbeat(_ context.Context, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	resp.SetVersion(req.Version)
	resp.ErrorCode = c.heartbeat(req)
	return resp
}

func (c *Coordinator) heartbeat(req *kmsg.HeartbeatRequest) int16 {
	g, code := c.lookup(req.Group, apiHeartbeat, false)
	switch {
	case code == errCoordinatorLoadInProgress:
		return errNone
	case code != errNone:
		return code
	case g == nil:
		return errUnknownMemberID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if code := validateGeneration(g, req.MemberID, req.InstanceID, req.Generation); code != errNone {
		return code
	}
	m := g.members[req.MemberID]
	switch g.state {
	case stateCompletingRebalance, stateStable:
		// Members may heartbeat between their JoinGroup and SyncGroup.
		c.scheduleHeartbeat(g, m)
		return errNone
	case statePreparingRebalance:
		c.scheduleHeartbeat(g, m)
		return errRebalanceInProgress
	default:
		return errUnknownMemberID
	}
}

// LeaveGroup handles a LeaveGroup request (versions 0-5). Before v3 one
// member leaves and the response has a single error code; from v3 a batch of
// members leaves, each identified by member id or, for an administrative
// removal of a static member, by instance id alone (KIP-345).
func (c *Coordinator) LeaveGroup(_ context.Context, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	members := req.Members
	if req.Version <= 2 {
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = req.MemberID
		members = []kmsg.LeaveGroupRequestMember{m}
	}
	top, results := c.leaveGroup(req.Group, members)
	resp := kmsg.NewPtrLeaveGroupResponse()
	resp.SetVersion(req.Version)
	if req.Version >= 3 {
		resp.ErrorCode = top
		resp.Members = results
		return resp
	}
	resp.ErrorCode = top
	if top == errNone && len(results) > 0 {
		resp.ErrorCode = results[0].ErrorCode
	}
	return resp
}

func (c *Coordinator) leaveGroup(groupID string, leaving []kmsg.LeaveGroupRequestMember) (int16, []kmsg.LeaveGroupResponseMember) {
	g, code := c.lookup(groupID, apiLeaveGroup, false)
	if code != errNone {
		return code, nil
	}
	results := make([]kmsg.LeaveGroupResponseMember, len(leaving))
	for i, lm := range leaving {
		results[i] = kmsg.NewLeaveGroupResponseMember()
		results[i].MemberID = lm.MemberID
		results[i].InstanceID = lm.InstanceID
	}
	if g == nil {
		for i := range results {
			results[i].ErrorCode = errUnknownMemberID
		}
		return errNone, results
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.is(stateDead) {
		return errCoordinatorNotAvailable, nil
	}
	for i, lm := range leaving {
		reason := "not provided"
		if lm.Reason != nil {
			reason = *lm.Reason
		}
		switch {
		case lm.MemberID == "":
			// Removal by instance id, without knowing the member id.
			cur, ok := "", false
			if lm.InstanceID != nil {
				cur, ok = g.staticMembers[*lm.InstanceID]
			}
			if !ok {
				results[i].ErrorCode = errUnknownMemberID
				continue
			}
			c.removeLeavingMember(g, cur, reason)
		case g.isPending(lm.MemberID):
			g.removePending(lm.MemberID)
			c.log.Info("pending member left group", "group", g.id, "member", lm.MemberID)
			if g.is(statePreparingRebalance) {
				c.checkJoin(g)
			}
		default:
			if code := validateCurrentMember(g, lm.MemberID, lm.InstanceID); code != errNone {
				results[i].ErrorCode = code
				continue
			}
			c.removeLeavingMember(g, lm.MemberID, reason)
		}
	}
	return errNone, results
}

func (c *Coordinator) removeLeavingMember(g *group, memberID, reason string) {
	m := g.members[memberID]
	if m == nil {
		return
	}
	c.log.Info("member left group", "group", g.id, "member", memberID, "reason", reason)
	c.removeMemberAndUpdateGroup(g, m, "removing member "+memberID+" on LeaveGroup; client reason: "+reason)
}

// scheduleHeartbeat restarts a member's session timer: the member proved it
// is alive and must do so again within its session timeout.
func (c *Coordinator) scheduleHeartbeat(g *group, m *member) {
	c.scheduleExpiration(g, m, time.Duration(m.sessionTimeout)*time.Millisecond)
}

// scheduleExpiration is Kafka's completeAndScheduleNextExpiration: the
// current deadline is satisfied and a new one armed, unless the member
// counts as alive anyway (it waits in a rebalance), in which case no timer
// runs until the rebalance re-arms it.
func (c *Coordinator) scheduleExpiration(g *group, m *member, d time.Duration) {
	m.stopHeartbeat()
	m.heartbeatSatisfied = false
	if m.hasSatisfiedHeartbeat() {
		return
	}
	seq := m.hbSeq
	m.hb = c.afterFunc(d, func() { c.onHeartbeatExpired(g, m, seq) })
}

func (c *Coordinator) onHeartbeatExpired(g *group, m *member, seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m.hbSeq != seq {
		return
	}
	m.hb = nil
	if g.is(stateDead) || g.members[m.id] != m || m.hasSatisfiedHeartbeat() {
		return
	}
	c.log.Info("member session expired, removing it from the group", "group", g.id, "member", m.id)
	c.removeMemberAndUpdateGroup(g, m, "removing member "+m.id+" on heartbeat expiration")
}

// pendingWrite is a Storage append a handler must make before it replies;
// done runs with g.mu held once the append returned.
type pendingWrite struct {
	batch []byte
	done  func(lastOffset int64, err error)
}

// awaitAnswer runs step under the group's locks (writeMu, then mu), makes
// the Storage append step asks for, if any, and waits for the answer step
// (or a later event of the group) sends on its channel. When ctx ends
// first, an answer already sent still wins; otherwise gone is returned.
// JoinGroup and SyncGroup wait this way for the rest of the rebalance.
func awaitAnswer[T any](ctx context.Context, c *Coordinator, g *group, step func(chan T) *pendingWrite, gone T) T {
	ch := make(chan T, 1)
	g.writeMu.Lock()
	g.mu.Lock()
	if w := step(ch); w != nil {
		c.runWrite(ctx, g, w)
	}
	g.mu.Unlock()
	g.writeMu.Unlock()

	select {
	case res := <-ch:
		return res
	case <-ctx.Done():
		select {
		case res := <-ch:
			return res
		default:
		}
		return gone
	}
}

// runWrite appends w's batch with g.mu released (g.writeMu stays held, so
// the group's records keep their order) and then calls w.done. Both locks
// must be held on entry; both are held on return.
func (c *Coordinator) runWrite(ctx context.Context, g *group, w *pendingWrite) {
	g.mu.Unlock()
	off, err := c.st.Append(ctx, g.partition, w.batch)
	g.mu.Lock()
	w.done(off, err)
}

// persistGroupAsync writes the group's current metadata in the background,
// as Kafka does when a rebalance leaves a group empty. g.mu must be held. The
// write is skipped if the group has moved to a later generation by the time
// it can be made, since that generation writes its own record.
func (c *Coordinator) persistGroupAsync(g *group) {
	gen := g.generation
	batch, err := c.groupMetadataBatch(g, nil)
	if err != nil {
		c.log.Error("encode group metadata", "group", g.id, "err", err)
		return
	}
	c.goTracked(func() {
		g.writeMu.Lock()
		defer g.writeMu.Unlock()
		g.mu.Lock()
		stale := g.generation != gen || g.is(stateDead)
		g.mu.Unlock()
		if stale {
			return
		}
		if _, err := c.st.Append(c.ctx, g.partition, batch); err != nil {
			// If the broker fails before the next rebalance, the previous
			// generation is loaded again and times out; that is safe.
			c.log.Warn("write empty group metadata", "group", g.id, "generation", gen, "err", err)
		}
	})
}

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
