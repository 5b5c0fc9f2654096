package metadata

import (
	"cmp"
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Partition reassignment (KIP-455), as KRaft 3.9's ReplicationControlManager
// and PartitionReassignmentReplicas do it.
//
// A reassignment of a partition from replicas R to a target T writes one
// PartitionChangeRecord that sets
//
//	AddingReplicas   = T - R (sorted)
//	RemovingReplicas = R - T (sorted)
//	Replicas         = T followed by RemovingReplicas
//
// so that the adding replicas become followers: they fetch from the leader
// and join the ISR through the leader's AlterPartition like any follower.
// Every later change of the partition checks whether the reassignment can
// complete (completeReassignment): once the ISR without the removing
// replicas holds every target replica, the same change sets Replicas to
// T, takes the removing replicas out of the ISR, clears both lists, elects
// a new leader if the leader was removed and bumps the leader epoch. A
// target that needs no new replica can therefore complete at once.
//
// Starting a reassignment on a partition that is already being reassigned
// computes the lists from its current Replicas (which hold both the old
// and the new replicas), as KRaft does. Cancelling (a nil target) drops
// the adding replicas from the replicas and the ISR; if no ISR member is
// left, the first remaining replica becomes the ISR, which is an unclean
// election and is refused unless unclean.leader.election.enable is in
// effect for the topic.

// completeReassignment is PartitionReassignmentReplicas.maybeCompleteReassignment:
// given the replicas, ISR and reassignment lists a change aims for, it
// returns the replicas and ISR after completing the reassignment, and
// false if none is in progress or the ISR does not allow it yet.
func completeReassignment(replicas, isr, adding, removing []int32) (newReplicas, newISR []int32, ok bool) {
	if len(adding) == 0 && len(removing) == 0 {
		return nil, nil, false
	}
	newReplicas, newISR = replicas, isr
	if len(removing) > 0 {
		if newISR = without(isr, removing); len(newISR) == 0 {
			return nil, nil, false
		}
		if newReplicas = without(replicas, removing); len(newReplicas) == 0 {
			return nil, nil, false
		}
	}
	if !containsAll(newISR, newReplicas) {
		return nil, nil, false
	}
	return slices.Clone(newReplicas), slices.Clone(newISR), true
}

// reassigning reports whether a reassignment of p is in progress.
func (p *Partition) reassigning() bool {
	return len(p.AddingReplicas) > 0 || len(p.RemovingReplicas) > 0
}

// Reassignment is one partition of an AlterPartitionReassignments request.
type Reassignment struct {
	Topic     string
	Partition int32
	// Replicas is the target assignment, the first replica preferred;
	// nil cancels the reassignment in progress.
	Replicas []int32
}

// ReassignmentResult is the outcome for one Reassignment.
type ReassignmentResult struct {
	Topic     string
	Partition int32
	Err       error
}

// AlterPartitionReassignments starts, changes or cancels partition
// reassignments (AlterPartitionReassignments, KIP-455) with KRaft's
// checks and messages: an unknown topic or partition is
// UNKNOWN_TOPIC_OR_PARTITION; a target that is empty, names a broker twice
// or names an unregistered broker is INVALID_REPLICA_ASSIGNMENT;
// cancelling where nothing is in progress is NO_REASSIGNMENT_IN_PROGRESS.
// All accepted changes are one metadata entry. Results are in request
// order; the returned error is for the whole request.
func (c *Controller) AlterPartitionReassignments(ctx context.Context, reassignments []Reassignment) ([]ReassignmentResult, error) {
	results, err := mAlterPartitionReassignments.call(ctx, c, reassignments)
	if err != nil {
		return nil, err
	}
	if got := len(results); got != len(reassignments) {
		return nil, resultsError(nil, got, len(reassignments))
	}
	return results, nil
}

func (c *Controller) alterPartitionReassignments(ctx context.Context, reqs []Reassignment) ([]ReassignmentResult, error) {
	img, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer c.end()
	o := newOverlay(img)
	results := make([]ReassignmentResult, len(reqs))
	var records []Record
	var changed []int
	for i, r := range reqs {
		results[i] = ReassignmentResult{Topic: r.Topic, Partition: r.Partition}
		rec, ok, err := c.reassignOne(o, r)
		if err != nil {
			results[i].Err = err
			continue
		}
		if ok {
			records = append(records, rec)
			changed = append(changed, i)
		}
	}
	if _, err := c.propose(ctx, records); err != nil {
		return nil, err
	}
	now := c.n.Image()
	for _, i := range changed {
		r := reqs[i]
		p := now.Partition(r.Topic, r.Partition)
		switch {
		case p == nil:
		case r.Replicas == nil:
			c.n.logger.Info("partition reassignment cancelled", "topic", r.Topic, "partition", r.Partition, "replicas", p.Replicas)
		case p.reassigning():
			c.n.logger.Info("partition reassignment started", "topic", r.Topic, "partition", r.Partition, "target", r.Replicas,
				"adding", p.AddingReplicas, "removing", p.RemovingReplicas)
		default:
			c.n.logger.Info("partition reassignment completed", "topic", r.Topic, "partition", r.Partition, "replicas", p.Replicas, "leader", p.Leader)
		}
	}
	return results, nil
}

// reassignOne decides one reassignment against the overlay and records its
// change there. ok is false when the partition needs no change.
func (c *Controller) reassignOne(o *overlay, r Reassignment) (rec PartitionChangeRecord, ok bool, err error) {
	t := o.img.Topics[r.Topic]
	if t == nil {
		return rec, false, newError(kerr.UnknownTopicOrPartition, "Unable to find a topic named %s.", r.Topic)
	}
	if r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return rec, false, newError(kerr.UnknownTopicOrPartition, "Unable to find partition %s:%d.", r.Topic, r.Partition)
	}
	p := o.get(t, r.Partition)
	if r.Replicas == nil {
		rec, ok, err = c.cancelReassignment(o.img, t, p)
	} else {
		rec, ok, err = changeReassignment(o.img, t, p, r.Replicas)
	}
	if err == nil && ok {
		o.change(t, rec)
	}
	return rec, ok, err
}

// changeReassignment is ReplicationControlManager.changePartitionReassignment.
func changeReassignment(img *Image, t *Topic, p *Partition, target []int32) (PartitionChangeRecord, bool, error) {
	if err := validateManualAssignment(img, target, -1); err != nil {
		return PartitionChangeRecord{}, false, err
	}
	removing := sortedDifference(p.Replicas, target)
	adding := sortedDifference(target, p.Replicas)
	replicas := append(slices.Clone(target), removing...)
	var tgt changeTarget
	if !slices.Equal(replicas, p.Replicas) {
		tgt.replicas = replicas
	}
	// As in KRaft, an empty list leaves the partition's list as it is:
	// a new target within the current replicas keeps an earlier
	// reassignment's adding replicas until the change completes.
	if len(removing) > 0 {
		tgt.removing = removing
	}
	if len(adding) > 0 {
		tgt.adding = adding
	}
	rec, ok := partitionChange(t, p, tgt, electOnline, img.isActive)
	return rec, ok, nil
}

// cancelReassignment is ReplicationControlManager.cancelPartitionReassignment
// with PartitionReassignmentRevert.
func (c *Controller) cancelReassignment(img *Image, t *Topic, p *Partition) (PartitionChangeRecord, bool, error) {
	if !p.reassigning() {
		return PartitionChangeRecord{}, false, codeError(kerr.NoReassignmentInProgress)
	}
	replicas := without(p.Replicas, p.AddingReplicas)
	isr := without(p.ISR, p.AddingReplicas)
	unclean := c.unclean(img, t.Name)
	if len(isr) == 0 {
		if len(replicas) == 0 {
			return PartitionChangeRecord{}, false, newError(kerr.InvalidReplicaAssignment, "Invalid replica assignment: addingReplicas contains all replicas.")
		}
		if !unclean {
			return PartitionChangeRecord{}, false, newError(kerr.InvalidReplicaAssignment,
				"Unable to revert partition assignment for %s:%d because it would require an unclean leader election.", t.Name, p.ID)
		}
		isr = []int32{replicas[0]}
	}
	el := electOnline
	if unclean {
		el = electUnclean
	}
	rec, ok := partitionChange(t, p, changeTarget{isr: isr, replicas: replicas, adding: []int32{}, removing: []int32{}}, el, img.isActive)
	return rec, ok, nil
}

// sortedDifference returns the ids of a that are not in b, sorted and
// without duplicates (KRaft builds these sets as TreeSets).
func sortedDifference(a, b []int32) []int32 {
	out := without(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// OngoingReassignment is a partition whose reassignment is in progress.
type OngoingReassignment struct {
	Topic            string
	Partition        int32
	Replicas         []int32
	AddingReplicas   []int32
	RemovingReplicas []int32
}

// ListPartitionReassignments lists the reassignments in progress
// (ListPartitionReassignments, KIP-455) on the active controller: all of
// them when topics is nil, else those among the named partitions. Unknown
// topics and partitions, and partitions not being reassigned, are left
// out, as Kafka does. The list is sorted by topic and partition.
func (c *Controller) ListPartitionReassignments(ctx context.Context, topics []TopicPartitions) ([]OngoingReassignment, error) {
	return mListPartitionReassignments.call(ctx, c, listReassignmentsRequest{Topics: topics})
}

func (c *Controller) listPartitionReassignments(_ context.Context, req listReassignmentsRequest) ([]OngoingReassignment, error) {
	if !c.n.IsController() {
		return nil, ErrNotController
	}
	return listReassignments(c.n.Image(), req.Topics), nil
}

// listReassignments is ListPartitionReassignments on an image.
func listReassignments(img *Image, topics []TopicPartitions) []OngoingReassignment {
	out := []OngoingReassignment{}
	seen := map[partKey]bool{}
	add := func(t *Topic, id int32) {
		if id < 0 || int(id) >= len(t.Partitions) || seen[partKey{t.ID, id}] {
			return
		}
		seen[partKey{t.ID, id}] = true
		p := t.Partitions[id]
		if !p.reassigning() {
			return
		}
		out = append(out, OngoingReassignment{
			Topic: t.Name, Partition: id, Replicas: slices.Clone(p.Replicas),
			AddingReplicas: append([]int32{}, p.AddingReplicas...), RemovingReplicas: append([]int32{}, p.RemovingReplicas...),
		})
	}
	if topics == nil {
		for _, t := range img.SortedTopics() {
			for i := range t.Partitions {
				add(t, int32(i))
			}
		}
		return out
	}
	for _, tp := range topics {
		if t := img.Topics[tp.Topic]; t != nil {
			for _, id := range tp.Partitions {
				add(t, id)
			}
		}
	}
	slices.SortFunc(out, func(a, b OngoingReassignment) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}
