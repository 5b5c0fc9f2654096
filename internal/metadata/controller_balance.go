package metadata

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Background elections of the active controller.
//
// Preferred-leader balancing (auto.leader.rebalance.enable): every
// ControllerConfig.LeaderImbalanceCheckInterval
// (leader.imbalance.check.interval.seconds) the active controller looks at
// each broker's share of the partitions it is the preferred replica of
// (the first replica) but does not lead. When that share exceeds
// LeaderImbalancePerBrokerPercentage
// (leader.imbalance.per.broker.percentage), it elects the broker leader of
// those of its partitions where it is in the ISR and unfenced, as Kafka's
// ZooKeeper controller did (KafkaController.checkAndTriggerAutoLeaderRebalance).
// KRaft's QuorumController checks no per-broker share and balances every
// such partition; a percentage of 0 does the same here.
//
// Unclean elections for leaderless partitions: every
// UncleanLeaderElectionCheckInterval (unclean.leader.election.interval.ms)
// the active controller elects a leader, uncleanly if it must, for each
// partition without one whose topic has unclean.leader.election.enable in
// effect (QuorumController's maybeElectUncleanLeaders). A topic that
// enables it after its partitions went offline so gets them back without
// waiting for a broker to return.
//
// Both run on the goroutine runElections, one entry of at most
// maxElectionsPerImbalance elections at a time, each under the
// controller's turn like any operation.

// maxElectionsPerImbalance bounds the elections of one background entry
// (QuorumController's MAX_ELECTIONS_PER_IMBALANCE); more wait for the next
// round, which follows at once.
const maxElectionsPerImbalance = 1000

// defaultUncleanElectionInterval is unclean.leader.election.interval.ms's
// default, five minutes.
const defaultUncleanElectionInterval = 5 * time.Minute

// runElections runs the background elections on a voter until stop
// closes; they act only while this node is the active controller.
func (c *Controller) runElections(stop <-chan struct{}) {
	defer c.n.wg.Done()
	var balance, unclean <-chan time.Time
	if iv := c.cfg.LeaderImbalanceCheckInterval; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		balance = t.C
	}
	if c.cfg.UncleanLeaderElection != nil {
		iv := c.cfg.UncleanLeaderElectionCheckInterval
		if iv <= 0 {
			iv = defaultUncleanElectionInterval
		}
		t := time.NewTicker(iv)
		defer t.Stop()
		unclean = t.C
	}
	for {
		var run func(context.Context) (int, bool, error)
		var what string
		select {
		case <-stop:
			return
		case <-balance:
			run, what = c.balanceLeaders, "preferred leader balancing"
		case <-unclean:
			run, what = c.electUncleanLeaders, "unclean leader election"
		}
		for c.n.IsController() {
			ctx, cancel := context.WithTimeout(c.n.ctx, c.n.cfg.ApplyTimeout)
			n, more, err := run(ctx)
			cancel()
			if err != nil {
				level := slog.LevelWarn
				if c.n.ctx.Err() != nil || errors.Is(err, kerr.NotController) {
					// Shutting down, or no longer the controller: the
					// next one does it.
					level = slog.LevelDebug
				}
				c.n.logger.Log(c.n.ctx, level, what+" failed", "err", err)
				break
			}
			if n > 0 {
				c.n.logger.Info(what, "elected", n)
			}
			if !more {
				break
			}
		}
	}
}

// balanceLeaders elects preferred leaders where the imbalance calls for
// it. It returns how many it elected and whether more may remain.
func (c *Controller) balanceLeaders(ctx context.Context) (elected int, more bool, err error) {
	img, err := c.begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer c.end()
	o := newOverlay(img)
	var records []Record
	for _, ref := range imbalancedLeaders(img, c.cfg.LeaderImbalancePerBrokerPercentage) {
		if len(records) >= maxElectionsPerImbalance {
			more = true
			break
		}
		t := img.Topics[ref.topic]
		rec, ok := partitionChange(t, o.get(t, ref.partition), changeTarget{}, electPreferred, img.isActive)
		if ok {
			records = append(records, rec)
			o.change(t, rec)
		}
	}
	if _, err := c.propose(ctx, records); err != nil {
		return 0, false, err
	}
	return len(records), more, nil
}

// topicPartition names a partition by topic name.
type topicPartition struct {
	topic     string
	partition int32
}

// imbalancedLeaders returns the partitions, in topic and partition order,
// whose preferred replica should take over leadership: the preferred
// replica does not lead, is in the ISR and is unfenced, and it is the
// preferred replica of more than percentage percent partitions it does
// not lead.
func imbalancedLeaders(img *Image, percentage int32) []topicPartition {
	preferred := map[int32]int{}    // broker -> partitions it is preferred for
	notLeading := map[int32]int{}   // broker -> of those, the ones it does not lead
	var candidates []topicPartition // preferred replica could lead
	var owners []int32              // candidates' preferred replicas
	for _, t := range img.SortedTopics() {
		for _, p := range t.Partitions {
			b := p.PreferredLeader()
			if b == NoLeader {
				continue
			}
			preferred[b]++
			if p.Leader == b {
				continue
			}
			notLeading[b]++
			if p.InISR(b) && img.isActive(b) {
				candidates = append(candidates, topicPartition{t.Name, p.ID})
				owners = append(owners, b)
			}
		}
	}
	var out []topicPartition
	for i, tp := range candidates {
		b := owners[i]
		// notLeading/preferred > percentage/100, in integers.
		if int64(notLeading[b])*100 > int64(percentage)*int64(preferred[b]) {
			out = append(out, tp)
		}
	}
	return out
}

// electUncleanLeaders elects leaders for leaderless partitions of topics
// with unclean leader election enabled. It returns how many it elected
// and whether more may remain.
func (c *Controller) electUncleanLeaders(ctx context.Context) (elected int, more bool, err error) {
	img, err := c.begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer c.end()
	o := newOverlay(img)
	var records []Record
	var elections []topicPartition
	for _, t := range img.SortedTopics() {
		if more {
			break
		}
		enabled, checked := false, false
		for i := range t.Partitions {
			p := o.get(t, int32(i))
			if p.HasLeader() {
				continue
			}
			if !checked {
				enabled, checked = c.unclean(img, t.Name), true
			}
			if !enabled {
				break
			}
			if len(records) >= maxElectionsPerImbalance {
				more = true
				break
			}
			if rec, ok := partitionChange(t, p, changeTarget{}, electUnclean, img.isActive); ok {
				records = append(records, rec)
				o.change(t, rec)
				elections = append(elections, topicPartition{t.Name, p.ID})
			}
		}
	}
	if _, err := c.propose(ctx, records); err != nil {
		return 0, false, err
	}
	for i, tp := range elections {
		// Unclean elections can lose acknowledged data: always worth a line.
		c.n.logger.Warn("leader elected for an offline partition with unclean leader election enabled",
			"topic", tp.topic, "partition", tp.partition, "leader", records[i].(PartitionChangeRecord).Leader)
	}
	return len(records), more, nil
}
