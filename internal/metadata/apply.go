package metadata

import (
	"math"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
)

// applyEntry returns the image after applying the records of the entry at
// raft index index to prev. It is a pure function of its arguments: no
// clocks, no randomness, no I/O, so every node computes the same image.
// Records are checked against the image as it evolves within the entry; if
// any record is invalid, none of them is applied, the returned image differs
// from prev only in Index, and the error says why.
func applyEntry(prev *Image, index uint64, records []Record) (*Image, error) {
	b := newBuilder(prev, index)
	for _, r := range records {
		if err := b.apply(r); err != nil {
			img := *prev
			img.Index = index
			return &img, err
		}
	}
	return b.img, nil
}

// builder makes a new image from prev with copy-on-write: a map, topic or
// config set is copied the first time this entry changes it, and everything
// untouched stays shared with prev.
type builder struct {
	prev  *Image
	img   *Image
	index uint64

	ownBrokers, ownTopics, ownConfigs, ownQuotas, ownFeatures bool

	ownTopic  map[TopicID]bool
	ownConfig map[ConfigResource]bool
	ownQuota  map[QuotaEntity]bool
}

func newBuilder(prev *Image, index uint64) *builder {
	img := *prev
	img.Index = index
	return &builder{prev: prev, img: &img, index: index}
}

func (b *builder) brokers() map[int32]*Broker {
	if !b.ownBrokers {
		b.img.Brokers = cloneMap(b.img.Brokers)
		b.ownBrokers = true
	}
	return b.img.Brokers
}

func (b *builder) topics() {
	if !b.ownTopics {
		b.img.Topics = cloneMap(b.img.Topics)
		b.img.TopicsByID = cloneMap(b.img.TopicsByID)
		b.ownTopics = true
	}
}

// mutableTopic returns a copy of the topic, owned by this entry, that the
// caller may change; its Partitions slice is a copy, the partitions shared.
func (b *builder) mutableTopic(id TopicID) *Topic {
	b.topics()
	t := b.img.TopicsByID[id]
	if t == nil {
		return nil
	}
	if b.ownTopic[id] {
		return t
	}
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	b.img.Topics[c.Name] = &c
	b.img.TopicsByID[id] = &c
	if b.ownTopic == nil {
		b.ownTopic = map[TopicID]bool{}
	}
	b.ownTopic[id] = true
	return &c
}

// mutableConfig returns the config set of res, owned by this entry.
func (b *builder) mutableConfig(res ConfigResource) map[string]string {
	return ownedSet(&b.img.Configs, &b.ownConfigs, &b.ownConfig, res)
}

// mutableQuota returns the quota values of e, owned by this entry.
func (b *builder) mutableQuota(e QuotaEntity) map[string]float64 {
	return ownedSet(&b.img.ClientQuotas, &b.ownQuotas, &b.ownQuota, e)
}

// ownedSet returns the inner map of key in *sets, copy-on-write: *sets is
// copied the first time this entry changes it (ownSets records that), and
// each inner map the first time its key is changed (ownKey records those),
// so that the previous image never sees the change. A missing key gets an
// empty map.
func ownedSet[K comparable, V any](sets *map[K]map[string]V, ownSets *bool, ownKey *map[K]bool, key K) map[string]V {
	if !*ownSets {
		*sets = cloneMap(*sets)
		*ownSets = true
	}
	m, ok := (*sets)[key]
	if !ok || !(*ownKey)[key] {
		m = cloneMap(m)
		(*sets)[key] = m
		if *ownKey == nil {
			*ownKey = map[K]bool{}
		}
		(*ownKey)[key] = true
	}
	return m
}

func (b *builder) features() map[string]int16 {
	if !b.ownFeatures {
		b.img.Features = cloneMap(b.img.Features)
		b.ownFeatures = true
	}
	return b.img.Features
}

// cloneMap copies m; the copy is never nil.
func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (b *builder) apply(r Record) error {
	switch r := r.(type) {
	case RegisterBrokerRecord:
		return b.registerBroker(r)
	case UnregisterBrokerRecord:
		br, err := b.brokerWithEpoch(r.BrokerID, r.BrokerEpoch)
		if err != nil {
			return err
		}
		delete(b.brokers(), br.ID)
		return nil
	case FenceBrokerRecord:
		return b.setFenced(r.BrokerID, r.BrokerEpoch, true)
	case UnfenceBrokerRecord:
		return b.setFenced(r.BrokerID, r.BrokerEpoch, false)
	case TopicRecord:
		return b.createTopic(r)
	case PartitionRecord:
		return b.createPartition(r)
	case PartitionChangeRecord:
		return b.changePartition(r)
	case RemoveTopicRecord:
		return b.removeTopic(r)
	case ConfigRecord:
		return b.setConfig(r)
	case ClientQuotaRecord:
		return b.setQuota(r)
	case ProducerIDsRecord:
		if r.NextProducerID <= b.img.NextProducerID {
			return newError(kerr.InvalidRequest, "next producer id %d is not greater than the current next producer id %d",
				r.NextProducerID, b.img.NextProducerID)
		}
		b.img.NextProducerID = r.NextProducerID
		return nil
	case FeatureLevelRecord:
		if r.Name == "" || r.Level < 0 {
			return newError(kerr.InvalidRequest, "invalid feature level %q=%d", r.Name, r.Level)
		}
		if r.Level == 0 {
			delete(b.features(), r.Name)
		} else {
			b.features()[r.Name] = r.Level
		}
		return nil
	case NoOpRecord:
		return nil
	case ClusterIDRecord:
		switch {
		case r.ClusterID == "":
			return newError(kerr.InvalidRequest, "empty cluster id")
		case b.img.ClusterID == "":
			b.img.ClusterID = r.ClusterID
		case b.img.ClusterID != r.ClusterID:
			return newError(kerr.InconsistentClusterID, "Expected cluster ID %s, but got cluster ID %s", b.img.ClusterID, r.ClusterID)
		}
		return nil
	case nil:
		return newError(kerr.InvalidRequest, "nil record")
	default:
		return newError(kerr.InvalidRequest, "unknown record type %T", r)
	}
}

func (b *builder) registerBroker(r RegisterBrokerRecord) error {
	if r.BrokerID < 0 {
		return newError(kerr.InvalidRegistration, "invalid broker id %d", r.BrokerID)
	}
	for _, e := range r.Listeners {
		if e.Name == "" || e.Port < 0 || e.Port > math.MaxUint16 {
			return newError(kerr.InvalidRegistration, "invalid listener %q %s:%d", e.Name, e.Host, e.Port)
		}
	}
	b.brokers()[r.BrokerID] = &Broker{
		ID:            r.BrokerID,
		Epoch:         int64(b.index),
		IncarnationID: r.IncarnationID,
		Listeners:     slices.Clone(r.Listeners),
		Rack:          r.Rack,
		Fenced:        r.Fenced,
	}
	return nil
}

// brokerWithEpoch returns the registration of id if its epoch is epoch.
func (b *builder) brokerWithEpoch(id int32, epoch int64) (*Broker, error) {
	br := b.img.Brokers[id]
	if br == nil {
		return nil, newError(kerr.BrokerIDNotRegistered, "Broker ID %d is not currently registered", id)
	}
	if br.Epoch != epoch {
		return nil, newError(kerr.StaleBrokerEpoch, "Expected broker epoch %d, but got broker epoch %d", br.Epoch, epoch)
	}
	return br, nil
}

func (b *builder) setFenced(id int32, epoch int64, fenced bool) error {
	br, err := b.brokerWithEpoch(id, epoch)
	if err != nil {
		return err
	}
	c := *br
	c.Fenced = fenced
	b.brokers()[id] = &c
	return nil
}

func (b *builder) createTopic(r TopicRecord) error {
	if err := validateTopicName(r.Name); err != nil {
		return err
	}
	if t := b.img.Topics[r.Name]; t != nil {
		// The same id means this creation was already applied (a retried
		// proposal); a different id means another creation won. Either
		// way the existing topic stays as it is.
		return newError(kerr.TopicAlreadyExists, "Topic '%s' already exists.", r.Name)
	}
	if r.ID.IsZero() || r.ID == oneUUID {
		return newError(kerr.InvalidRequest, "topic %s has reserved id %s", r.Name, r.ID)
	}
	if t := b.img.TopicsByID[r.ID]; t != nil {
		return newError(kerr.InvalidRequest, "topic id %s of %s is already used by topic %s", r.ID, r.Name, t.Name)
	}
	b.topics()
	t := &Topic{Name: r.Name, ID: r.ID, Internal: isInternalTopic(r.Name)}
	b.img.Topics[r.Name] = t
	b.img.TopicsByID[r.ID] = t
	if b.ownTopic == nil {
		b.ownTopic = map[TopicID]bool{}
	}
	b.ownTopic[r.ID] = true
	return nil
}

func (b *builder) createPartition(r PartitionRecord) error {
	t := b.mutableTopic(r.TopicID)
	if t == nil {
		return newError(kerr.UnknownTopicID, "no topic with id %s", r.TopicID)
	}
	if int(r.Partition) != len(t.Partitions) {
		return newError(kerr.InvalidRequest, "partition %d of %s is not the next partition %d", r.Partition, t.Name, len(t.Partitions))
	}
	p := &Partition{
		Topic:            t.Name,
		ID:               r.Partition,
		Replicas:         slices.Clone(r.Replicas),
		ISR:              slices.Clone(r.ISR),
		Leader:           r.Leader,
		LeaderEpoch:      r.LeaderEpoch,
		PartitionEpoch:   r.PartitionEpoch,
		AddingReplicas:   slices.Clone(r.AddingReplicas),
		RemovingReplicas: slices.Clone(r.RemovingReplicas),
	}
	if r.LeaderEpoch < 0 || r.PartitionEpoch < 0 {
		return newError(kerr.InvalidRequest, "partition %s-%d has negative epochs", t.Name, r.Partition)
	}
	if err := validatePartition(p); err != nil {
		return err
	}
	t.Partitions = append(t.Partitions, p)
	return nil
}

func (b *builder) changePartition(r PartitionChangeRecord) error {
	t := b.mutableTopic(r.TopicID)
	if t == nil {
		return newError(kerr.UnknownTopicID, "no topic with id %s", r.TopicID)
	}
	if r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return newError(kerr.UnknownTopicOrPartition, "No such partition as %s-%d", t.Name, r.Partition)
	}
	cur := t.Partitions[r.Partition]
	if r.PartitionEpoch != cur.PartitionEpoch {
		return newError(kerr.InvalidUpdateVersion, "partition %s-%d is at partition epoch %d, not %d",
			t.Name, r.Partition, cur.PartitionEpoch, r.PartitionEpoch)
	}
	if cur.PartitionEpoch == math.MaxInt32 || cur.LeaderEpoch == math.MaxInt32 {
		return newError(kerr.InvalidRequest, "partition %s-%d has exhausted its epochs", t.Name, r.Partition)
	}
	p := mergePartitionChange(cur, r)
	if err := validatePartition(p); err != nil {
		return err
	}
	t.Partitions[r.Partition] = p
	return nil
}

// mergePartitionChange returns cur with the change applied, as KRaft's
// PartitionRegistration.merge does: a new leader bumps the leader epoch, any
// change bumps the partition epoch.
func mergePartitionChange(cur *Partition, r PartitionChangeRecord) *Partition {
	p := cur.clone()
	if r.Leader != NoLeaderChange {
		p.Leader = r.Leader
		p.LeaderEpoch++
	}
	p.PartitionEpoch++
	if r.ISR != nil {
		p.ISR = slices.Clone(r.ISR)
	}
	if r.Replicas != nil {
		p.Replicas = slices.Clone(r.Replicas)
	}
	if r.AddingReplicas != nil {
		p.AddingReplicas = slices.Clone(r.AddingReplicas)
	}
	if r.RemovingReplicas != nil {
		p.RemovingReplicas = slices.Clone(r.RemovingReplicas)
	}
	if r.ELR != nil {
		p.ELR = slices.Clone(r.ELR)
	}
	if r.LastKnownELR != nil {
		p.LastKnownELR = slices.Clone(r.LastKnownELR)
	}
	return p
}

// validatePartition checks the invariants every partition in an image keeps.
func validatePartition(p *Partition) error {
	bad := func(format string, args ...any) error {
		return newError(kerr.InvalidRequest, "partition %s-%d: "+format, append([]any{p.Topic, p.ID}, args...)...)
	}
	if len(p.Replicas) == 0 {
		return bad("no replicas")
	}
	if !distinctBrokerIDs(p.Replicas) {
		return bad("invalid replicas %v", p.Replicas)
	}
	for _, set := range []struct {
		name string
		ids  []int32
	}{{"isr", p.ISR}, {"adding replicas", p.AddingReplicas}, {"removing replicas", p.RemovingReplicas}, {"elr", p.ELR}, {"last known elr", p.LastKnownELR}} {
		if !distinctBrokerIDs(set.ids) || !subset(set.ids, p.Replicas) {
			return bad("%s %v is not a set of replicas %v", set.name, set.ids, p.Replicas)
		}
	}
	if p.Leader != NoLeader && !slices.Contains(p.Replicas, p.Leader) {
		return bad("leader %d is not a replica", p.Leader)
	}
	return nil
}

// distinctBrokerIDs reports whether ids holds no negative id and no duplicate.
func distinctBrokerIDs(ids []int32) bool {
	for i, id := range ids {
		if id < 0 || slices.Contains(ids[:i], id) {
			return false
		}
	}
	return true
}

func subset(a, of []int32) bool {
	for _, id := range a {
		if !slices.Contains(of, id) {
			return false
		}
	}
	return true
}

func (b *builder) removeTopic(r RemoveTopicRecord) error {
	t := b.img.TopicsByID[r.TopicID]
	if t == nil {
		return newError(kerr.UnknownTopicID, "no topic with id %s", r.TopicID)
	}
	b.topics()
	delete(b.img.Topics, t.Name)
	delete(b.img.TopicsByID, t.ID)
	// KRaft drops a topic's config overrides with the topic, so a new topic
	// of the same name starts clean.
	res := ConfigResource{Type: ConfigTopic, Name: t.Name}
	if _, ok := b.img.Configs[res]; ok {
		b.mutableConfig(res)
		delete(b.img.Configs, res)
	}
	return nil
}

func (b *builder) setConfig(r ConfigRecord) error {
	if r.Name == "" {
		return newError(kerr.InvalidRequest, "empty config name")
	}
	res := ConfigResource{Type: r.ResourceType, Name: r.ResourceName}
	switch r.ResourceType {
	case ConfigTopic:
		if b.img.Topics[r.ResourceName] == nil {
			return newError(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", r.ResourceName)
		}
	case ConfigBroker:
		if r.ResourceName != "" {
			if _, err := strconv.ParseInt(r.ResourceName, 10, 32); err != nil {
				return newError(kerr.InvalidRequest, "Invalid broker name %s", r.ResourceName)
			}
		}
	default:
		return newError(kerr.InvalidRequest, "Unknown resource type %d", r.ResourceType)
	}
	m := b.mutableConfig(res)
	if r.Value == nil {
		delete(m, r.Name)
	} else {
		m[r.Name] = *r.Value
	}
	if len(m) == 0 {
		delete(b.img.Configs, res)
	}
	return nil
}

func (b *builder) setQuota(r ClientQuotaRecord) error {
	if !r.Entity.User.Present && !r.Entity.ClientID.Present && !r.Entity.IP.Present {
		return newError(kerr.InvalidRequest, "Invalid empty client quota entity")
	}
	if r.Key == "" {
		return newError(kerr.InvalidRequest, "empty quota key")
	}
	m := b.mutableQuota(r.Entity)
	if r.Remove {
		delete(m, r.Key)
	} else {
		m[r.Key] = r.Value
	}
	if len(m) == 0 {
		delete(b.img.ClientQuotas, r.Entity)
	}
	return nil
}
