package group

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// JoinGroup handles a JoinGroup request (versions 0-9) from a client with
// the given client id and host, the host as Kafka reports it in
// DescribeGroups ("/" and the IP address, e.g. "/127.0.0.1"). It blocks until
// the join phase of the rebalance completes, the request's context ends, or
// the group's partition is unloaded.
//
// Per version, as in Kafka 3.9: v0 has no rebalance timeout (the session
// timeout stands in); v4+ answers a dynamic member joining without a member
// id with MEMBER_ID_REQUIRED and a new id to rejoin with (KIP-394); v5+
// carries group.instance.id for static membership (KIP-345); v7+ returns the
// protocol type and a nullable protocol name; v9+ tells a static leader that
// rejoined a stable group to skip the assignment (KIP-814).
func (c *Coordinator) JoinGroup(ctx context.Context, req *kmsg.JoinGroupRequest, clientID, clientHost string) *kmsg.JoinGroupResponse {
	res := c.joinGroup(ctx, req, clientID, clientHost)
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.SetVersion(req.Version)
	resp.ErrorCode = res.code
	resp.Generation = res.generation
	resp.ProtocolType = res.protocolType
	resp.Protocol = res.protocolName
	switch {
	case req.Version < 7 && resp.Protocol == nil:
		// Not nullable before v7: Kafka sends an empty name instead.
		resp.Protocol = new(string)
	case req.Version >= 7 && resp.Protocol != nil && *resp.Protocol == "":
		resp.Protocol = nil
	}
	resp.LeaderID = res.leaderID
	resp.SkipAssignment = res.skipAssignment
	resp.MemberID = res.memberID
	resp.Members = res.members
	return resp
}

// joinRequest is a JoinGroup request in the version-independent form the
// state machine works on, with everything it keeps copied out of the
// request.
type joinRequest struct {
	memberID             string
	instanceID           *string
	requireKnownMemberID bool
	supportSkipping      bool
	clientID, clientHost string
	rebalanceTimeout     int32
	sessionTimeout       int32
	protocolType         string
	protocols            []protocol
	reason               string
}

func (c *Coordinator) joinGroup(ctx context.Context, req *kmsg.JoinGroupRequest, clientID, clientHost string) joinResult {
	jr := joinRequest{
		memberID:         strings.Clone(req.MemberID),
		instanceID:       cloneStringPtr(req.InstanceID),
		supportSkipping:  req.Version >= 9,
		clientID:         strings.Clone(clientID),
		clientHost:       strings.Clone(clientHost),
		rebalanceTimeout: req.RebalanceTimeoutMillis,
		sessionTimeout:   req.SessionTimeoutMillis,
		protocolType:     strings.Clone(req.ProtocolType),
		reason:           "not provided",
	}
	if req.Version == 0 {
		jr.rebalanceTimeout = jr.sessionTimeout
	}
	// A known member id is required from v4 on, for dynamic members only.
	jr.requireKnownMemberID = req.Version >= 4 && jr.instanceID == nil
	if req.Reason != nil {
		jr.reason = *req.Reason
	}
	// Protocols are keyed by name (Kafka reads them into a map-keyed
	// collection); a repeated name counts once, with its first metadata.
	jr.protocols = make([]protocol, 0, len(req.Protocols))
	for _, p := range req.Protocols {
		if slices.ContainsFunc(jr.protocols, func(q protocol) bool { return q.name == p.Name }) {
			continue
		}
		jr.protocols = append(jr.protocols, protocol{name: strings.Clone(p.Name), metadata: bytes.Clone(p.Metadata)})
	}

	if _, code := c.lookup(req.Group, apiJoinGroup, false); code != errNone {
		return joinError(jr.memberID, code)
	}
	session := time.Duration(jr.sessionTimeout) * time.Millisecond
	if session < c.cfg.MinSessionTimeout || session > c.cfg.MaxSessionTimeout {
		return joinError(jr.memberID, errInvalidSessionTimeout)
	}
	isUnknown := jr.memberID == ""
	// The group is created only by a join without a member id; a member id
	// for a group that does not exist is unknown.
	g, code := c.lookup(req.Group, apiJoinGroup, isUnknown)
	if code != errNone {
		return joinError(jr.memberID, code)
	}
	if g == nil {
		return joinError(jr.memberID, errUnknownMemberID)
	}

	// If the client goes away first, like Kafka the member stays in the
	// rebalance until it completes or the member's timeout removes it.
	return awaitAnswer(ctx, c, g, func(ch chan joinResult) *pendingWrite { return c.doJoin(g, jr, ch) },
		joinError(jr.memberID, errCoordinatorNotAvailable))
}

// doJoin is the body of Kafka's handleJoinGroup once the group is known.
// g.mu and g.writeMu are held. The reply goes to ch, now or when the join
// phase completes; a returned write must be run before replying.
func (c *Coordinator) doJoin(g *group, jr joinRequest, ch chan joinResult) *pendingWrite {
	var w *pendingWrite
	switch {
	case !c.acceptJoiningMember(g, jr.memberID):
		g.remove(jr.memberID)
		ch <- joinError("", errGroupMaxSizeReached)
	case jr.memberID == "":
		w = c.doNewMemberJoin(g, jr, ch)
	default:
		c.doCurrentMemberJoin(g, jr, ch)
	}
	if g.is(statePreparingRebalance) {
		c.checkJoin(g)
	}
	return w
}

// acceptJoiningMember enforces group.max.size (Kafka 2.7+ rules): during the
// join phase by the number of members that already rejoined, so that the
// last members to rejoin are the ones turned away; otherwise by group size.
func (c *Coordinator) acceptJoiningMember(g *group, memberID string) bool {
	switch g.state {
	case stateEmpty, stateDead:
		return true
	case statePreparingRebalance:
		if m := g.members[memberID]; m != nil && m.isAwaitingJoin() {
			return true
		}
		return g.numAwaiting < c.cfg.MaxGroupSize
	default:
		return g.has(memberID) || g.size() < c.cfg.MaxGroupSize
	}
}

func (c *Coordinator) doNewMemberJoin(g *group, jr joinRequest, ch chan joinResult) *pendingWrite {
	if g.is(stateDead) {
		// The group was just deleted or unloaded; the member retries and
		// finds the right coordinator.
		ch <- joinError("", errCoordinatorNotAvailable)
		return nil
	}
	if !g.supportsProtocols(jr.protocolType, jr.protocols) {
		ch <- joinError("", errInconsistentGroupProtocol)
		return nil
	}
	newID := newMemberID(jr.clientID, jr.instanceID)
	if jr.instanceID != nil {
		if oldID, ok := g.staticMembers[*jr.instanceID]; ok {
			c.log.Info("static member rejoins with unknown member id, replacing its previous member id",
				"group", g.id, "instance_id", *jr.instanceID, "old_member", oldID, "member", newID, "state", g.state.String())
			return c.updateStaticMemberAndRebalance(g, oldID, newID, jr, ch)
		}
		c.addMemberAndRebalance(g, newID, jr, ch)
		return nil
	}
	if jr.requireKnownMemberID {
		// KIP-394: hand out the id and wait for the member to come back
		// with it; an id that is not used within the session timeout lapses.
		c.addPendingMember(g, newID, time.Duration(jr.sessionTimeout)*time.Millisecond)
		ch <- joinError(newID, errMemberIDRequired)
		return nil
	}
	c.addMemberAndRebalance(g, newID, jr, ch)
	return nil
}

func (c *Coordinator) doCurrentMemberJoin(g *group, jr joinRequest, ch chan joinResult) {
	if g.is(stateDead) {
		ch <- joinError(jr.memberID, errCoordinatorNotAvailable)
		return
	}
	if !g.supportsProtocols(jr.protocolType, jr.protocols) {
		ch <- joinError(jr.memberID, errInconsistentGroupProtocol)
		return
	}
	if g.isPending(jr.memberID) {
		if jr.instanceID != nil {
			// Pending ids are only handed to dynamic members; Kafka treats
			// this as an internal error.
			ch <- joinError(jr.memberID, errUnknownServerError)
			return
		}
		c.addMemberAndRebalance(g, jr.memberID, jr, ch)
		return
	}
	if code := validateCurrentMember(g, jr.memberID, jr.instanceID); code != errNone {
		ch <- joinError(jr.memberID, code)
		return
	}
	m := g.members[jr.memberID]
	switch g.state {
	case statePreparingRebalance:
		c.updateMemberAndRebalance(g, m, jr, ch)
	case stateCompletingRebalance:
		if m.matches(jr.protocols) {
			// Same metadata: the member probably lost our JoinGroup
			// response, so repeat it for the current generation.
			res := c.currentJoinResult(g, m.id)
			if g.isLeader(m.id) {
				res.members = g.currentMemberMetadata()
			}
			ch <- res
			return
		}
		c.updateMemberAndRebalance(g, m, jr, ch)
	case stateStable:
		if g.isLeader(m.id) || !m.matches(jr.protocols) {
			// A rejoining leader forces a rebalance, which lets it react
			// to changes its metadata does not show (e.g. new partitions).
			c.updateMemberAndRebalance(g, m, jr, ch)
			return
		}
		ch <- c.currentJoinResult(g, m.id)
	default:
		c.log.Warn("rejoining member found group in unexpected state", "group", g.id, "member", jr.memberID, "state", g.state.String())
		ch <- joinError(jr.memberID, errUnknownMemberID)
	}
}

// currentJoinResult is a successful join answer for the current generation.
func (c *Coordinator) currentJoinResult(g *group, memberID string) joinResult {
	return joinResult{
		memberID:     memberID,
		generation:   g.generation,
		protocolType: optString(g.protocolType),
		protocolName: g.protocolName,
		leaderID:     g.leaderID,
	}
}

// validateGeneration is the check SyncGroup and Heartbeat share: the group
// is live, the member is a current one and its generation is the group's.
func validateGeneration(g *group, memberID string, instanceID *string, generation int32) int16 {
	if g.is(stateDead) {
		return errCoordinatorNotAvailable
	}
	if code := validateCurrentMember(g, memberID, instanceID); code != errNone {
		return code
	}
	if generation != g.generation {
		return errIllegalGeneration
	}
	return errNone
}

// validateCurrentMember checks that a static member's instance id maps to
// this member id (FENCED_INSTANCE_ID if another id holds it) and that the
// member exists.
func validateCurrentMember(g *group, memberID string, instanceID *string) int16 {
	if instanceID != nil {
		cur, ok := g.staticMembers[*instanceID]
		if !ok {
			return errUnknownMemberID
		}
		if cur != memberID {
			return errFencedInstanceID
		}
	}
	if !g.has(memberID) {
		return errUnknownMemberID
	}
	return errNone
}

func (c *Coordinator) addMemberAndRebalance(g *group, memberID string, jr joinRequest, ch chan joinResult) {
	m := &member{
		id:               memberID,
		instanceID:       jr.instanceID,
		clientID:         jr.clientID,
		clientHost:       jr.clientHost,
		rebalanceTimeout: jr.rebalanceTimeout,
		sessionTimeout:   jr.sessionTimeout,
		protocolType:     jr.protocolType,
		protocols:        jr.protocols,
		isNew:            true,
	}
	// New members arriving during the initial delay extend it.
	if g.is(statePreparingRebalance) && g.generation == 0 {
		g.newMemberAdded = true
	}
	g.add(m, ch)
	// A new member cannot heartbeat until its join completes; bound its
	// wait instead, so that members of clients that gave up do not pile up.
	c.scheduleExpiration(g, m, newMemberJoinTimeout)
	c.maybePrepareRebalance(g, "adding new member "+memberID+"; client reason: "+jr.reason)
}

func (c *Coordinator) updateMemberAndRebalance(g *group, m *member, jr joinRequest, ch chan joinResult) {
	g.updateMember(m, jr.protocols, jr.rebalanceTimeout, jr.sessionTimeout, ch)
	c.maybePrepareRebalance(g, "member "+m.id+" rejoining during "+g.state.String()+"; client reason: "+jr.reason)
}

// updateStaticMemberAndRebalance handles a static member that restarted:
// its old member id is replaced by a new one and, if the group is stable
// and the selected protocol would not change, the member keeps its
// assignment without a rebalance once the new id is persisted (KIP-345).
func (c *Coordinator) updateStaticMemberAndRebalance(g *group, oldID, newID string, jr joinRequest, ch chan joinResult) *pendingWrite {
	currentLeader := g.leaderID
	instanceID := *jr.instanceID
	m := g.replaceStaticMember(instanceID, oldID, newID)
	// The old id's session timer goes with it; arm the new id's.
	c.scheduleHeartbeat(g, m)
	oldProtocols, oldRebalance, oldSession := m.protocols, m.rebalanceTimeout, m.sessionTimeout
	g.updateMember(m, jr.protocols, jr.rebalanceTimeout, jr.sessionTimeout, ch)
	reason := "static member " + newID + " with instance id " + instanceID + " rejoined; client reason: " + jr.reason

	switch g.state {
	case stateStable:
		next, _ := g.selectProtocol()
		if g.protocolName == nil || *g.protocolName != next {
			c.maybePrepareRebalance(g, reason+" with a change of protocol")
			return nil
		}
		assignment := make(map[string][]byte, len(g.order))
		for _, o := range g.order {
			assignment[o.id] = o.assignment
		}
		batch, err := c.groupMetadataBatch(g, assignment)
		if err != nil {
			c.log.Error("encode group metadata", "group", g.id, "err", err)
			ch <- joinError("", errUnknownServerError)
			return nil
		}
		return &pendingWrite{batch: batch, done: func(_ int64, err error) {
			if err != nil {
				code := groupWriteCode(err)
				c.log.Warn("persist static member replacement", "group", g.id, "member", newID, "err", err)
				// Undo the replacement so the group matches the log.
				if g.members[newID] == m && !g.is(stateDead) {
					g.updateMember(m, oldProtocols, oldRebalance, oldSession, nil)
					g.replaceStaticMember(instanceID, newID, oldID)
					c.scheduleHeartbeat(g, m)
				}
				res := joinError("", code)
				res.generation = g.generation
				res.protocolType = optString(g.protocolType)
				res.protocolName = g.protocolName
				res.leaderID = currentLeader
				ch <- res
				return
			}
			res := c.currentJoinResult(g, newID)
			if jr.supportSkipping {
				// v9+: the static leader learns it leads but must not run
				// the assignor again, since a stable group would ignore
				// the new assignment.
				if g.isLeader(newID) && g.state != statePreparingRebalance && g.state != stateDead {
					res.members = g.currentMemberMetadata()
					res.skipAssignment = true
				}
			} else {
				// Before v9, report the old leader id so a restarted leader
				// does not think it leads and compute a pointless assignment.
				res.leaderID = currentLeader
			}
			g.maybeInvokeJoin(m, res)
		}}
	case stateCompletingRebalance:
		// The leader may already hold the old id in its member list, so the
		// new id would get no assignment: rebalance again.
		c.prepareRebalance(g, reason)
	case statePreparingRebalance:
		// The member simply waits for the join phase to complete.
	default:
		c.log.Error("static member rejoined a group in an unexpected state", "group", g.id, "state", g.state.String())
		g.maybeInvokeJoin(m, joinError("", errUnknownServerError))
	}
	return nil
}

// addPendingMember records a member id handed out with MEMBER_ID_REQUIRED;
// it lapses after the session timeout unless the member joins with it.
func (c *Coordinator) addPendingMember(g *group, memberID string, timeout time.Duration) {
	g.pending[memberID] = nil
	t := c.afterFunc(timeout, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if _, ok := g.pending[memberID]; !ok || g.is(stateDead) {
			return
		}
		c.log.Info("pending member removed after session timeout", "group", g.id, "member", memberID)
		g.removePending(memberID)
		if g.is(statePreparingRebalance) {
			c.checkJoin(g)
		}
	})
	if _, ok := g.pending[memberID]; ok {
		g.pending[memberID] = t
	}
}

func (c *Coordinator) maybePrepareRebalance(g *group, reason string) {
	if g.canRebalance() {
		c.prepareRebalance(g, reason)
	}
}

// prepareRebalance starts a join phase: members waiting in SyncGroup are
// told to rejoin, and the phase ends when everyone has rejoined or the
// rebalance timeout passes; the first rebalance of an empty group instead
// waits group.initial.rebalance.delay.ms (extended while members keep
// arriving, within the rebalance timeout).
func (c *Coordinator) prepareRebalance(g *group, reason string) {
	if g.is(stateCompletingRebalance) {
		c.resetAndPropagateAssignmentError(g, errRebalanceInProgress)
	}
	c.removeSyncExpiration(g)
	var op *delayedOp
	if g.is(stateEmpty) {
		delay := c.cfg.InitialRebalanceDelay
		op = &delayedOp{initial: true, delay: delay, remaining: max(g.rebalanceTimeout()-delay, 0)}
	} else {
		op = &delayedOp{delay: g.rebalanceTimeout()}
	}
	prev := g.state
	c.transition(g, statePreparingRebalance)
	c.log.Info("preparing to rebalance group", "group", g.id, "from", prev.String(),
		"generation", g.generation, "partition", g.partition, "reason", reason)
	c.armJoin(g, op)
}

// armJoin makes op the group's join-phase timer and, for a regular phase,
// completes it at once if everyone has already rejoined.
func (c *Coordinator) armJoin(g *group, op *delayedOp) {
	g.joinOp.stop()
	g.joinOp = op
	op.timer = c.afterFunc(op.delay, func() { c.onJoinTimer(g, op) })
	if !op.initial {
		c.checkJoin(g)
	}
}

// checkJoin completes the join phase if every member has rejoined (Kafka's
// DelayedJoin.tryComplete); the initial delay only ends on its timer.
func (c *Coordinator) checkJoin(g *group) {
	op := g.joinOp
	if op == nil || op.initial || !g.hasAllMembersJoined() {
		return
	}
	op.stop()
	g.joinOp = nil
	c.completeJoin(g)
}

func (c *Coordinator) onJoinTimer(g *group, op *delayedOp) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.joinOp != op {
		return
	}
	g.joinOp = nil
	if op.initial && g.newMemberAdded && op.remaining != 0 && !g.is(stateDead) {
		// Members are still arriving: wait another delay, within the
		// rebalance timeout (Kafka's InitialDelayedJoin arithmetic).
		g.newMemberAdded = false
		c.armJoin(g, &delayedOp{
			initial:   true,
			delay:     min(c.cfg.InitialRebalanceDelay, op.remaining),
			remaining: max(op.remaining-op.delay, 0),
		})
		return
	}
	c.completeJoin(g)
}

// completeJoin ends the join phase (Kafka's onCompleteJoin): dynamic members
// that did not rejoin are dropped, and the next generation starts with the
// members that did, the leader receiving the member list.
func (c *Coordinator) completeJoin(g *group) {
	for _, m := range append([]*member(nil), g.order...) {
		if !m.isAwaitingJoin() && !m.isStatic() {
			c.log.Info("removing member that did not rejoin", "group", g.id, "member", m.id)
			g.remove(m.id)
		}
	}
	if g.is(stateDead) {
		return
	}
	if !g.maybeElectNewJoinedLeader() && g.size() > 0 {
		// Only static members that have not rejoined are left: wait
		// another rebalance timeout for them (or for their sessions to end).
		c.log.Error("group could not complete rebalance because no members rejoined", "group", g.id)
		c.armJoin(g, &delayedOp{delay: g.rebalanceTimeout()})
		return
	}
	prev := g.state
	if !g.initNextGeneration(c.nowMs()) {
		c.log.Error("invalid group state transition", "group", g.id, "from", prev.String(), "to", g.state.String())
	}
	if g.is(stateEmpty) {
		c.log.Info("group is now empty", "group", g.id, "generation", g.generation, "partition", g.partition)
		c.persistGroupAsync(g)
		return
	}
	c.log.Info("stabilized group", "group", g.id, "generation", g.generation, "members", g.size(), "partition", g.partition)
	for _, m := range g.order {
		res := c.currentJoinResult(g, m.id)
		if g.isLeader(m.id) {
			res.members = g.currentMemberMetadata()
		}
		g.maybeInvokeJoin(m, res)
		c.scheduleHeartbeat(g, m)
		m.isNew = false
		g.pendingSync[m.id] = true
	}
	c.armSync(g)
}

// armSync bounds how long members may take to send SyncGroup after the
// join phase (Kafka's DelayedSync, KIP-814's pending-sync timeout).
func (c *Coordinator) armSync(g *group) {
	g.syncOp.stop()
	op := &delayedOp{generation: g.generation, delay: g.rebalanceTimeout()}
	g.syncOp = op
	op.timer = c.afterFunc(op.delay, func() { c.onSyncTimer(g, op) })
}

func (c *Coordinator) onSyncTimer(g *group, op *delayedOp) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.syncOp != op {
		return
	}
	g.syncOp = nil
	if op.generation != g.generation {
		return
	}
	if !g.is(stateCompletingRebalance) && !g.is(stateStable) || len(g.pendingSync) == 0 {
		return
	}
	missing := sortedKeys(g.pendingSync)
	for _, id := range missing {
		g.remove(id)
	}
	c.log.Info("removed members that did not send SyncGroup in time", "group", g.id, "members", missing)
	c.prepareRebalance(g, "removing "+strings.Join(missing, ",")+" on pending sync request expiration")
}

// removeSyncExpiration forgets who still owes a SyncGroup and disarms the
// pending-sync timer.
func (c *Coordinator) removeSyncExpiration(g *group) {
	clear(g.pendingSync)
	g.syncOp.stop()
	g.syncOp = nil
}

func (c *Coordinator) removePendingSyncMember(g *group, memberID string) {
	delete(g.pendingSync, memberID)
	if len(g.pendingSync) == 0 {
		g.syncOp.stop()
		g.syncOp = nil
	}
}

func (c *Coordinator) resetAndPropagateAssignmentError(g *group, code int16) {
	for _, m := range g.order {
		m.assignment = nil
	}
	c.propagateAssignment(g, code)
}

func (c *Coordinator) setAndPropagateAssignment(g *group, assignment map[string][]byte) {
	for _, m := range g.order {
		m.assignment = assignment[m.id]
	}
	c.propagateAssignment(g, errNone)
}

// propagateAssignment answers every member waiting in SyncGroup and re-arms
// their session timers, which were paused while they waited.
func (c *Coordinator) propagateAssignment(g *group, code int16) {
	var pt, pn *string
	if code == errNone {
		pt, pn = optString(g.protocolType), g.protocolName
	}
	for _, m := range g.order {
		if code == errNone && len(m.assignment) == 0 {
			c.log.Debug("sending empty assignment", "group", g.id, "member", m.id, "generation", g.generation)
		}
		if g.maybeInvokeSync(m, syncResult{protocolType: pt, protocolName: pn, assignment: m.assignment, code: code}) {
			c.scheduleHeartbeat(g, m)
		}
	}
}

// removeMemberAndUpdateGroup removes a member that left or failed: its
// waiting JoinGroup gets UNKNOWN_MEMBER_ID (so a live client rejoins), and
// the group rebalances or re-checks its join phase.
func (c *Coordinator) removeMemberAndUpdateGroup(g *group, m *member, reason string) {
	g.maybeInvokeJoin(m, joinError("", errUnknownMemberID))
	g.remove(m.id)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		c.maybePrepareRebalance(g, reason)
	case statePreparingRebalance:
		c.checkJoin(g)
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cloneStringPtr(s *string) *string {
	if s == nil {
		return nil
	}
	v := strings.Clone(*s)
	return &v
}
