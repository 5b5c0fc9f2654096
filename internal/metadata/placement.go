package metadata

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Replica placement follows the placer Kafka 3.9's KRaft controller uses,
// org.apache.kafka.metadata.placement.StripedReplicaPlacer (QuorumController
// builds it with a fresh java.util.Random), not ZooKeeper mode's
// AdminUtils.assignReplicasToBrokers.
//
// The brokers are grouped into racks (brokers without broker.rack form one
// rack), racks sorted by name with the rackless group first, and each rack
// keeps two id-sorted lists: unfenced and fenced brokers. Every rack list
// and broker list starts at a random offset. Each partition starts one rack
// further than the previous one and takes its first replica, the preferred
// leader, from the first rack with an unfenced broker; the other replicas
// come from the following racks in turn, unfenced brokers before fenced
// ones, each broker list advancing one further per partition. That gives
// the striped pattern: leaders and followers rotate over brokers and racks.
// After as many partitions as there are unfenced brokers, the rack order and
// every broker list are shuffled so the next round differs.
//
// Randomness comes from a Rand. With a Rand that draws like java.util.Random
// (IntN as nextInt, Shuffle as Collections.shuffle) the output is Kafka's,
// draw for draw: the racks are initialised in name order, which is the
// order Kafka's HashMap visits them in for the rack names Kafka's own tests
// use.

// Rand is the randomness replica placement uses. *math/rand/v2.Rand
// implements it. Implementations need not be safe for concurrent use; the
// controller calls it under its lock.
type Rand interface {
	// IntN returns a value in [0, n).
	IntN(n int) int
	// Shuffle permutes n elements with swap, as rand.Shuffle does.
	Shuffle(n int, swap func(i, j int))
}

// placementBroker is a broker the placer may use.
type placementBroker struct {
	id     int32
	rack   string
	fenced bool
}

// placementBrokers returns every registered broker of img in id order.
// KRaft places on every registered broker that is not in controlled
// shutdown, fenced ones only when it runs out of unfenced ones.
func placementBrokers(img *Image) []placementBroker {
	out := make([]placementBroker, 0, len(img.Brokers))
	for _, b := range img.SortedBrokers() {
		out = append(out, placementBroker{id: b.ID, rack: b.Rack, fenced: b.Fenced})
	}
	return out
}

// placeReplicas assigns rf replicas to each of n partitions. Errors carry
// Kafka's InvalidReplicationFactorException messages.
func placeReplicas(rnd Rand, brokers []placementBroker, n int, rf int) ([][]int32, error) {
	rl := newRackList(rnd, brokers)
	if err := rl.check(rf, true); err != nil {
		return nil, err
	}
	out := make([][]int32, 0, n)
	for range n {
		replicas, err := rl.place(rf)
		if err != nil {
			return nil, err
		}
		out = append(out, replicas)
	}
	return out, nil
}

// brokerList hands out the brokers of one list round-robin: in each
// iteration epoch every broker once, starting one further than in the
// previous epoch.
type brokerList struct {
	brokers []int32
	index   int // brokers returned in the current epoch
	offset  int // added to index, modulo the size
	epoch   int // last epoch seen; a new one restarts the iteration
}

func (l *brokerList) initialize(rnd Rand) {
	if len(l.brokers) > 0 {
		slices.Sort(l.brokers)
		l.offset = rnd.IntN(len(l.brokers))
	}
}

func (l *brokerList) shuffle(rnd Rand) {
	rnd.Shuffle(len(l.brokers), func(i, j int) { l.brokers[i], l.brokers[j] = l.brokers[j], l.brokers[i] })
}

// next returns the next broker of epoch, or -1 when the list is exhausted.
func (l *brokerList) next(epoch int) int32 {
	if len(l.brokers) == 0 {
		return -1
	}
	if l.epoch != epoch {
		l.epoch = epoch
		l.index = 0
		l.offset = (l.offset + 1) % len(l.brokers)
	}
	if l.index >= len(l.brokers) {
		return -1
	}
	b := l.brokers[(l.index+l.offset)%len(l.brokers)]
	l.index++
	return b
}

type placementRack struct {
	fenced, unfenced brokerList
}

// next prefers unfenced brokers and falls back to fenced ones.
func (r *placementRack) next(epoch int) int32 {
	if b := r.unfenced.next(epoch); b >= 0 {
		return b
	}
	return r.fenced.next(epoch)
}

type rackList struct {
	rnd       Rand
	racks     map[string]*placementRack
	rackOrder []string // sorted names, the order racks are initialised and shuffled in
	names     []string // the rotation order; shuffled after each round
	total     int
	unfenced  int
	epoch     int
	offset    int
}

func newRackList(rnd Rand, brokers []placementBroker) *rackList {
	rl := &rackList{rnd: rnd, racks: map[string]*placementRack{}}
	for _, b := range brokers {
		r := rl.racks[b.rack]
		if r == nil {
			r = &placementRack{}
			rl.racks[b.rack] = r
			rl.names = append(rl.names, b.rack)
		}
		if b.fenced {
			r.fenced.brokers = append(r.fenced.brokers, b.id)
		} else {
			r.unfenced.brokers = append(r.unfenced.brokers, b.id)
			rl.unfenced++
		}
		rl.total++
	}
	// "" (no rack) sorts first, as Kafka's OptionalStringComparator puts
	// the empty Optional first.
	sort.Strings(rl.names)
	rl.rackOrder = slices.Clone(rl.names)
	for _, name := range rl.rackOrder {
		r := rl.racks[name]
		r.fenced.initialize(rnd)
		r.unfenced.initialize(rnd)
	}
	if len(rl.names) > 0 {
		rl.offset = rnd.IntN(len(rl.names))
	}
	return rl
}

// check applies Kafka's replication factor checks. The topic-level placer
// checks "all fenced" before "too few brokers", RackList.place the other way.
func (rl *rackList) check(rf int, topicLevel bool) error {
	if rf <= 0 {
		return fmt.Errorf("Invalid replication factor %d: the replication factor must be positive.", rf)
	}
	tooFew := func() error {
		if rf > rl.total {
			return fmt.Errorf("The target replication factor of %d cannot be reached because only %d broker(s) are registered.", rf, rl.total)
		}
		return nil
	}
	allFenced := func() error {
		if rl.unfenced == 0 {
			return errors.New("All brokers are currently fenced.")
		}
		return nil
	}
	if topicLevel {
		if err := allFenced(); err != nil {
			return err
		}
		return tooFew()
	}
	if err := tooFew(); err != nil {
		return err
	}
	return allFenced()
}

func (rl *rackList) place(rf int) ([]int32, error) {
	if err := rl.check(rf, false); err != nil {
		return nil, err
	}
	// After one assignment per unfenced broker, reshuffle so the next round
	// is not a repeat; a single unfenced broker never resets the epoch.
	if rl.epoch == rl.unfenced && rl.unfenced > 1 {
		rl.shuffle()
		rl.epoch = 0
	}
	if rl.offset == len(rl.names) {
		rl.offset = 0
	}
	out := make([]int32, 0, rf)
	first := rl.offset
	for tries := 0; ; tries++ {
		if tries == len(rl.names) {
			return nil, errors.New("All brokers are currently fenced.")
		}
		if b := rl.racks[rl.names[first]].unfenced.next(rl.epoch); b >= 0 {
			out = append(out, b)
			break
		}
		first = (first + 1) % len(rl.names)
	}
	idx := rl.offset
	// Each rack yields each of its brokers at most once per epoch, so the
	// search below ends after at most total+racks steps when rf <= total.
	budget := rl.total + 2*len(rl.names) + rf
	for len(out) < rf {
		b := int32(-1)
		for b < 0 {
			if budget == 0 {
				return nil, fmt.Errorf("The target replication factor of %d cannot be reached because only %d broker(s) are registered.", rf, rl.total)
			}
			budget--
			if idx == first {
				first = -1
			} else {
				b = rl.racks[rl.names[idx]].next(rl.epoch)
			}
			idx = (idx + 1) % len(rl.names)
		}
		out = append(out, b)
	}
	rl.epoch++
	rl.offset++
	return out, nil
}

func (rl *rackList) shuffle() {
	rl.rnd.Shuffle(len(rl.names), func(i, j int) { rl.names[i], rl.names[j] = rl.names[j], rl.names[i] })
	for _, name := range rl.rackOrder {
		r := rl.racks[name]
		r.fenced.shuffle(rl.rnd)
		r.unfenced.shuffle(rl.rnd)
	}
}
