package group

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumerProtocolType is the protocol type of groups formed by consumers;
// only for those does the coordinator read subscriptions (OffsetDelete's
// GROUP_SUBSCRIBED_TO_TOPIC, expiry of unsubscribed topics' offsets).
const consumerProtocolType = "consumer"

// protocol is one assignment protocol a member supports, with the member's
// metadata for it (for consumers: the subscription).
type protocol struct {
	name     string
	metadata []byte
}

// joinResult is what a waiting JoinGroup is answered with; the handler turns
// it into a response of the request's version.
type joinResult struct {
	members        []kmsg.JoinGroupResponseMember // only for the leader
	memberID       string
	generation     int32
	protocolType   *string
	protocolName   *string
	leaderID       string
	skipAssignment bool
	code           int16
}

func joinError(memberID string, code int16) joinResult {
	return joinResult{memberID: memberID, generation: -1, code: code}
}

// syncResult is what a waiting SyncGroup is answered with.
type syncResult struct {
	protocolType *string
	protocolName *string
	assignment   []byte
	code         int16
}

func syncError(code int16) syncResult { return syncResult{code: code} }

// member is one member of a classic group. All fields are guarded by the
// group's mu.
type member struct {
	id               string
	instanceID       *string // group.instance.id of a static member, nil for a dynamic one
	clientID         string
	clientHost       string
	rebalanceTimeout int32 // milliseconds, as persisted
	sessionTimeout   int32 // milliseconds, as persisted
	protocolType     string
	protocols        []protocol // in the member's order of preference
	assignment       []byte

	// joinCh is set while the member waits in JoinGroup and syncCh while it
	// waits in SyncGroup; each is buffered so a reply never blocks.
	joinCh chan joinResult
	syncCh chan syncResult

	// isNew is true from the member's first join until that join completes;
	// such a member is bounded by newMemberJoinTimeout instead of its session.
	isNew bool
	// heartbeatSatisfied is set by anything that proves the member alive and
	// cleared when the next session deadline is armed (Kafka's
	// MemberMetadata.heartbeatSatisfied).
	heartbeatSatisfied bool
	hb                 *time.Timer // session (or new-member) deadline
	hbSeq              uint64      // bumped whenever hb is replaced or stopped
}

func (m *member) isStatic() bool       { return m.instanceID != nil }
func (m *member) isAwaitingJoin() bool { return m.joinCh != nil }
func (m *member) isAwaitingSync() bool { return m.syncCh != nil }

// hasSatisfiedHeartbeat mirrors Kafka: a member that is waiting in a
// rebalance counts as alive, except a new member, which must finish its
// first join within newMemberJoinTimeout.
func (m *member) hasSatisfiedHeartbeat() bool {
	if m.isNew {
		return m.heartbeatSatisfied
	}
	if m.isAwaitingJoin() || m.isAwaitingSync() {
		return true
	}
	return m.heartbeatSatisfied
}

// matches reports whether the member's protocols are exactly these, in the
// same order with the same metadata.
func (m *member) matches(protocols []protocol) bool {
	if len(protocols) != len(m.protocols) {
		return false
	}
	for i, p := range protocols {
		if p.name != m.protocols[i].name || !bytes.Equal(p.metadata, m.protocols[i].metadata) {
			return false
		}
	}
	return true
}

// metadata returns the member's metadata for a protocol, nil if it does not
// support it.
func (m *member) metadata(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

// vote returns the member's most preferred protocol among candidates.
func (m *member) vote(candidates map[string]bool) (string, bool) {
	for _, p := range m.protocols {
		if candidates[p.name] {
			return p.name, true
		}
	}
	return "", false
}

func (m *member) stopHeartbeat() {
	m.hbSeq++
	if m.hb != nil {
		m.hb.Stop()
		m.hb = nil
	}
}

type topicPartition struct {
	topic     string
	partition int32
}

// offsetEntry is a committed offset with where its record sits in the log.
type offsetEntry struct {
	offset          int64
	leaderEpoch     int32 // -1 when unknown
	metadata        string
	commitTimestamp int64 // milliseconds
	expireTimestamp int64 // milliseconds; -1 (Kafka's "none") unless committed with a retention (OffsetCommit v2-v4)
	logOffset       int64 // offset of the record's batch in __consumer_offsets; the higher one wins
}

// delayedOp is an armed rebalance timer: the join phase's (Kafka's
// DelayedJoin and InitialDelayedJoin) or the pending-sync one (DelayedSync).
// The group points at its current op; a timer that fires for an op the group
// no longer points at does nothing.
type delayedOp struct {
	timer *time.Timer
	// initial marks the first rebalance of an empty group, which waits the
	// full delay even when every member has joined and is extended while
	// new members keep arriving.
	initial   bool
	delay     time.Duration
	remaining time.Duration
	// generation is the generation a pending-sync timer was armed for.
	generation int32
}

func (op *delayedOp) stop() {
	if op != nil && op.timer != nil {
		op.timer.Stop()
	}
}

// group is one classic group. writeMu orders its Storage appends; mu guards
// everything else (see the package documentation for the lock order).
type group struct {
	id        string
	partition int32

	writeMu sync.Mutex
	mu      sync.Mutex

	state          groupState
	stateTimestamp int64 // milliseconds of the last transition; -1 if unknown (loaded from an old record)
	protocolType   string
	protocolName   *string
	generation     int32
	leaderID       string

	members       map[string]*member
	order         []*member         // members in join order, for deterministic iteration
	staticMembers map[string]string // group.instance.id -> member id
	pending       map[string]*time.Timer
	numAwaiting   int
	protoCount    map[string]int // protocol name -> members supporting it
	pendingSync   map[string]bool

	// subscribed is the union of the consumer members' subscribed topics,
	// valid only when subscribedKnown (protocol type "consumer" and
	// parseable subscriptions), as Kafka's subscribedTopics option.
	subscribed      map[string]bool
	subscribedKnown bool

	newMemberAdded bool
	joinOp         *delayedOp
	syncOp         *delayedOp

	offsets        map[topicPartition]offsetEntry
	pendingCommits map[topicPartition]int // commits being appended
}

func newGroup(id string, partition int32, nowMs int64) *group {
	return &group{
		id:             id,
		partition:      partition,
		state:          stateEmpty,
		stateTimestamp: nowMs,
		members:        make(map[string]*member),
		staticMembers:  make(map[string]string),
		pending:        make(map[string]*time.Timer),
		protoCount:     make(map[string]int),
		pendingSync:    make(map[string]bool),
		offsets:        make(map[topicPartition]offsetEntry),
		pendingCommits: make(map[topicPartition]int),
	}
}

func (g *group) is(s groupState) bool          { return g.state == s }
func (g *group) has(memberID string) bool      { _, ok := g.members[memberID]; return ok }
func (g *group) isLeader(memberID string) bool { return g.leaderID != "" && g.leaderID == memberID }
func (g *group) size() int                     { return len(g.members) }
func (g *group) isPending(memberID string) bool {
	_, ok := g.pending[memberID]
	return ok
}
func (g *group) canRebalance() bool { return g.state.canTransition(statePreparingRebalance) }
func (g *group) isConsumerGroup() bool {
	return g.protocolType == consumerProtocolType
}

// hasAllMembersJoined is true when every member waits in JoinGroup and no
// member id handed out with MEMBER_ID_REQUIRED is still outstanding.
func (g *group) hasAllMembersJoined() bool {
	return len(g.members) == g.numAwaiting && len(g.pending) == 0
}

// rebalanceTimeout is the largest rebalance timeout of the members.
func (g *group) rebalanceTimeout() time.Duration {
	var ms int32
	for _, m := range g.order {
		ms = max(ms, m.rebalanceTimeout)
	}
	return time.Duration(ms) * time.Millisecond
}

func (g *group) add(m *member, joinCh chan joinResult) {
	if m.instanceID != nil {
		g.staticMembers[*m.instanceID] = m.id
	}
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	if g.leaderID == "" {
		g.leaderID = m.id
	}
	g.members[m.id] = m
	g.order = append(g.order, m)
	g.countProtocols(m, 1)
	m.joinCh = joinCh
	if joinCh != nil {
		g.numAwaiting++
	}
	g.removePending(m.id)
}

// remove drops a member (stopping its session timer) and returns it, nil if
// it was not a member. Like Kafka it does not answer the member's waiting
// JoinGroup; it does answer a waiting SyncGroup with UNKNOWN_MEMBER_ID, so
// that a request is never left without a reply.
func (g *group) remove(memberID string) *member {
	m, ok := g.members[memberID]
	if ok {
		delete(g.members, memberID)
		for i, o := range g.order {
			if o == m {
				g.order = append(g.order[:i:i], g.order[i+1:]...)
				break
			}
		}
		g.countProtocols(m, -1)
		if m.isAwaitingJoin() {
			g.numAwaiting--
		}
		if m.instanceID != nil && g.staticMembers[*m.instanceID] == memberID {
			delete(g.staticMembers, *m.instanceID)
		}
		m.stopHeartbeat()
		g.maybeInvokeSync(m, syncError(errUnknownMemberID))
	}
	if g.isLeader(memberID) {
		g.leaderID = ""
		if len(g.order) > 0 {
			g.leaderID = g.order[0].id
		}
	}
	g.removePending(memberID)
	delete(g.pendingSync, memberID)
	if !ok {
		return nil
	}
	return m
}

func (g *group) removePending(memberID string) {
	if t, ok := g.pending[memberID]; ok {
		if t != nil {
			t.Stop()
		}
		delete(g.pending, memberID)
	}
}

func (g *group) countProtocols(m *member, delta int) {
	for _, p := range m.protocols {
		g.protoCount[p.name] += delta
		if g.protoCount[p.name] <= 0 {
			delete(g.protoCount, p.name)
		}
	}
}

// maybeElectNewJoinedLeader keeps the leader if it rejoined, else picks a
// member that did; it is false when nobody rejoined (or there is no leader).
func (g *group) maybeElectNewJoinedLeader() bool {
	if g.leaderID == "" {
		return false
	}
	leader, ok := g.members[g.leaderID]
	if ok && leader.isAwaitingJoin() {
		return true
	}
	for _, m := range g.order {
		if m.isAwaitingJoin() {
			g.leaderID = m.id
			return true
		}
	}
	return false
}

// replaceStaticMember gives a static member a new member id, keeping
// everything else, and fences whatever the old id was waiting for.
func (g *group) replaceStaticMember(instanceID, oldID, newID string) *member {
	m := g.members[oldID]
	if m == nil {
		return nil
	}
	g.maybeInvokeJoin(m, joinError(oldID, errFencedInstanceID))
	g.maybeInvokeSync(m, syncError(errFencedInstanceID))
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	if g.isLeader(oldID) {
		g.leaderID = newID
	}
	g.staticMembers[instanceID] = newID
	return m
}

// updateMember replaces a member's protocols and timeouts and sets (or
// clears, with nil) the JoinGroup it waits in.
func (g *group) updateMember(m *member, protocols []protocol, rebalanceTimeout, sessionTimeout int32, joinCh chan joinResult) {
	g.countProtocols(m, -1)
	m.protocols = protocols
	g.countProtocols(m, 1)
	m.rebalanceTimeout = rebalanceTimeout
	m.sessionTimeout = sessionTimeout
	switch {
	case joinCh != nil && !m.isAwaitingJoin():
		g.numAwaiting++
	case joinCh == nil && m.isAwaitingJoin():
		g.numAwaiting--
	}
	m.joinCh = joinCh
}

func (g *group) maybeInvokeJoin(m *member, res joinResult) {
	if m.joinCh == nil {
		return
	}
	m.joinCh <- res
	m.joinCh = nil
	g.numAwaiting--
}

func (g *group) maybeInvokeSync(m *member, res syncResult) bool {
	if m.syncCh == nil {
		return false
	}
	m.syncCh <- res
	m.syncCh = nil
	return true
}

// supportsProtocols is Kafka's check for a joining member: an empty group
// takes any non-empty protocol type and list; otherwise the type must match
// and at least one protocol must be supported by every current member.
func (g *group) supportsProtocols(protocolType string, protocols []protocol) bool {
	if g.is(stateEmpty) {
		return protocolType != "" && len(protocols) > 0
	}
	if g.protocolType != protocolType {
		return false
	}
	for _, p := range protocols {
		if g.protoCount[p.name] == len(g.members) {
			return true
		}
	}
	return false
}

// selectProtocol picks the protocol every member supports that most members
// prefer; ties go to the protocol that got its first vote earliest.
func (g *group) selectProtocol() (string, bool) {
	if len(g.members) == 0 {
		return "", false
	}
	candidates := make(map[string]bool)
	for name, n := range g.protoCount {
		if n == len(g.members) {
			candidates[name] = true
		}
	}
	votes := make(map[string]int)
	var order []string
	for _, m := range g.order {
		name, ok := m.vote(candidates)
		if !ok {
			continue
		}
		if votes[name] == 0 {
			order = append(order, name)
		}
		votes[name]++
	}
	best, bestVotes := "", 0
	for _, name := range order {
		if votes[name] > bestVotes {
			best, bestVotes = name, votes[name]
		}
	}
	return best, bestVotes > 0
}

// computeSubscribedTopics rebuilds the consumer subscription union, as
// Kafka does when a generation starts and when a group is loaded.
func (g *group) computeSubscribedTopics() {
	g.subscribed, g.subscribedKnown = nil, false
	if g.protocolType != consumerProtocolType {
		return
	}
	if len(g.members) == 0 {
		g.subscribed, g.subscribedKnown = map[string]bool{}, true
		return
	}
	if g.protocolName == nil {
		return
	}
	topics := make(map[string]bool)
	for _, m := range g.order {
		ts, err := parseSubscriptionTopics(m.metadata(*g.protocolName))
		if err != nil {
			return
		}
		for _, t := range ts {
			topics[t] = true
		}
	}
	g.subscribed, g.subscribedKnown = topics, true
}

// isSubscribedToTopic is true when a member subscribes to the topic or when
// the group cannot tell (Kafka errs on the safe side).
func (g *group) isSubscribedToTopic(topic string) bool {
	if !g.subscribedKnown {
		return true
	}
	return g.subscribed[topic]
}

// initNextGeneration starts the next generation once the join phase is
// over: CompletingRebalance with a selected protocol, or Empty. It reports
// whether that was a transition Kafka allows.
func (g *group) initNextGeneration(nowMs int64) bool {
	g.generation++
	clear(g.pendingSync)
	if len(g.members) > 0 {
		name, _ := g.selectProtocol()
		g.protocolName = &name
		g.computeSubscribedTopics()
		return g.transition(stateCompletingRebalance, nowMs)
	}
	g.protocolName = nil
	g.computeSubscribedTopics()
	return g.transition(stateEmpty, nowMs)
}

// transition moves to next and stamps the time; it reports whether Kafka
// allows the move (callers log a violation: it would be a bug here).
func (g *group) transition(next groupState, nowMs int64) bool {
	ok := g.state.canTransition(next)
	g.state = next
	g.stateTimestamp = nowMs
	return ok
}

// currentMemberMetadata is the member list the leader receives.
func (g *group) currentMemberMetadata() []kmsg.JoinGroupResponseMember {
	name := ""
	if g.protocolName != nil {
		name = *g.protocolName
	}
	out := make([]kmsg.JoinGroupResponseMember, 0, len(g.order))
	for _, m := range g.order {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		jm.InstanceID = m.instanceID
		jm.ProtocolMetadata = m.metadata(name)
		out = append(out, jm)
	}
	return out
}

func (g *group) hasOffsets() bool {
	return len(g.offsets) > 0 || len(g.pendingCommits) > 0
}

func (g *group) hasPendingCommit(tp topicPartition) bool {
	return g.pendingCommits[tp] > 0
}

// applyCommit installs a committed offset unless a record later in the log
// already did.
func (g *group) applyCommit(tp topicPartition, e offsetEntry) {
	if cur, ok := g.offsets[tp]; ok && cur.logOffset > e.logOffset {
		return
	}
	g.offsets[tp] = e
}

// removeExpiredOffsets drops the offsets whose retention has passed and
// returns them, with Kafka 2.1+'s rules: an empty group's offsets expire a
// retention period after the group became empty; a standalone committer's
// (no protocol type) after each commit; a stable consumer group's offsets
// for topics nobody subscribes to after each commit; offsets written with an
// explicit expire timestamp (OffsetCommit v2-v4 retention) at that time.
func (g *group) removeExpiredOffsets(nowMs, retentionMs int64) []topicPartition {
	var base func(e offsetEntry) int64
	var keep map[string]bool
	switch {
	case g.protocolType != "" && g.is(stateEmpty):
		base = func(e offsetEntry) int64 {
			if g.stateTimestamp >= 0 {
				return g.stateTimestamp
			}
			return e.commitTimestamp
		}
	case g.protocolType == consumerProtocolType && g.subscribedKnown && g.is(stateStable):
		base = func(e offsetEntry) int64 { return e.commitTimestamp }
		keep = g.subscribed
	case g.protocolType == "":
		base = func(e offsetEntry) int64 { return e.commitTimestamp }
	default:
		return nil
	}
	var expired []topicPartition
	for tp, e := range g.offsets {
		if keep[tp.topic] || g.hasPendingCommit(tp) {
			continue
		}
		var isExpired bool
		if e.expireTimestamp != -1 {
			isExpired = nowMs >= e.expireTimestamp
		} else {
			isExpired = nowMs-base(e) >= retentionMs
		}
		if isExpired {
			expired = append(expired, tp)
		}
	}
	for _, tp := range expired {
		delete(g.offsets, tp)
	}
	return expired
}

// removeOffsets drops the given partitions' offsets and returns those that
// existed.
func (g *group) removeOffsets(tps []topicPartition) []topicPartition {
	var removed []topicPartition
	for _, tp := range tps {
		if _, ok := g.offsets[tp]; ok {
			delete(g.offsets, tp)
			removed = append(removed, tp)
		}
	}
	return removed
}

// newMemberID is Kafka's member id: the client id (or, for a static member,
// the instance id), a dash and a random UUID.
func newMemberID(clientID string, instanceID *string) string {
	prefix := clientID
	if instanceID != nil {
		prefix = *instanceID
	}
	return prefix + "-" + randomUUID()
}

// randomUUID formats a random (version 4) UUID as java.util.UUID does.
func randomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], u[10:16])
	return string(s[:])
}
