package metadata

import (
	"slices"
	"sort"
)

// NoLeader is the Leader of a partition that has no live leader (Kafka's
// LeaderConstants.NO_LEADER).
const NoLeader int32 = -1

// Image is the cluster metadata state after the metadata log entry at Index
// was applied. An Image is immutable: the apply goroutine builds a new one
// for every entry and swaps it in atomically, sharing every unchanged map
// value, topic and partition with its predecessor. Readers may keep and read
// an Image from any goroutine without locks, and must never modify it or
// anything reachable from it.
type Image struct {
	// Index is the raft index of the last metadata log entry applied.
	Index uint64
	// ClusterID is the cluster's id, written once by the first controller.
	ClusterID string
	// Brokers are the registered brokers by id.
	Brokers map[int32]*Broker
	// Topics are the topics by name; TopicsByID indexes the same values.
	Topics     map[string]*Topic
	TopicsByID map[TopicID]*Topic
	// Configs holds the dynamic configs set through the metadata log: topic
	// overrides (Type ConfigTopic), per-broker dynamic configs (ConfigBroker
	// with the broker id as name) and the cluster-wide dynamic default
	// (ConfigBroker with an empty name). A resource with no configs is absent.
	Configs map[ConfigResource]map[string]string
	// ClientQuotas holds quota values by entity and quota key.
	ClientQuotas map[QuotaEntity]map[string]float64
	// NextProducerID is the first producer id of the next block the
	// controller will hand out (AllocateProducerIds).
	NextProducerID int64
	// Features are the finalized feature levels, such as "metadata.version".
	Features map[string]int16
}

// Broker is a registered broker. Its heartbeat time is not part of the
// image: it is local, non-deterministic state of the active controller.
type Broker struct {
	ID int32 `json:"id"`
	// Epoch is the broker epoch: the raft index of the entry that registered
	// this incarnation, so it grows with every registration (KRaft uses the
	// offset of the RegisterBrokerRecord the same way).
	Epoch         int64      `json:"epoch"`
	IncarnationID UUID       `json:"incarnationId"`
	Listeners     []Endpoint `json:"listeners"`
	Rack          string     `json:"rack,omitempty"` // "" when the broker has no broker.rack
	Fenced        bool       `json:"fenced"`
}

// Endpoint is one listener a broker advertises.
type Endpoint struct {
	Name             string `json:"name"` // listener name, e.g. "PLAINTEXT"
	Host             string `json:"host"`
	Port             int32  `json:"port"`
	SecurityProtocol int16  `json:"securityProtocol"` // Kafka's id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL
}

// Topic is a topic and its partitions. Partitions[i].ID is always i.
type Topic struct {
	Name       string       `json:"name"`
	ID         TopicID      `json:"id"`
	Partitions []*Partition `json:"partitions"`
	// Internal marks Kafka's internal topics (__consumer_offsets,
	// __transaction_state, __share_group_state); it follows from the name.
	Internal bool `json:"-"`
}

// Partition is the replica assignment and leadership of one partition, with
// the field meanings of KRaft's PartitionRecord.
type Partition struct {
	Topic string `json:"-"`
	ID    int32  `json:"id"`
	// Replicas is the assignment; Replicas[0] is the preferred leader.
	Replicas []int32 `json:"replicas"`
	ISR      []int32 `json:"isr"`
	// Leader is a broker id or NoLeader.
	Leader int32 `json:"leader"`
	// LeaderEpoch grows by one on every leader change (including to and
	// from NoLeader); PartitionEpoch grows on every change of the partition.
	LeaderEpoch      int32   `json:"leaderEpoch"`
	PartitionEpoch   int32   `json:"partitionEpoch"`
	AddingReplicas   []int32 `json:"addingReplicas,omitempty"`
	RemovingReplicas []int32 `json:"removingReplicas,omitempty"`
	// ELR and LastKnownELR are KIP-966's eligible leader replicas. The
	// controller does not populate them yet; they stay empty.
	LastKnownELR []int32 `json:"lastKnownElr,omitempty"`
	ELR          []int32 `json:"elr,omitempty"`
}

// ConfigResourceType is Kafka's config resource type id.
type ConfigResourceType int8

// Config resource types, with Kafka's ids.
const (
	ConfigTopic  ConfigResourceType = 2
	ConfigBroker ConfigResourceType = 4
)

func (t ConfigResourceType) String() string {
	switch t {
	case ConfigTopic:
		return "TOPIC"
	case ConfigBroker:
		return "BROKER"
	default:
		return "UNKNOWN"
	}
}

// ConfigResource names a set of dynamic configs: a topic, one broker (Name is
// its id in decimal) or the cluster-wide broker default (ConfigBroker, Name "").
type ConfigResource struct {
	Type ConfigResourceType `json:"type"`
	Name string             `json:"name"`
}

// QuotaEntity names the clients a quota applies to. A part that is not
// Present is not part of the entity; Default selects the default entity of
// that type (a null name on the wire).
type QuotaEntity struct {
	User     EntityName `json:"user,omitzero"`
	ClientID EntityName `json:"clientId,omitzero"`
	IP       EntityName `json:"ip,omitzero"`
}

// EntityName is one part of a QuotaEntity.
type EntityName struct {
	Present bool   `json:"present,omitempty"`
	Default bool   `json:"default,omitempty"`
	Name    string `json:"name,omitempty"`
}

// emptyImage is the image before the first entry. Its maps are empty rather
// than nil so that callers can range and index without checks.
func emptyImage() *Image {
	return &Image{
		Brokers:      map[int32]*Broker{},
		Topics:       map[string]*Topic{},
		TopicsByID:   map[TopicID]*Topic{},
		Configs:      map[ConfigResource]map[string]string{},
		ClientQuotas: map[QuotaEntity]map[string]float64{},
		Features:     map[string]int16{},
	}
}

// TopicByID returns the topic with the given id, or nil.
func (img *Image) TopicByID(id TopicID) *Topic { return img.TopicsByID[id] }

// Partition returns the partition, or nil if the topic or partition does not
// exist.
func (img *Image) Partition(topic string, partition int32) *Partition {
	t := img.Topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.Partitions) {
		return nil
	}
	return t.Partitions[partition]
}

// LiveBrokers returns the unfenced brokers in id order.
func (img *Image) LiveBrokers() []*Broker {
	out := make([]*Broker, 0, len(img.Brokers))
	for _, b := range img.Brokers {
		if !b.Fenced {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SortedBrokers returns every registered broker in id order.
func (img *Image) SortedBrokers() []*Broker {
	out := make([]*Broker, 0, len(img.Brokers))
	for _, b := range img.Brokers {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SortedTopics returns every topic in name order.
func (img *Image) SortedTopics() []*Topic {
	out := make([]*Topic, 0, len(img.Topics))
	for _, t := range img.Topics {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BrokerEndpoint returns the endpoint of broker id on the named listener.
func (img *Image) BrokerEndpoint(id int32, listener string) (Endpoint, bool) {
	b := img.Brokers[id]
	if b == nil {
		return Endpoint{}, false
	}
	for _, e := range b.Listeners {
		if e.Name == listener {
			return e, true
		}
	}
	return Endpoint{}, false
}

// TopicConfigs returns the dynamic config overrides of a topic (nil if none).
func (img *Image) TopicConfigs(topic string) map[string]string {
	return img.Configs[ConfigResource{Type: ConfigTopic, Name: topic}]
}

// isActive reports whether a broker is registered and unfenced, the brokers
// KRaft's ClusterControlManager.isActive accepts as leaders and ISR members.
func (img *Image) isActive(id int32) bool {
	b := img.Brokers[id]
	return b != nil && !b.Fenced
}

// PreferredLeader returns the first replica, or NoLeader if there is none.
func (p *Partition) PreferredLeader() int32 {
	if len(p.Replicas) == 0 {
		return NoLeader
	}
	return p.Replicas[0]
}

// InISR reports whether broker id is in the ISR.
func (p *Partition) InISR(id int32) bool { return slices.Contains(p.ISR, id) }

// HasLeader reports whether the partition has a leader.
func (p *Partition) HasLeader() bool { return p.Leader != NoLeader }

// clone returns a copy of p that shares no slices with it.
func (p *Partition) clone() *Partition {
	c := *p
	c.Replicas = slices.Clone(p.Replicas)
	c.ISR = slices.Clone(p.ISR)
	c.AddingReplicas = slices.Clone(p.AddingReplicas)
	c.RemovingReplicas = slices.Clone(p.RemovingReplicas)
	c.LastKnownELR = slices.Clone(p.LastKnownELR)
	c.ELR = slices.Clone(p.ELR)
	return &c
}

// isInternalTopic reports whether Kafka treats name as an internal topic
// (org.apache.kafka.common.internals.Topic.isInternal).
func isInternalTopic(name string) bool {
	switch name {
	case "__consumer_offsets", "__transaction_state", "__share_group_state":
		return true
	}
	return false
}
