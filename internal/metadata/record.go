package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kafkakit/kafkakit/internal/controllerrpc"
)

// Record is one change of cluster metadata. One metadata log entry carries
// one or more records that the state machine applies atomically: either all
// of them or, if any is invalid against the image, none.
//
// Encoding. An entry is one format byte (entryFormat, currently 1) followed by
// a JSON array of envelopes {"type":T,"version":V,"data":{...}}, one per
// record, in order. JSON keeps the log readable with standard tools, and
// encoding/json is deterministic for these types (struct fields in
// declaration order, no maps except sorted-key ones), so every node writes
// identical bytes for identical records. Each record type has its own
// version; a decoder rejects types and versions it does not know rather than
// guess, so a node never applies a record it only half understands. In the
// PartitionChange record a null slice means "unchanged" and [] means "set
// to empty".
type Record interface {
	recordType() string
}

// NoLeaderChange is the Leader of a PartitionChangeRecord that keeps the
// current leader (Kafka's LeaderConstants.NO_LEADER_CHANGE).
const NoLeaderChange int32 = -2

// RegisterBrokerRecord registers a broker incarnation. The broker epoch is the
// raft index of the entry carrying it.
type RegisterBrokerRecord struct {
	BrokerID      int32      `json:"brokerId"`
	IncarnationID UUID       `json:"incarnationId"`
	Listeners     []Endpoint `json:"listeners"`
	Rack          string     `json:"rack,omitempty"`
	Fenced        bool       `json:"fenced"`
}

// UnregisterBrokerRecord removes a broker registration with the given epoch.
type UnregisterBrokerRecord struct {
	BrokerID    int32 `json:"brokerId"`
	BrokerEpoch int64 `json:"brokerEpoch"`
}

// FenceBrokerRecord fences the broker registration with the given epoch.
type FenceBrokerRecord struct {
	BrokerID    int32 `json:"brokerId"`
	BrokerEpoch int64 `json:"brokerEpoch"`
}

// UnfenceBrokerRecord unfences the broker registration with the given epoch.
type UnfenceBrokerRecord struct {
	BrokerID    int32 `json:"brokerId"`
	BrokerEpoch int64 `json:"brokerEpoch"`
}

// TopicRecord creates a topic. The proposer chooses the id; applying a
// TopicRecord for a name or id that already exists fails, so a retried
// creation can never make a second topic or change an id.
type TopicRecord struct {
	Name string  `json:"name"`
	ID   TopicID `json:"id"`
}

// PartitionRecord creates the next partition of a topic.
type PartitionRecord struct {
	TopicID          TopicID `json:"topicId"`
	Partition        int32   `json:"partition"`
	Replicas         []int32 `json:"replicas"`
	ISR              []int32 `json:"isr"`
	Leader           int32   `json:"leader"`
	LeaderEpoch      int32   `json:"leaderEpoch"`
	PartitionEpoch   int32   `json:"partitionEpoch"`
	AddingReplicas   []int32 `json:"addingReplicas,omitempty"`
	RemovingReplicas []int32 `json:"removingReplicas,omitempty"`
}

// PartitionChangeRecord changes a partition that currently has
// PartitionEpoch; it fails against any other epoch, so a change computed from
// an old state or applied twice is rejected. A Leader other than
// NoLeaderChange bumps the leader epoch; every change bumps the partition
// epoch. Nil slices leave the field unchanged.
type PartitionChangeRecord struct {
	TopicID          TopicID `json:"topicId"`
	Partition        int32   `json:"partition"`
	PartitionEpoch   int32   `json:"partitionEpoch"`
	Leader           int32   `json:"leader"`
	ISR              []int32 `json:"isr"`
	Replicas         []int32 `json:"replicas"`
	AddingReplicas   []int32 `json:"addingReplicas"`
	RemovingReplicas []int32 `json:"removingReplicas"`
	ELR              []int32 `json:"elr"`
	LastKnownELR     []int32 `json:"lastKnownElr"`
}

// RemoveTopicRecord deletes a topic, its partitions and its config overrides.
type RemoveTopicRecord struct {
	TopicID TopicID `json:"topicId"`
}

// ConfigRecord sets one dynamic config key of a resource, or deletes it when
// Value is nil.
type ConfigRecord struct {
	ResourceType ConfigResourceType `json:"resourceType"`
	ResourceName string             `json:"resourceName"`
	Name         string             `json:"name"`
	Value        *string            `json:"value"`
}

// ClientQuotaRecord sets one quota key of an entity, or removes it.
type ClientQuotaRecord struct {
	Entity QuotaEntity `json:"entity"`
	Key    string      `json:"key"`
	Value  float64     `json:"value"`
	Remove bool        `json:"remove,omitempty"`
}

// ProducerIDsRecord records that the producer ids below NextProducerID have
// been handed out, the last block to BrokerID.
type ProducerIDsRecord struct {
	BrokerID       int32 `json:"brokerId"`
	BrokerEpoch    int64 `json:"brokerEpoch"`
	NextProducerID int64 `json:"nextProducerId"`
}

// FeatureLevelRecord sets a finalized feature level; level 0 removes it.
type FeatureLevelRecord struct {
	Name  string `json:"name"`
	Level int16  `json:"level"`
}

// NoOpRecord changes nothing. A new controller writes one when it takes
// over, so that applying it proves every earlier entry has been applied.
type NoOpRecord struct{}

// ClusterIDRecord sets the cluster id once; a different id later fails.
type ClusterIDRecord struct {
	ClusterID string `json:"clusterId"`
}

func (RegisterBrokerRecord) recordType() string   { return "RegisterBroker" }
func (UnregisterBrokerRecord) recordType() string { return "UnregisterBroker" }
func (FenceBrokerRecord) recordType() string      { return "FenceBroker" }
func (UnfenceBrokerRecord) recordType() string    { return "UnfenceBroker" }
func (TopicRecord) recordType() string            { return "Topic" }
func (PartitionRecord) recordType() string        { return "Partition" }
func (PartitionChangeRecord) recordType() string  { return "PartitionChange" }
func (RemoveTopicRecord) recordType() string      { return "RemoveTopic" }
func (ConfigRecord) recordType() string           { return "Config" }
func (ClientQuotaRecord) recordType() string      { return "ClientQuota" }
func (ProducerIDsRecord) recordType() string      { return "ProducerIDs" }
func (FeatureLevelRecord) recordType() string     { return "FeatureLevel" }
func (NoOpRecord) recordType() string             { return "NoOp" }
func (ClusterIDRecord) recordType() string        { return "ClusterID" }

// entryFormat is the first byte of every encoded entry.
const entryFormat byte = 1

// recordVersion is the version every record type is written with.
const recordVersion = 0

// recordDecoders maps a record type name to its decoder for version 0.
var recordDecoders = map[string]func([]byte) (Record, error){
	"RegisterBroker":   decodeRecord[RegisterBrokerRecord],
	"UnregisterBroker": decodeRecord[UnregisterBrokerRecord],
	"FenceBroker":      decodeRecord[FenceBrokerRecord],
	"UnfenceBroker":    decodeRecord[UnfenceBrokerRecord],
	"Topic":            decodeRecord[TopicRecord],
	"Partition":        decodeRecord[PartitionRecord],
	"PartitionChange":  decodeRecord[PartitionChangeRecord],
	"RemoveTopic":      decodeRecord[RemoveTopicRecord],
	"Config":           decodeRecord[ConfigRecord],
	"ClientQuota":      decodeRecord[ClientQuotaRecord],
	"ProducerIDs":      decodeRecord[ProducerIDsRecord],
	"FeatureLevel":     decodeRecord[FeatureLevelRecord],
	"NoOp":             decodeRecord[NoOpRecord],
	"ClusterID":        decodeRecord[ClusterIDRecord],
}

type envelope struct {
	Type    string          `json:"type"`
	Version int16           `json:"version"`
	Data    json.RawMessage `json:"data"`
}

// EncodeEntry encodes records as one metadata log entry.
func EncodeEntry(records ...Record) ([]byte, error) {
	if len(records) == 0 {
		return nil, errors.New("encode entry: no records")
	}
	envs := make([]envelope, len(records))
	for i, r := range records {
		if r == nil {
			return nil, fmt.Errorf("encode entry: record %d is nil", i)
		}
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode %s record: %w", r.recordType(), err)
		}
		envs[i] = envelope{Type: r.recordType(), Version: recordVersion, Data: data}
	}
	body, err := json.Marshal(envs)
	if err != nil {
		return nil, fmt.Errorf("encode entry: %w", err)
	}
	return append([]byte{entryFormat}, body...), nil
}

// DecodeEntry decodes a metadata log entry written by EncodeEntry. It rejects
// unknown formats, record types and versions, unknown fields and trailing data.
func DecodeEntry(b []byte) ([]Record, error) {
	if len(b) == 0 {
		return nil, errors.New("decode entry: empty")
	}
	if b[0] != entryFormat {
		return nil, fmt.Errorf("decode entry: unknown format %d", b[0])
	}
	var envs []envelope
	if err := controllerrpc.DecodeStrict(b[1:], &envs); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	if len(envs) == 0 {
		return nil, errors.New("decode entry: no records")
	}
	out := make([]Record, len(envs))
	for i, env := range envs {
		dec, ok := recordDecoders[env.Type]
		if !ok {
			return nil, fmt.Errorf("decode entry: record %d: unknown type %q", i, env.Type)
		}
		if env.Version != recordVersion {
			return nil, fmt.Errorf("decode entry: record %d: unknown %s version %d", i, env.Type, env.Version)
		}
		if len(env.Data) == 0 {
			return nil, fmt.Errorf("decode entry: record %d: %s has no data", i, env.Type)
		}
		r, err := dec(env.Data)
		if err != nil {
			return nil, fmt.Errorf("decode entry: record %d: %s: %w", i, env.Type, err)
		}
		out[i] = r
	}
	return out, nil
}

func decodeRecord[T Record](data []byte) (Record, error) {
	var r T
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil, errors.New("data is null")
	}
	if err := controllerrpc.DecodeStrict(data, &r); err != nil {
		return nil, err
	}
	return r, nil
}
