package metadata

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/kafkakit/kafkakit/internal/controllerrpc"
)

// snapshotFormat is the first byte of an encoded image.
const snapshotFormat byte = 1

// snapshotTermFormat is the first byte of a raft snapshot that carries the
// term of its last entry: the byte, the term as 8 big-endian bytes, then
// an encoded image. Snapshots that start with snapshotFormat are a bare
// image (term unknown, 0).
const snapshotTermFormat byte = 2

// encodeSnapshot encodes the content of a raft snapshot.
func encodeSnapshot(img *Image, term uint64) ([]byte, error) {
	b, err := EncodeImage(img)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 9, 9+len(b))
	out[0] = snapshotTermFormat
	binary.BigEndian.PutUint64(out[1:], term)
	return append(out, b...), nil
}

// decodeSnapshot decodes what encodeSnapshot wrote, or a bare image.
func decodeSnapshot(b []byte) (*Image, uint64, error) {
	if len(b) > 0 && b[0] == snapshotTermFormat {
		if len(b) < 9 {
			return nil, 0, errors.New("decode snapshot: truncated term")
		}
		img, err := DecodeImage(b[9:])
		if err != nil {
			return nil, 0, err
		}
		return img, binary.BigEndian.Uint64(b[1:9]), nil
	}
	img, err := DecodeImage(b)
	return img, 0, err
}

// snapshotData is the encoded form of a whole Image. Every collection is a
// list in a fixed order, so equal images encode to equal bytes; tests use
// that to compare the images of different nodes.
type snapshotData struct {
	Index          uint64           `json:"index"`
	ClusterID      string           `json:"clusterId"`
	Brokers        []*Broker        `json:"brokers"`
	Topics         []*Topic         `json:"topics"`
	Configs        []snapshotConfig `json:"configs"`
	ClientQuotas   []snapshotQuota  `json:"clientQuotas"`
	NextProducerID int64            `json:"nextProducerId"`
	Features       map[string]int16 `json:"features"`
}

type snapshotConfig struct {
	Resource ConfigResource    `json:"resource"`
	Configs  map[string]string `json:"configs"`
}

type snapshotQuota struct {
	Entity QuotaEntity        `json:"entity"`
	Quotas map[string]float64 `json:"quotas"`
}

// EncodeImage encodes the whole image: a format byte then JSON. Snapshots of
// the metadata log and image comparisons use it.
func EncodeImage(img *Image) ([]byte, error) {
	d := snapshotData{
		Index:          img.Index,
		ClusterID:      img.ClusterID,
		Brokers:        img.SortedBrokers(),
		Topics:         img.SortedTopics(),
		NextProducerID: img.NextProducerID,
		Features:       img.Features,
	}
	for res, m := range img.Configs {
		d.Configs = append(d.Configs, snapshotConfig{Resource: res, Configs: m})
	}
	slices.SortFunc(d.Configs, func(a, b snapshotConfig) int {
		return cmp.Or(cmp.Compare(a.Resource.Type, b.Resource.Type), cmp.Compare(a.Resource.Name, b.Resource.Name))
	})
	for e, m := range img.ClientQuotas {
		d.ClientQuotas = append(d.ClientQuotas, snapshotQuota{Entity: e, Quotas: m})
	}
	slices.SortFunc(d.ClientQuotas, func(a, b snapshotQuota) int { return compareEntity(a.Entity, b.Entity) })
	body, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode image: %w", err)
	}
	return append([]byte{snapshotFormat}, body...), nil
}

func compareEntity(a, b QuotaEntity) int {
	return cmp.Or(compareEntityName(a.User, b.User), compareEntityName(a.ClientID, b.ClientID), compareEntityName(a.IP, b.IP))
}

func compareEntityName(a, b EntityName) int {
	bit := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return cmp.Or(cmp.Compare(bit(a.Present), bit(b.Present)), cmp.Compare(bit(a.Default), bit(b.Default)), cmp.Compare(a.Name, b.Name))
}

// DecodeImage decodes an image written by EncodeImage and checks the
// invariants the state machine keeps, so a damaged snapshot is refused
// instead of installed.
func DecodeImage(b []byte) (*Image, error) {
	if len(b) == 0 {
		return nil, errors.New("decode image: empty")
	}
	if b[0] != snapshotFormat {
		return nil, fmt.Errorf("decode image: unknown format %d", b[0])
	}
	var d snapshotData
	if err := controllerrpc.DecodeStrict(b[1:], &d); err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	img := emptyImage()
	img.Index = d.Index
	img.ClusterID = d.ClusterID
	img.NextProducerID = d.NextProducerID
	for _, br := range d.Brokers {
		if br == nil || br.ID < 0 {
			return nil, errors.New("decode image: invalid broker")
		}
		if img.Brokers[br.ID] != nil {
			return nil, fmt.Errorf("decode image: broker %d appears twice", br.ID)
		}
		img.Brokers[br.ID] = br
	}
	for _, t := range d.Topics {
		if err := restoreTopic(img, t); err != nil {
			return nil, fmt.Errorf("decode image: %w", err)
		}
	}
	for _, c := range d.Configs {
		if err := validConfigResource(c.Resource); err != nil {
			return nil, fmt.Errorf("decode image: %w", err)
		}
		if c.Resource.Type == ConfigTopic && img.Topics[c.Resource.Name] == nil {
			return nil, fmt.Errorf("decode image: configs for missing topic %q", c.Resource.Name)
		}
		if _, dup := img.Configs[c.Resource]; dup || len(c.Configs) == 0 {
			return nil, fmt.Errorf("decode image: invalid configs of %v", c.Resource)
		}
		img.Configs[c.Resource] = c.Configs
	}
	for _, q := range d.ClientQuotas {
		e := q.Entity
		if !e.User.Present && !e.ClientID.Present && !e.IP.Present {
			return nil, errors.New("decode image: empty quota entity")
		}
		if _, dup := img.ClientQuotas[e]; dup || len(q.Quotas) == 0 {
			return nil, errors.New("decode image: invalid quota entity")
		}
		img.ClientQuotas[e] = q.Quotas
	}
	for name, level := range d.Features {
		if name == "" || level <= 0 {
			return nil, fmt.Errorf("decode image: invalid feature %q=%d", name, level)
		}
		img.Features[name] = level
	}
	return img, nil
}

func restoreTopic(img *Image, t *Topic) error {
	if t == nil {
		return errors.New("null topic")
	}
	if err := validateTopicName(t.Name); err != nil {
		return err
	}
	if t.ID.IsZero() || img.Topics[t.Name] != nil || img.TopicsByID[t.ID] != nil {
		return fmt.Errorf("topic %q or its id %s appears twice", t.Name, t.ID)
	}
	t.Internal = isInternalTopic(t.Name)
	for i, p := range t.Partitions {
		if p == nil || p.ID != int32(i) {
			return fmt.Errorf("topic %s: partition %d missing", t.Name, i)
		}
		p.Topic = t.Name
		if p.LeaderEpoch < 0 || p.PartitionEpoch < 0 {
			return fmt.Errorf("topic %s: partition %d has negative epochs", t.Name, i)
		}
		if err := validatePartition(p); err != nil {
			return err
		}
	}
	img.Topics[t.Name] = t
	img.TopicsByID[t.ID] = t
	return nil
}

func validConfigResource(res ConfigResource) error {
	switch res.Type {
	case ConfigTopic:
		return validateTopicName(res.Name)
	case ConfigBroker:
		if res.Name == "" {
			return nil
		}
		if _, err := strconv.ParseInt(res.Name, 10, 32); err != nil {
			return fmt.Errorf("invalid broker resource name %q", res.Name)
		}
		return nil
	}
	return fmt.Errorf("unknown config resource type %d", res.Type)
}
