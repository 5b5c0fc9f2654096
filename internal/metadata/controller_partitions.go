package metadata

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
)

// election selects the leader rules of KRaft's PartitionChangeBuilder.
type election int

const (
	// electOnline keeps a valid current leader, else takes the first
	// replica that is in the ISR and acceptable.
	electOnline election = iota
	// electPreferred takes the preferred replica if it is in the ISR and
	// acceptable, else behaves like electOnline.
	electPreferred
	// electUnclean is electOnline, falling back to any acceptable replica
	// (which then becomes the whole ISR) when no ISR member qualifies.
	electUnclean
)

type partKey struct {
	topic     TopicID
	partition int32
}

// overlay is an image plus the partition changes an operation has decided
// so far, so that several changes to one partition in one entry chain their
// expected partition epochs.
type overlay struct {
	img   *Image
	parts map[partKey]*Partition
}

func newOverlay(img *Image) *overlay { return &overlay{img: img, parts: map[partKey]*Partition{}} }

func (o *overlay) get(t *Topic, p int32) *Partition {
	if q := o.parts[partKey{t.ID, p}]; q != nil {
		return q
	}
	return t.Partitions[p]
}

func (o *overlay) change(t *Topic, r PartitionChangeRecord) {
	o.parts[partKey{t.ID, r.Partition}] = mergePartitionChange(o.get(t, r.Partition), r)
}

// changeTarget is what a partition change aims for. A nil field keeps the
// partition's current value; an empty, non-nil one sets it to empty.
type changeTarget struct {
	isr, replicas, adding, removing []int32
}

// partitionChange computes the record that moves p towards target and
// elects a leader under el, step for step as KRaft 3.9's
// PartitionChangeBuilder.build does without eligible leader replicas:
//
//  1. A reassignment in progress completes as soon as the target ISR
//     allows it (completeReassignment), whatever the change is for.
//  2. The leader is elected from the resulting replicas and ISR: a valid
//     leader is in the ISR and acceptable. electPreferred takes the first
//     replica if valid, the others keep a valid current leader, and then
//     the first valid replica wins; electUnclean falls back to the first
//     acceptable replica, which becomes the whole ISR.
//  3. A change that drops a replica from the assignment bumps the leader
//     epoch even when the leader stays, so that the removed replica's
//     fetches are fenced.
//  4. An ISR is never emptied: when the last ISR member goes away, the
//     partition loses its leader but keeps that member in the ISR, so it
//     can lead again, cleanly, when it returns.
//
// ok is false when nothing changes.
func partitionChange(t *Topic, p *Partition, target changeTarget, el election, acceptable func(int32) bool) (rec PartitionChangeRecord, ok bool) {
	isr := orCurrent(target.isr, p.ISR)
	replicas := orCurrent(target.replicas, p.Replicas)
	adding := orCurrent(target.adding, p.AddingReplicas)
	removing := orCurrent(target.removing, p.RemovingReplicas)
	if r, i, done := completeReassignment(replicas, isr, adding, removing); done {
		replicas, isr, adding, removing = r, i, []int32{}, []int32{}
	}

	valid := func(id int32) bool { return slices.Contains(isr, id) && acceptable(id) }
	leader, unclean := NoLeader, false
	switch {
	case el == electPreferred && len(replicas) > 0 && valid(replicas[0]):
		leader = replicas[0]
	case valid(p.Leader):
		leader = p.Leader
	default:
		for _, id := range replicas {
			if valid(id) {
				leader = id
				break
			}
		}
		if leader == NoLeader && el == electUnclean {
			for _, id := range replicas {
				if acceptable(id) {
					leader, unclean = id, true
					break
				}
			}
		}
	}
	rec = PartitionChangeRecord{TopicID: t.ID, Partition: p.ID, PartitionEpoch: p.PartitionEpoch, Leader: NoLeaderChange}
	switch {
	case leader != p.Leader:
		rec.Leader = leader
		if unclean {
			rec.ISR = []int32{leader}
		}
	case !containsAll(replicas, p.Replicas):
		rec.Leader = p.Leader
	}
	if rec.ISR == nil && len(isr) > 0 && !slices.Equal(isr, p.ISR) {
		rec.ISR = slices.Clone(isr)
	}
	if len(replicas) > 0 && !slices.Equal(replicas, p.Replicas) {
		rec.Replicas = slices.Clone(replicas)
	}
	if !slices.Equal(adding, p.AddingReplicas) {
		rec.AddingReplicas = append([]int32{}, adding...)
	}
	if !slices.Equal(removing, p.RemovingReplicas) {
		rec.RemovingReplicas = append([]int32{}, removing...)
	}
	ok = rec.Leader != NoLeaderChange || rec.ISR != nil || rec.Replicas != nil ||
		rec.AddingReplicas != nil || rec.RemovingReplicas != nil
	return rec, ok
}

// orCurrent returns target, or cur when target is nil.
func orCurrent(target, cur []int32) []int32 {
	if target == nil {
		return cur
	}
	return target
}

// containsAll reports whether every id of b is in a.
func containsAll(a, b []int32) bool {
	for _, id := range b {
		if !slices.Contains(a, id) {
			return false
		}
	}
	return true
}

// without returns the ids of a that are not in b, in a's order.
func without(a, b []int32) []int32 {
	out := make([]int32, 0, len(a))
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *Controller) onlineElection(img *Image, topic string) election {
	if c.unclean(img, topic) {
		return electUnclean
	}
	return electOnline
}

// removeBroker returns the changes that take broker id out of every ISR
// and leadership, as KRaft's handleBrokerFenced does: the ISR drops the
// broker and a partition it led elects the next live ISR member, or an
// out-of-sync replica when unclean election is enabled for the topic.
func (c *Controller) removeBroker(o *overlay, id int32) []Record {
	acceptable := func(r int32) bool { return r != id && o.img.isActive(r) }
	var records []Record
	for _, t := range o.img.SortedTopics() {
		for i := range t.Partitions {
			p := o.get(t, int32(i))
			if !p.InISR(id) && p.Leader != id {
				continue
			}
			isr := slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return r == id })
			if rec, ok := partitionChange(t, p, changeTarget{isr: isr}, c.onlineElection(o.img, t.Name), acceptable); ok {
				records = append(records, rec)
				o.change(t, rec)
			}
		}
	}
	return records
}

// electLeaderless elects leaders for partitions without one, treating
// broker add as live even though the image still shows it fenced (KRaft's
// handleBrokerUnfenced).
func (c *Controller) electLeaderless(o *overlay, add int32) []Record {
	acceptable := func(r int32) bool { return r == add || o.img.isActive(r) }
	var records []Record
	for _, t := range o.img.SortedTopics() {
		for i := range t.Partitions {
			p := o.get(t, int32(i))
			if p.HasLeader() {
				continue
			}
			if rec, ok := partitionChange(t, p, changeTarget{}, c.onlineElection(o.img, t.Name), acceptable); ok {
				records = append(records, rec)
				o.change(t, rec)
			}
		}
	}
	return records
}

// BrokerRegistration is what a broker sends when it registers.
type BrokerRegistration struct {
	ID            int32
	IncarnationID UUID
	// ClusterID, when set, must be the cluster's.
	ClusterID string
	Listeners []Endpoint
	Rack      string
}

// RegisterBroker registers a broker incarnation, fenced, and returns its
// broker epoch. As in KRaft, a different incarnation may not replace a
// registration that is still live, meaning unfenced with a heartbeat
// session that has not expired (session.go; without a session timeout,
// unfenced alone); it gets DUPLICATE_BROKER_REGISTRATION and should retry
// until the old session expires. A live registration that is replaced
// (the same incarnation again, or another one after its session expired)
// is first taken out of every ISR and leadership.
func (c *Controller) RegisterBroker(ctx context.Context, reg BrokerRegistration) (epoch int64, err error) {
	return mRegisterBroker.call(ctx, c, reg)
}

func (c *Controller) registerBroker(ctx context.Context, reg BrokerRegistration) (epoch int64, err error) {
	img, err := c.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer c.end()
	if reg.ClusterID != "" && reg.ClusterID != img.ClusterID {
		return 0, newError(kerr.InconsistentClusterID, "Expected cluster ID %s, but got cluster ID %s", img.ClusterID, reg.ClusterID)
	}
	if reg.ID < 0 {
		return 0, newError(kerr.InvalidRegistration, "Invalid broker id %d", reg.ID)
	}
	var records []Record
	if old := img.Brokers[reg.ID]; old != nil && !old.Fenced {
		if old.IncarnationID != reg.IncarnationID && c.sessionLive(img, old) {
			return 0, newError(kerr.DuplicateBrokerRegistration, "Another broker is registered with that broker id.")
		}
		records = c.removeBroker(newOverlay(img), reg.ID)
	}
	records = append(records, RegisterBrokerRecord{
		BrokerID: reg.ID, IncarnationID: reg.IncarnationID, Listeners: reg.Listeners, Rack: reg.Rack, Fenced: true,
	})
	res, err := c.propose(ctx, records)
	if err != nil {
		return 0, err
	}
	c.startSession(reg.ID, int64(res.Index))
	return int64(res.Index), nil
}

// registeredBroker returns broker id if it is registered with epoch (or any
// epoch when epoch is -1).
func registeredBroker(img *Image, id int32, epoch int64) (*Broker, error) {
	b := img.Brokers[id]
	if b == nil {
		return nil, newError(kerr.BrokerIDNotRegistered, "Broker ID %d is not currently registered", id)
	}
	if epoch >= 0 && b.Epoch != epoch {
		return nil, newError(kerr.StaleBrokerEpoch, "Expected broker epoch %d, but got broker epoch %d", b.Epoch, epoch)
	}
	return b, nil
}

// FenceBroker fences a broker (its session expired, or it asked to) and
// moves every leadership and ISR membership off it in the same entry.
// brokerEpoch -1 fences whatever incarnation is registered. Fencing a
// fenced broker does nothing.
func (c *Controller) FenceBroker(ctx context.Context, brokerID int32, brokerEpoch int64) error {
	_, err := mFenceBroker.call(ctx, c, brokerEpochRequest{BrokerID: brokerID, BrokerEpoch: brokerEpoch})
	return err
}

func (c *Controller) fenceBroker(ctx context.Context, req brokerEpochRequest) (struct{}, error) {
	img, err := c.begin(ctx)
	if err != nil {
		return struct{}{}, err
	}
	defer c.end()
	return struct{}{}, c.fenceLocked(ctx, img, req.BrokerID, req.BrokerEpoch)
}

// fenceLocked fences a broker; the caller holds the turn. The broker's
// session ends with it.
func (c *Controller) fenceLocked(ctx context.Context, img *Image, brokerID int32, brokerEpoch int64) error {
	b, err := registeredBroker(img, brokerID, brokerEpoch)
	if err != nil || b.Fenced {
		return err
	}
	records := c.removeBroker(newOverlay(img), brokerID)
	records = append(records, FenceBrokerRecord{BrokerID: brokerID, BrokerEpoch: b.Epoch})
	if _, err := c.propose(ctx, records); err != nil {
		return err
	}
	c.endSession(brokerID)
	return nil
}

// UnfenceBroker unfences a broker that has caught up, and elects leaders for
// leaderless partitions it can now lead. Unfencing an unfenced broker does
// nothing.
func (c *Controller) UnfenceBroker(ctx context.Context, brokerID int32, brokerEpoch int64) error {
	_, err := mUnfenceBroker.call(ctx, c, brokerEpochRequest{BrokerID: brokerID, BrokerEpoch: brokerEpoch})
	return err
}

func (c *Controller) unfenceBroker(ctx context.Context, req brokerEpochRequest) (struct{}, error) {
	img, err := c.begin(ctx)
	if err != nil {
		return struct{}{}, err
	}
	defer c.end()
	b, err := registeredBroker(img, req.BrokerID, req.BrokerEpoch)
	if err != nil || !b.Fenced {
		return struct{}{}, err
	}
	records := []Record{UnfenceBrokerRecord{BrokerID: req.BrokerID, BrokerEpoch: b.Epoch}}
	records = append(records, c.electLeaderless(newOverlay(img), req.BrokerID)...)
	if _, err := c.propose(ctx, records); err != nil {
		return struct{}{}, err
	}
	// An unfenced broker's session starts now, if its heartbeat has not
	// started it already.
	c.touchSession(req.BrokerID, b.Epoch)
	return struct{}{}, nil
}

// UnregisterBroker removes a broker's registration after taking it out of
// every ISR and leadership.
func (c *Controller) UnregisterBroker(ctx context.Context, brokerID int32) error {
	_, err := mUnregisterBroker.call(ctx, c, brokerEpochRequest{BrokerID: brokerID, BrokerEpoch: -1})
	return err
}

func (c *Controller) unregisterBroker(ctx context.Context, req brokerEpochRequest) (struct{}, error) {
	img, err := c.begin(ctx)
	if err != nil {
		return struct{}{}, err
	}
	defer c.end()
	b, err := registeredBroker(img, req.BrokerID, req.BrokerEpoch)
	if err != nil {
		return struct{}{}, err
	}
	records := c.removeBroker(newOverlay(img), req.BrokerID)
	records = append(records, UnregisterBrokerRecord{BrokerID: req.BrokerID, BrokerEpoch: b.Epoch})
	if _, err := c.propose(ctx, records); err != nil {
		return struct{}{}, err
	}
	c.endSession(req.BrokerID)
	return struct{}{}, nil
}

// ISRChange is a partition leader's request to set a partition's ISR
// (one partition of an AlterPartition request).
type ISRChange struct {
	// TopicID names the topic; when it is zero, Topic does (AlterPartition
	// v0-v1 carry names, v2+ ids).
	TopicID        TopicID
	Topic          string
	Partition      int32
	LeaderEpoch    int32
	PartitionEpoch int32
	NewISR         []int32
}

// ISRChangeResult is the outcome of one ISRChange. When Err is nil, Leader,
// ISR and the epochs are the partition's state after the request.
type ISRChangeResult struct {
	TopicID        TopicID
	Topic          string
	Partition      int32
	Err            error
	Leader         int32
	ISR            []int32
	LeaderEpoch    int32
	PartitionEpoch int32
}

// AlterPartition applies ISR changes requested by broker brokerID, which
// must lead each partition, with KRaft's AlterPartition validation: a
// request with a newer epoch than the controller knows gets NOT_CONTROLLER,
// an older leader epoch FENCED_LEADER_EPOCH, an older partition epoch
// INVALID_UPDATE_VERSION, a request from a non-leader or with an ISR that
// is not a set of replicas containing the leader INVALID_REQUEST, and an
// ISR naming an unregistered or fenced broker INELIGIBLE_REPLICA (the
// server sends OPERATION_NOT_ATTEMPTED instead to v0-v1 clients). An
// ISR that completes a partition reassignment completes it in the same
// change (partitionChange); if that moves leadership off the requester,
// its result is NEW_LEADER_ELECTED although the change was made. The
// returned error is for the whole request: a stale broker epoch
// (brokerEpoch -1 skips that check) or a failure to commit.
func (c *Controller) AlterPartition(ctx context.Context, brokerID int32, brokerEpoch int64, changes []ISRChange) ([]ISRChangeResult, error) {
	results, err := mAlterPartition.call(ctx, c, alterPartitionRequest{BrokerID: brokerID, BrokerEpoch: brokerEpoch, Changes: changes})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (c *Controller) alterPartition(ctx context.Context, req alterPartitionRequest) ([]ISRChangeResult, error) {
	brokerID, brokerEpoch, changes := req.BrokerID, req.BrokerEpoch, req.Changes
	img, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer c.end()
	if err := checkBrokerEpoch(img, brokerID, brokerEpoch); err != nil {
		return nil, err
	}
	o := newOverlay(img)
	results := make([]ISRChangeResult, len(changes))
	var records []Record
	for i, ch := range changes {
		r := &results[i]
		*r = ISRChangeResult{TopicID: ch.TopicID, Topic: ch.Topic, Partition: ch.Partition}
		var t *Topic
		if !ch.TopicID.IsZero() {
			if t = img.TopicsByID[ch.TopicID]; t == nil {
				r.Err = codeError(kerr.UnknownTopicID)
				continue
			}
		} else if t = img.Topics[ch.Topic]; t == nil {
			r.Err = codeError(kerr.UnknownTopicOrPartition)
			continue
		}
		if ch.Partition < 0 || int(ch.Partition) >= len(t.Partitions) {
			r.Err = codeError(kerr.UnknownTopicOrPartition)
			continue
		}
		p := o.get(t, ch.Partition)
		if code := validateISRChange(img, brokerID, p, ch); code != nil {
			r.Err = codeError(code)
			continue
		}
		rec, ok := partitionChange(t, p, changeTarget{isr: slices.Clone(ch.NewISR)}, c.onlineElection(img, t.Name), img.isActive)
		if ok {
			records = append(records, rec)
			o.change(t, rec)
		}
		if ok && rec.Leader != NoLeaderChange && rec.Leader != brokerID {
			// The new ISR completed a reassignment that took the
			// requester out of the replicas, and leadership moved. As
			// in KRaft the change is written and the requester is told
			// NEW_LEADER_ELECTED, so that it waits for the new metadata
			// (the server sends FENCED_LEADER_EPOCH to v0-v1 clients).
			r.Err = codeError(kerr.NewLeaderElected)
			continue
		}
		after := o.get(t, ch.Partition)
		r.Leader, r.ISR, r.LeaderEpoch, r.PartitionEpoch = after.Leader, slices.Clone(after.ISR), after.LeaderEpoch, after.PartitionEpoch
	}
	if _, err := c.propose(ctx, records); err != nil {
		return nil, err
	}
	c.logCompletedReassignments(img, records)
	return results, nil
}

// logCompletedReassignments logs the reassignments that records, now
// applied on top of img, completed.
func (c *Controller) logCompletedReassignments(img *Image, records []Record) {
	now := c.n.Image()
	for _, r := range records {
		rec, ok := r.(PartitionChangeRecord)
		if !ok || rec.AddingReplicas == nil && rec.RemovingReplicas == nil {
			continue
		}
		t := img.TopicsByID[rec.TopicID]
		if t == nil || int(rec.Partition) >= len(t.Partitions) || !t.Partitions[rec.Partition].reassigning() {
			continue
		}
		if p := now.Partition(t.Name, rec.Partition); p != nil && !p.reassigning() {
			c.n.logger.Info("partition reassignment completed", "topic", t.Name, "partition", p.ID,
				"replicas", p.Replicas, "leader", p.Leader)
		}
	}
}

// validateISRChange is KRaft's validateAlterPartitionData, check for check.
func validateISRChange(img *Image, brokerID int32, p *Partition, ch ISRChange) *kerr.Error {
	switch {
	case ch.LeaderEpoch > p.LeaderEpoch, ch.PartitionEpoch > p.PartitionEpoch:
		// The requester knows a newer state: this controller is behind, so
		// probably no longer the active one.
		return kerr.NotController
	case ch.LeaderEpoch < p.LeaderEpoch:
		return kerr.FencedLeaderEpoch
	case brokerID != p.Leader:
		return kerr.InvalidRequest
	case ch.PartitionEpoch < p.PartitionEpoch:
		return kerr.InvalidUpdateVersion
	case !distinctBrokerIDs(ch.NewISR) || !subset(ch.NewISR, p.Replicas):
		return kerr.InvalidRequest
	case !slices.Contains(ch.NewISR, p.Leader):
		return kerr.InvalidRequest
	}
	for _, id := range ch.NewISR {
		if !img.isActive(id) {
			return kerr.IneligibleReplica
		}
	}
	return nil
}

// ElectionType is Kafka's election type id (ElectLeaders v1+).
type ElectionType int8

// Election types.
const (
	PreferredElection ElectionType = 0
	UncleanElection   ElectionType = 1
)

// TopicPartitions names partitions of one topic.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// ElectionResult is the outcome of one partition's election.
type ElectionResult struct {
	Topic     string
	Partition int32
	Err       error
}

// ElectLeaders runs preferred or unclean leader elections (ElectLeaders,
// KIP-460) with KRaft's rules. targets nil means every partition, and then,
// as Kafka does, partitions that need no election are left out of the
// results. The returned error is for the whole request.
func (c *Controller) ElectLeaders(ctx context.Context, typ ElectionType, targets []TopicPartitions) ([]ElectionResult, error) {
	results, err := mElectLeaders.call(ctx, c, electLeadersRequest{Type: typ, Targets: targets})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (c *Controller) electLeaders(ctx context.Context, req electLeadersRequest) ([]ElectionResult, error) {
	typ, targets := req.Type, req.Targets
	if typ != PreferredElection && typ != UncleanElection {
		return nil, newError(kerr.InvalidRequest, "Unknown election type %d", typ)
	}
	img, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer c.end()
	all := targets == nil
	if all {
		for _, t := range img.SortedTopics() {
			tp := TopicPartitions{Topic: t.Name}
			for i := range t.Partitions {
				tp.Partitions = append(tp.Partitions, int32(i))
			}
			targets = append(targets, tp)
		}
	}
	o := newOverlay(img)
	var results []ElectionResult
	var records []Record
	for _, tp := range targets {
		for _, part := range tp.Partitions {
			rec, err := c.electOne(o, typ, tp.Topic, part)
			if all && err != nil && err.Code == kerr.ElectionNotNeeded {
				continue
			}
			res := ElectionResult{Topic: tp.Topic, Partition: part}
			if err != nil {
				res.Err = err
			} else {
				records = append(records, rec)
			}
			results = append(results, res)
		}
	}
	if _, err := c.propose(ctx, records); err != nil {
		return nil, err
	}
	return results, nil
}

func (c *Controller) electOne(o *overlay, typ ElectionType, topic string, part int32) (PartitionChangeRecord, *Error) {
	t := o.img.Topics[topic]
	if t == nil {
		return PartitionChangeRecord{}, newError(kerr.UnknownTopicOrPartition, "No such topic as %s", topic)
	}
	if part < 0 || int(part) >= len(t.Partitions) {
		return PartitionChangeRecord{}, newError(kerr.UnknownTopicOrPartition, "No such partition as %s-%d", topic, part)
	}
	p := o.get(t, part)
	if typ == PreferredElection && p.Leader == p.PreferredLeader() || typ == UncleanElection && p.HasLeader() {
		return PartitionChangeRecord{}, codeError(kerr.ElectionNotNeeded)
	}
	el := electPreferred
	if typ == UncleanElection {
		el = electUnclean
	}
	rec, ok := partitionChange(t, p, changeTarget{}, el, o.img.isActive)
	if !ok {
		if typ == PreferredElection {
			return PartitionChangeRecord{}, codeError(kerr.PreferredLeaderNotAvailable)
		}
		return PartitionChangeRecord{}, codeError(kerr.EligibleLeadersNotAvailable)
	}
	o.change(t, rec)
	return rec, nil
}
