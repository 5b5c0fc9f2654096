package group

import (
	"context"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit handles an OffsetCommit request (versions 0-9). Offsets are
// acknowledged only once their records are appended to __consumer_offsets.
//
// As in Kafka 3.9: partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION
// (checked first, through Config.TopicPartitions); a commit with generation
// -1 from a non-member is accepted into an empty or missing group (the
// "simple consumer" and admin path) and creates the group; members must
// match the current generation (v7+ static members by instance id too);
// during CompletingRebalance commits get REBALANCE_IN_PROGRESS. v1 may set
// the commit timestamp; v2-v4 may set a retention, which is written as
// OffsetCommitValue v1 with an explicit expire timestamp. v0 is served like a
// v1 commit with generation -1 (Kafka kept v0 commits in ZooKeeper). v10
// identifies topics by id, which this package cannot resolve: it answers
// UNSUPPORTED_VERSION and the broker should not advertise v10.
func (c *Coordinator) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	resp := kmsg.NewPtrOffsetCommitResponse()
	resp.SetVersion(req.Version)
	codes := make([][]int16, len(req.Topics))
	var items []commitItem
	for ti, t := range req.Topics {
		codes[ti] = make([]int16, len(t.Partitions))
		n, topicOK := c.topicPartitions(t.Topic)
		for pi, p := range t.Partitions {
			switch {
			case req.Version >= 10:
				codes[ti][pi] = errUnsupportedVersion
			case !topicOK || p.Partition < 0 || p.Partition >= n:
				codes[ti][pi] = errUnknownTopicOrPartition
			default:
				items = append(items, commitItem{ti: ti, pi: pi, tp: topicPartition{strings.Clone(t.Topic), p.Partition}})
			}
		}
	}
	if len(items) > 0 {
		c.commitOffsets(ctx, req, items, codes)
	}
	for ti, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		rt.TopicID = t.TopicID
		for pi, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[ti][pi]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// commitItem is one partition of a commit that passed the topic check,
// located by its indexes in the request.
type commitItem struct {
	ti, pi int
	tp     topicPartition
}

func (c *Coordinator) topicPartitions(topic string) (int32, bool) {
	if c.cfg.TopicPartitions == nil {
		return 1<<31 - 1, true
	}
	return c.cfg.TopicPartitions(topic)
}

func (c *Coordinator) commitOffsets(ctx context.Context, req *kmsg.OffsetCommitRequest, items []commitItem, codes [][]int16) {
	setAll := func(code int16) {
		for _, it := range items {
			codes[it.ti][it.pi] = code
		}
	}
	generation, memberID, instanceID := req.Generation, req.MemberID, req.InstanceID
	if req.Version == 0 {
		generation, memberID, instanceID = -1, "", nil
	}
	g, code := c.lookup(req.Group, apiOffsetCommit, false)
	if code != errNone {
		setAll(code)
		return
	}
	if g == nil {
		if generation >= 0 {
			// A commit for a generation of a group that does not exist:
			// from an old generation, or for a group that was deleted.
			setAll(errIllegalGeneration)
			return
		}
		// The group does not use Kafka for membership: keep its offsets.
		if g, code = c.lookup(req.Group, apiOffsetCommit, true); code != errNone {
			setAll(code)
			return
		}
	}

	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if code := validateOffsetCommit(g, generation, memberID, instanceID); code != errNone {
		setAll(code)
		return
	}
	switch g.state {
	case stateEmpty:
	case stateStable, statePreparingRebalance:
		// Commits are still allowed while preparing a rebalance: the
		// heartbeat tells the member to rejoin. A commit also proves the
		// member alive.
		c.scheduleHeartbeat(g, g.members[memberID])
	case stateCompletingRebalance:
		// The member has its new generation from JoinGroup but not yet its
		// assignment; it retries after SyncGroup.
		setAll(errRebalanceInProgress)
		return
	default:
		setAll(errCoordinatorNotAvailable)
		return
	}

	now := c.nowMs()
	expire := int64(-1)
	if req.Version >= 2 && req.Version <= 4 && req.RetentionTimeMillis != -1 {
		expire = now + req.RetentionTimeMillis
	}
	type write struct {
		it commitItem
		e  offsetEntry
	}
	var writes []write
	for _, it := range items {
		p := req.Topics[it.ti].Partitions[it.pi]
		metadata := ""
		if p.Metadata != nil {
			metadata = strings.Clone(*p.Metadata)
		}
		if utf16Len(metadata) > c.cfg.MaxMetadataSize {
			codes[it.ti][it.pi] = errOffsetMetadataTooLarge
			continue
		}
		e := offsetEntry{
			offset:          p.Offset,
			leaderEpoch:     -1,
			metadata:        metadata,
			commitTimestamp: now,
			expireTimestamp: expire,
		}
		if req.Version >= 6 {
			e.leaderEpoch = p.LeaderEpoch
		}
		if req.Version == 1 && p.Timestamp != -1 {
			e.commitTimestamp = p.Timestamp
		}
		writes = append(writes, write{it, e})
	}
	if len(writes) == 0 {
		return
	}
	recs := make([]kv, len(writes))
	for i, w := range writes {
		recs[i] = kv{key: offsetKey(g.id, w.it.tp), value: offsetValue(w.e)}
	}
	batch, err := encodeBatch(now, recs)
	if err != nil {
		c.log.Error("encode offset commit", "group", g.id, "err", err)
		for _, w := range writes {
			codes[w.it.ti][w.it.pi] = errUnknownServerError
		}
		return
	}
	for _, w := range writes {
		g.pendingCommits[w.it.tp]++
	}
	c.runWrite(ctx, g, &pendingWrite{batch: batch, done: func(lastOffset int64, err error) {
		code := errNone
		if err != nil {
			code = commitWriteCode(err)
			c.log.Debug("offset commit append failed", "group", g.id, "err", err)
		}
		for _, w := range writes {
			if g.pendingCommits[w.it.tp]--; g.pendingCommits[w.it.tp] <= 0 {
				delete(g.pendingCommits, w.it.tp)
			}
			if err == nil && !g.is(stateDead) {
				w.e.logOffset = lastOffset
				g.applyCommit(w.it.tp, w.e)
			}
			codes[w.it.ti][w.it.pi] = code
		}
	}})
}

// validateOffsetCommit is Kafka's check of who may commit: anyone with
// generation -1 into an empty group; members (by id, and instance id when
// given) of the current generation otherwise.
func validateOffsetCommit(g *group, generation int32, memberID string, instanceID *string) int16 {
	switch {
	case g.is(stateDead):
		return errCoordinatorNotAvailable
	case generation < 0 && g.is(stateEmpty):
		return errNone
	case generation >= 0 || memberID != "" || instanceID != nil:
		if code := validateCurrentMember(g, memberID, instanceID); code != errNone {
			return code
		}
		if generation != g.generation {
			return errIllegalGeneration
		}
		return errNone
	case !g.is(stateEmpty):
		return errUnknownMemberID
	}
	return errNone
}

// utf16Len is Java's String.length(), which Kafka compares with
// offset.metadata.max.bytes.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fetchedOffset is one partition of an OffsetFetch answer.
type fetchedOffset struct {
	tp          topicPartition
	offset      int64
	leaderEpoch int32
	metadata    string
	code        int16
}

// OffsetFetch handles an OffsetFetch request (versions 0-9): the committed
// offset, leader epoch (v5+, -1 when unknown) and metadata of each requested
// partition, -1 for partitions without a commit. From v2 a null topic list
// asks for every partition the group committed; v7+ can require stable
// offsets, answering UNSTABLE_OFFSET_COMMIT for a partition whose commit is
// still being written; v8+ asks for several groups at once. A coordinator
// error goes in the top-level error code (v2-v7), the group's error code
// (v8+), or, since v0-v1 have no top-level code, on every requested
// partition, so that clients retry instead of reading "no offset".
func (c *Coordinator) OffsetFetch(_ context.Context, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := kmsg.NewPtrOffsetFetchResponse()
	resp.SetVersion(req.Version)
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group = rg.Group
			var tps []topicPartition
			unsupported := false
			for _, t := range rg.Topics {
				if req.Version >= 10 {
					unsupported = true
				}
				for _, p := range t.Partitions {
					tps = append(tps, topicPartition{t.Topic, p})
				}
			}
			if unsupported {
				sg.ErrorCode = errUnsupportedVersion
				resp.Groups = append(resp.Groups, sg)
				continue
			}
			code, results := c.fetchOffsets(rg.Group, req.RequireStable, tps, rg.Topics == nil)
			sg.ErrorCode = code
			for _, r := range results {
				if n := len(sg.Topics); n == 0 || sg.Topics[n-1].Topic != r.tp.topic {
					st := kmsg.NewOffsetFetchResponseGroupTopic()
					st.Topic = r.tp.topic
					sg.Topics = append(sg.Topics, st)
				}
				sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
				sp.Partition = r.tp.partition
				sp.Offset = r.offset
				sp.LeaderEpoch = r.leaderEpoch
				sp.Metadata = kmsg.StringPtr(r.metadata)
				sp.ErrorCode = r.code
				st := &sg.Topics[len(sg.Topics)-1]
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Groups = append(resp.Groups, sg)
		}
		return resp
	}

	var tps []topicPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p})
		}
	}
	all := req.Topics == nil && req.Version >= 2
	code, results := c.fetchOffsets(req.Group, req.RequireStable && req.Version >= 7, tps, all)
	if code != errNone {
		if req.Version >= 2 {
			resp.ErrorCode = code
			return resp
		}
		results = results[:0]
		for _, tp := range tps {
			results = append(results, fetchedOffset{tp: tp, offset: -1, leaderEpoch: -1, code: code})
		}
	}
	for _, r := range results {
		if n := len(resp.Topics); n == 0 || resp.Topics[n-1].Topic != r.tp.topic {
			st := kmsg.NewOffsetFetchResponseTopic()
			st.Topic = r.tp.topic
			resp.Topics = append(resp.Topics, st)
		}
		sp := kmsg.NewOffsetFetchResponseTopicPartition()
		sp.Partition = r.tp.partition
		sp.Offset = r.offset
		sp.LeaderEpoch = r.leaderEpoch
		sp.Metadata = kmsg.StringPtr(r.metadata)
		sp.ErrorCode = r.code
		st := &resp.Topics[len(resp.Topics)-1]
		st.Partitions = append(st.Partitions, sp)
	}
	return resp
}

// fetchOffsets returns the group's offsets for tps, or for every committed
// partition when all is set (sorted by topic and partition). Offsets are
// returned whatever the group's state, since a group may use Kafka only to
// store offsets.
func (c *Coordinator) fetchOffsets(groupID string, requireStable bool, tps []topicPartition, all bool) (int16, []fetchedOffset) {
	g, code := c.lookup(groupID, apiOffsetFetch, false)
	if code != errNone {
		return code, nil
	}
	unknown := func(tp topicPartition) fetchedOffset {
		return fetchedOffset{tp: tp, offset: -1, leaderEpoch: -1}
	}
	var out []fetchedOffset
	if g == nil {
		for _, tp := range tps {
			out = append(out, unknown(tp))
		}
		return errNone, out
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.is(stateDead) {
		for _, tp := range tps {
			out = append(out, unknown(tp))
		}
		return errNone, out
	}
	if all {
		tps = make([]topicPartition, 0, len(g.offsets))
		for tp := range g.offsets {
			tps = append(tps, tp)
		}
		slices.SortFunc(tps, compareTopicPartition)
	}
	for _, tp := range tps {
		switch e, ok := g.offsets[tp]; {
		case requireStable && g.hasPendingCommit(tp):
			r := unknown(tp)
			r.code = errUnstableOffsetCommit
			out = append(out, r)
		case ok:
			out = append(out, fetchedOffset{tp: tp, offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata})
		default:
			out = append(out, unknown(tp))
		}
	}
	return errNone, out
}

func compareTopicPartition(a, b topicPartition) int {
	if c := strings.Compare(a.topic, b.topic); c != 0 {
		return c
	}
	switch {
	case a.partition < b.partition:
		return -1
	case a.partition > b.partition:
		return 1
	}
	return 0
}

// OffsetDelete handles an OffsetDelete request (version 0): it deletes the
// group's committed offsets for the given partitions, writing tombstones.
// Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION. An empty
// group loses the offsets; a non-empty consumer group keeps those of topics
// a member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); any other non-empty
// group answers NON_EMPTY_GROUP. A group-level error is the only thing in
// the response.
func (c *Coordinator) OffsetDelete(ctx context.Context, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	resp.SetVersion(req.Version)
	codes := make([][]int16, len(req.Topics))
	var tps []topicPartition
	for ti, t := range req.Topics {
		codes[ti] = make([]int16, len(t.Partitions))
		n, ok := c.topicPartitions(t.Topic)
		for pi, p := range t.Partitions {
			if !ok || p.Partition < 0 || p.Partition >= n {
				codes[ti][pi] = errUnknownTopicOrPartition
				continue
			}
			tps = append(tps, topicPartition{strings.Clone(t.Topic), p.Partition})
		}
	}
	code, results := c.deleteOffsets(ctx, req.Group, tps)
	if code != errNone {
		resp.ErrorCode = code
		return resp
	}
	for ti, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for pi, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[ti][pi]
			if rp.ErrorCode == errNone {
				rp.ErrorCode = results[topicPartition{t.Topic, p.Partition}]
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (c *Coordinator) deleteOffsets(ctx context.Context, groupID string, tps []topicPartition) (int16, map[topicPartition]int16) {
	g, code := c.lookup(groupID, apiOffsetDelete, false)
	if code != errNone {
		return code, nil
	}
	if g == nil {
		return c.groupNotExistsCode(groupID), nil
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	g.mu.Lock()
	results := make(map[topicPartition]int16, len(tps))
	var eligible []topicPartition
	switch {
	case g.is(stateDead):
		g.mu.Unlock()
		return c.groupNotExistsCode(groupID), nil
	case g.is(stateEmpty):
		eligible = tps
	case g.isConsumerGroup():
		for _, tp := range tps {
			if g.isSubscribedToTopic(tp.topic) {
				results[tp] = errGroupSubscribedToTopic
			} else {
				eligible = append(eligible, tp)
			}
		}
	default:
		g.mu.Unlock()
		return errNonEmptyGroup, nil
	}
	for _, tp := range eligible {
		results[tp] = errNone
	}
	if len(eligible) > 0 {
		removed := c.cleanupGroup(ctx, g, func() []topicPartition { return g.removeOffsets(eligible) })
		c.log.Info("deleted offsets", "group", groupID, "offsets", removed)
	} else {
		g.mu.Unlock()
	}
	return errNone, results
}

// cleanupGroup removes offsets chosen by selector and, if that leaves an
// empty group without offsets, the group itself, then writes the
// tombstones. g.writeMu and g.mu must be held; g.mu is released on return
// (g.writeMu is not). Like Kafka, a failed tombstone write is only logged:
// the next cleanup run writes it again. It returns how many offsets went.
func (c *Coordinator) cleanupGroup(ctx context.Context, g *group, selector func() []topicPartition) int {
	removed := selector()
	if g.is(stateEmpty) && !g.hasOffsets() {
		c.log.Info("group transitioned to Dead", "group", g.id, "generation", g.generation)
		c.transition(g, stateDead)
		c.stopGroupTimers(g)
	}
	dead := g.is(stateDead)
	now := c.nowMs()
	recs := make([]kv, 0, len(removed)+1)
	for _, tp := range removed {
		recs = append(recs, kv{key: offsetKey(g.id, tp)})
	}
	// A group that only stored offsets (generation 0) never wrote metadata.
	if dead && g.generation > 0 {
		recs = append(recs, kv{key: groupKey(g.id)})
	}
	g.mu.Unlock()
	if len(recs) > 0 {
		batch, err := encodeBatch(now, recs)
		if err == nil {
			_, err = c.st.Append(ctx, g.partition, batch)
		}
		if err != nil {
			c.log.Warn("write tombstones", "group", g.id, "tombstones", len(recs), "err", err)
		}
	}
	if dead {
		c.removeGroup(g)
	}
	return len(removed)
}

// cleanupExpired is one run of the periodic cleanup: expired offsets are
// deleted, and empty groups without offsets are removed.
func (c *Coordinator) cleanupExpired() {
	groups, _ := c.ownedGroups()
	retention := c.cfg.OffsetsRetention.Milliseconds()
	total := 0
	for _, g := range groups {
		if c.ctx.Err() != nil {
			return
		}
		g.writeMu.Lock()
		g.mu.Lock()
		if g.is(stateDead) {
			g.mu.Unlock()
			g.writeMu.Unlock()
			continue
		}
		now := c.nowMs()
		total += c.cleanupGroup(c.ctx, g, func() []topicPartition { return g.removeExpiredOffsets(now, retention) })
		g.writeMu.Unlock()
	}
	if total > 0 {
		c.log.Info("removed expired offsets", "offsets", total)
	}
}

// OnTopicsDeleted removes every committed offset of the given topics from
// the groups this coordinator owns, writing tombstones, as Kafka does when
// topics are deleted (GroupCoordinator.onPartitionsDeleted). Groups left
// empty without offsets are removed. The broker calls it after a topic
// deletion is applied.
func (c *Coordinator) OnTopicsDeleted(ctx context.Context, topics ...string) {
	deleted := make(map[string]bool, len(topics))
	for _, t := range topics {
		deleted[t] = true
	}
	groups, _ := c.ownedGroups()
	total := 0
	for _, g := range groups {
		g.writeMu.Lock()
		g.mu.Lock()
		var tps []topicPartition
		for tp := range g.offsets {
			if deleted[tp.topic] {
				tps = append(tps, tp)
			}
		}
		if len(tps) == 0 || g.is(stateDead) {
			g.mu.Unlock()
			g.writeMu.Unlock()
			continue
		}
		total += c.cleanupGroup(ctx, g, func() []topicPartition { return g.removeOffsets(tps) })
		g.writeMu.Unlock()
	}
	if total > 0 {
		c.log.Info("removed offsets of deleted topics", "topics", topics, "offsets", total)
	}
}
