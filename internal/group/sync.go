package group

import (
	"bytes"
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup handles a SyncGroup request (versions 0-5). The leader's request
// carries the assignment, which is persisted before any member is answered;
// every member's request blocks until then, the request's context ends, or
// the partition is unloaded. v3+ carries the static member's instance id;
// v5+ must name the protocol type and name, which are checked against the
// group's (INCONSISTENT_GROUP_PROTOCOL).
func (c *Coordinator) SyncGroup(ctx context.Context, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	res := c.syncGroup(ctx, req)
	resp := kmsg.NewPtrSyncGroupResponse()
	resp.SetVersion(req.Version)
	resp.ErrorCode = res.code
	resp.ProtocolType = res.protocolType
	resp.Protocol = res.protocolName
	resp.MemberAssignment = res.assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp
}

func (c *Coordinator) syncGroup(ctx context.Context, req *kmsg.SyncGroupRequest) syncResult {
	if req.Version >= 5 && (req.ProtocolType == nil || req.Protocol == nil) {
		return syncError(errInconsistentGroupProtocol)
	}
	g, code := c.lookup(req.Group, apiSyncGroup, false)
	switch {
	case code == errCoordinatorLoadInProgress:
		// The rebalance state was lost with the old coordinator; send the
		// member back to JoinGroup (older clients do not expect the loading
		// error here).
		return syncError(errRebalanceInProgress)
	case code != errNone:
		return syncError(code)
	case g == nil:
		return syncError(errUnknownMemberID)
	}

	return awaitAnswer(ctx, c, g, func(ch chan syncResult) *pendingWrite { return c.doSync(g, req, ch) },
		syncError(errCoordinatorNotAvailable))
}

// doSync is the body of Kafka's doSyncGroup; g.mu and g.writeMu are held.
func (c *Coordinator) doSync(g *group, req *kmsg.SyncGroupRequest, ch chan syncResult) *pendingWrite {
	if code := c.validateSync(g, req); code != errNone {
		ch <- syncError(code)
		return nil
	}
	switch g.state {
	case stateEmpty:
		ch <- syncError(errUnknownMemberID)
	case statePreparingRebalance:
		ch <- syncError(errRebalanceInProgress)
	case stateCompletingRebalance:
		m := g.members[req.MemberID]
		// A repeated SyncGroup replaces the earlier one, which is told to
		// rejoin rather than left without an answer.
		g.maybeInvokeSync(m, syncError(errRebalanceInProgress))
		m.syncCh = ch
		c.removePendingSyncMember(g, m.id)
		if !g.isLeader(m.id) {
			return nil
		}
		c.log.Info("assignment received from leader", "group", g.id, "member", m.id,
			"generation", g.generation, "members", g.size(), "static_members", len(g.staticMembers))
		assignment := make(map[string][]byte, len(g.order))
		for _, a := range req.GroupAssignment {
			assignment[strings.Clone(a.MemberID)] = bytes.Clone(a.MemberAssignment)
		}
		for _, o := range g.order {
			if _, ok := assignment[o.id]; !ok {
				c.log.Warn("setting empty assignment for member missing from leader's assignment", "group", g.id, "member", o.id, "generation", g.generation)
				assignment[o.id] = []byte{}
			}
		}
		gen := g.generation
		batch, err := c.groupMetadataBatch(g, assignment)
		if err != nil {
			c.log.Error("encode group metadata", "group", g.id, "err", err)
			c.resetAndPropagateAssignmentError(g, errUnknownServerError)
			c.maybePrepareRebalance(g, "cannot encode group assignment")
			return nil
		}
		return &pendingWrite{batch: batch, done: func(_ int64, err error) {
			// A member may have joined or left while the record was being
			// written; then this generation is over and nothing applies.
			if !g.is(stateCompletingRebalance) || gen != g.generation {
				return
			}
			if err != nil {
				code := groupWriteCode(err)
				c.log.Warn("store group assignment", "group", g.id, "generation", gen, "err", err)
				c.resetAndPropagateAssignmentError(g, code)
				c.maybePrepareRebalance(g, "error storing group assignment during SyncGroup")
				return
			}
			c.setAndPropagateAssignment(g, assignment)
			c.transition(g, stateStable)
		}}
	case stateStable:
		m := g.members[req.MemberID]
		c.removePendingSyncMember(g, m.id)
		ch <- syncResult{
			protocolType: optString(g.protocolType),
			protocolName: g.protocolName,
			assignment:   m.assignment,
		}
		c.scheduleHeartbeat(g, m)
	default:
		ch <- syncError(errCoordinatorNotAvailable)
	}
	return nil
}

func (c *Coordinator) validateSync(g *group, req *kmsg.SyncGroupRequest) int16 {
	if code := validateGeneration(g, req.MemberID, req.InstanceID, req.Generation); code != errNone {
		return code
	}
	if req.ProtocolType != nil && (g.protocolType == "" || *req.ProtocolType != g.protocolType) {
		return errInconsistentGroupProtocol
	}
	if req.Protocol != nil && (g.protocolName == nil || *req.Protocol != *g.protocolName) {
		return errInconsistentGroupProtocol
	}
	return errNone
}
