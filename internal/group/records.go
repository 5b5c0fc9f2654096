package group

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Key versions of __consumer_offsets records. The key version is the record
// type: 0 and 1 are offset commits, 2 is group metadata; 3 and above belong
// to the KIP-848 consumer groups and share groups, which the classic
// coordinator skips when loading, as Kafka 3.9's does.
const (
	keyOffsetCommitV0  int16 = 0
	keyOffsetCommit    int16 = 1 // the version Kafka writes
	keyGroupMetadata   int16 = 2
	maxOffsetValueVer  int16 = 4
	maxGroupValueVer   int16 = 4
	offsetValueVersion int16 = 3 // Kafka 3.9's choice for ordinary commits
	offsetValueExpire  int16 = 1 // the only version with an expire timestamp
	groupValueVersion  int16 = 3 // Kafka 3.9's choice (IBP >= 2.3)
)

// errBadRecord marks a __consumer_offsets record that cannot be decoded.
var errBadRecord = errors.New("malformed __consumer_offsets record")

// kv is one record to write; a nil value is a tombstone.
type kv struct {
	key, value []byte
}

// encodeBatch builds the uncompressed magic v2 batch the coordinator appends:
// CreateTime with one timestamp for every record, no producer, base offset 0
// (the log assigns offsets), as Kafka's coordinator builds its batches with
// offsets.topic.compression.codec left at none.
func encodeBatch(timestampMs int64, recs []kv) ([]byte, error) {
	b := record.NewBuilder(record.CodecNone)
	for _, r := range recs {
		b.Add(record.Record{Timestamp: timestampMs, Key: r.key, Value: r.value})
	}
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("encode __consumer_offsets batch: %w", err)
	}
	return out, nil
}

func offsetKey(group string, tp topicPartition) []byte {
	k := kmsg.NewOffsetCommitKey()
	k.Version = keyOffsetCommit
	k.Group = group
	k.Topic = tp.topic
	k.Partition = tp.partition
	return k.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.NewGroupMetadataKey()
	k.Version = keyGroupMetadata
	k.Group = group
	return k.AppendTo(nil)
}

// offsetValue encodes a commit as Kafka 3.9 does: OffsetCommitValue v3, or
// v1 when the commit carries an explicit expire timestamp.
func offsetValue(e offsetEntry) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVersion
	if e.expireTimestamp != -1 {
		v.Version = offsetValueExpire
		v.ExpireTimestamp = e.expireTimestamp
	}
	v.Offset = e.offset
	v.LeaderEpoch = e.leaderEpoch
	v.Metadata = e.metadata
	v.CommitTimestamp = e.commitTimestamp
	return v.AppendTo(nil)
}

// groupMetadataBatch encodes the group's metadata record (GroupMetadataValue
// v3) with the given assignment for each member. g.mu must be held.
func (c *Coordinator) groupMetadataBatch(g *group, assignment map[string][]byte) ([]byte, error) {
	value, err := groupValue(g, assignment)
	if err != nil {
		return nil, err
	}
	return encodeBatch(c.nowMs(), []kv{{key: groupKey(g.id), value: value}})
}

func groupValue(g *group, assignment map[string][]byte) ([]byte, error) {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	v.Protocol = g.protocolName
	v.Leader = optString(g.leaderID)
	v.CurrentStateTimestamp = g.stateTimestamp
	if len(g.order) > 0 && g.protocolName == nil {
		return nil, fmt.Errorf("group %q has members but no protocol", g.id)
	}
	for _, m := range g.order {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		vm.InstanceID = m.instanceID
		vm.ClientID = m.clientID
		vm.ClientHost = m.clientHost
		vm.RebalanceTimeoutMillis = m.rebalanceTimeout
		vm.SessionTimeoutMillis = m.sessionTimeout
		vm.Subscription = m.metadata(*g.protocolName)
		if vm.Subscription == nil {
			vm.Subscription = []byte{}
		}
		a, ok := assignment[m.id]
		if !ok {
			a = m.assignment
		}
		if a == nil {
			a = []byte{}
		}
		vm.Assignment = a
		v.Members = append(v.Members, vm)
	}
	return v.AppendTo(nil), nil
}

// recordKey is a decoded __consumer_offsets key.
type recordKey struct {
	version int16
	group   string
	tp      topicPartition // offset commit keys only
}

func (k recordKey) isOffset() bool {
	return k.version == keyOffsetCommitV0 || k.version == keyOffsetCommit
}
func (k recordKey) isGroup() bool { return k.version == keyGroupMetadata }

// decodeKey decodes a record key. Keys of other record types come back with
// only their version set.
func decodeKey(b []byte) (recordKey, error) {
	if len(b) < 2 {
		return recordKey{}, fmt.Errorf("%w: key of %d bytes", errBadRecord, len(b))
	}
	version := int16(binary.BigEndian.Uint16(b))
	switch version {
	case keyOffsetCommitV0, keyOffsetCommit:
		k := kmsg.NewOffsetCommitKey()
		if err := k.ReadFrom(b); err != nil {
			return recordKey{}, fmt.Errorf("%w: offset commit key: %v", errBadRecord, err)
		}
		return recordKey{version: version, group: k.Group, tp: topicPartition{k.Topic, k.Partition}}, nil
	case keyGroupMetadata:
		k := kmsg.NewGroupMetadataKey()
		if err := k.ReadFrom(b); err != nil {
			return recordKey{}, fmt.Errorf("%w: group metadata key: %v", errBadRecord, err)
		}
		return recordKey{version: version, group: k.Group}, nil
	}
	return recordKey{version: version}, nil
}

// decodeOffsetValue decodes an OffsetCommitValue of any version Kafka has
// defined (0-4).
func decodeOffsetValue(b []byte) (offsetEntry, error) {
	if len(b) < 2 {
		return offsetEntry{}, fmt.Errorf("%w: offset commit value of %d bytes", errBadRecord, len(b))
	}
	version := int16(binary.BigEndian.Uint16(b))
	if version < 0 || version > maxOffsetValueVer {
		return offsetEntry{}, fmt.Errorf("%w: unknown offset commit value version %d", errBadRecord, version)
	}
	v := kmsg.NewOffsetCommitValue()
	if err := v.ReadFrom(b); err != nil {
		return offsetEntry{}, fmt.Errorf("%w: offset commit value v%d: %v", errBadRecord, version, err)
	}
	e := offsetEntry{
		offset:          v.Offset,
		leaderEpoch:     -1,
		metadata:        v.Metadata,
		commitTimestamp: v.CommitTimestamp,
		expireTimestamp: -1,
	}
	if version >= 3 {
		e.leaderEpoch = v.LeaderEpoch
	}
	if version == 1 && v.ExpireTimestamp != -1 {
		e.expireTimestamp = v.ExpireTimestamp
	}
	return e, nil
}

// decodeGroupValue rebuilds a group from its GroupMetadataValue (versions
// 0-4), as Kafka's readGroupMessageValue: Stable with its members if it has
// any, else Empty; each member supports exactly the group's protocol.
func decodeGroupValue(id string, partition int32, b []byte) (*group, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: group metadata value of %d bytes", errBadRecord, len(b))
	}
	version := int16(binary.BigEndian.Uint16(b))
	if version < 0 || version > maxGroupValueVer {
		return nil, fmt.Errorf("%w: unknown group metadata value version %d", errBadRecord, version)
	}
	v := kmsg.NewGroupMetadataValue()
	if err := v.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("%w: group metadata value v%d: %v", errBadRecord, version, err)
	}
	if len(v.Members) > 0 && v.Protocol == nil {
		return nil, fmt.Errorf("%w: group %q has %d members but no protocol", errBadRecord, id, len(v.Members))
	}
	g := newGroup(id, partition, -1)
	g.generation = v.Generation
	g.protocolType = v.ProtocolType
	g.protocolName = v.Protocol
	if version >= 2 {
		g.stateTimestamp = v.CurrentStateTimestamp
	}
	if len(v.Members) > 0 {
		g.state = stateStable
	}
	for _, vm := range v.Members {
		if g.has(vm.MemberID) {
			return nil, fmt.Errorf("%w: group %q lists member %q twice", errBadRecord, id, vm.MemberID)
		}
		if vm.InstanceID != nil {
			if _, dup := g.staticMembers[*vm.InstanceID]; dup {
				return nil, fmt.Errorf("%w: group %q lists instance %q twice", errBadRecord, id, *vm.InstanceID)
			}
		}
		m := &member{
			id:               vm.MemberID,
			instanceID:       vm.InstanceID,
			clientID:         vm.ClientID,
			clientHost:       vm.ClientHost,
			rebalanceTimeout: vm.RebalanceTimeoutMillis,
			sessionTimeout:   vm.SessionTimeoutMillis,
			protocolType:     v.ProtocolType,
			// Decoded bytes alias the replayed batch, which Storage may reuse.
			protocols:  []protocol{{name: *v.Protocol, metadata: bytes.Clone(vm.Subscription)}},
			assignment: bytes.Clone(vm.Assignment),
		}
		if version == 0 {
			m.rebalanceTimeout = m.sessionTimeout
		}
		g.add(m, nil)
	}
	// The recorded leader wins over the first member add picked.
	if v.Leader != nil {
		g.leaderID = *v.Leader
	}
	g.computeSubscribedTopics()
	return g, nil
}
