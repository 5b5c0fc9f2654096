package replica

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Config configures a Manager.
type Config struct {
	NodeID int32
	Logs   *log.Manager
	// LogConfig returns the effective log config of a topic (overrides
	// over broker defaults), used when creating its logs.
	LogConfig func(img *metadata.Image, topic string) log.Config
	// MinInsyncReplicas returns min.insync.replicas for a topic.
	MinInsyncReplicas func(img *metadata.Image, topic string) int
	Logger            *slog.Logger
}

// Manager keeps a Partition for every partition replica assigned to this
// broker, following the metadata images it is given.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu    sync.RWMutex
	parts map[TopicPartition]*Partition
	ids   map[string][16]byte // topic name -> id of the hosted incarnation
}

// NewManager returns a manager with no partitions; Apply adds them.
func NewManager(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, log: cfg.Logger, parts: map[TopicPartition]*Partition{}, ids: map[string][16]byte{}}
}

// Get returns the hosted partition, if any.
func (m *Manager) Get(topic string, partition int32) (*Partition, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.parts[TopicPartition{topic, partition}]
	return p, ok
}

// Partitions returns every hosted partition.
func (m *Manager) Partitions() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.parts))
	for _, p := range m.parts {
		out = append(out, p)
	}
	return out
}

// Apply brings the hosted partitions in line with img: logs are created for
// new replicas assigned to this broker, leadership and ISR follow the image,
// and logs of deleted topics (or of an older incarnation of a re-created
// topic) are deleted. It is called from the metadata apply goroutine with
// each new image, so it only does local work.
func (m *Manager) Apply(img *metadata.Image) error {
	var errs []error
	wanted := map[TopicPartition]bool{}
	for name, t := range img.Topics {
		for _, p := range t.Partitions {
			if !slices.Contains(p.Replicas, m.cfg.NodeID) {
				continue
			}
			tp := TopicPartition{name, p.ID}
			wanted[tp] = true
			part, err := m.ensure(img, t, p.ID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			minISR := 1
			if m.cfg.MinInsyncReplicas != nil {
				minISR = m.cfg.MinInsyncReplicas(img, name)
			}
			if err := part.update(p.Leader, p.LeaderEpoch, p.Replicas, p.ISR, minISR); err != nil {
				errs = append(errs, fmt.Errorf("partition %s-%d: %w", name, p.ID, err))
			}
		}
	}
	m.mu.Lock()
	var gone []*Partition
	for tp, p := range m.parts {
		if !wanted[tp] {
			gone = append(gone, p)
			delete(m.parts, tp)
		}
	}
	for name := range m.ids {
		if img.Topics[name] == nil {
			delete(m.ids, name)
		}
	}
	m.mu.Unlock()
	for _, p := range gone {
		p.update(-1, p.LeaderEpoch(), nil, nil, 1)
		if err := m.cfg.Logs.Delete(p.Topic, p.Index); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("apply metadata: %v", errs)
	}
	return nil
}

// ensure returns the hosted partition, creating its log if needed. A log
// left from an older topic with the same name (another topic id) is
// deleted first.
func (m *Manager) ensure(img *metadata.Image, t *metadata.Topic, index int32) (*Partition, error) {
	tp := TopicPartition{t.Name, index}
	m.mu.RLock()
	p, ok := m.parts[tp]
	m.mu.RUnlock()
	if ok && p.TopicID == t.ID {
		return p, nil
	}
	if ok {
		// Same name, new topic: the old incarnation's data goes.
		m.mu.Lock()
		delete(m.parts, tp)
		m.mu.Unlock()
		if err := m.cfg.Logs.Delete(t.Name, index); err != nil {
			return nil, err
		}
	}
	if l, exists := m.cfg.Logs.Get(t.Name, index); exists && l.TopicID() != ([16]byte{}) && l.TopicID() != t.ID {
		m.log.Info("deleting log of a previous topic with the same name", "topic", t.Name, "partition", index)
		if err := m.cfg.Logs.Delete(t.Name, index); err != nil {
			return nil, err
		}
	}
	cfg := log.DefaultConfig()
	if m.cfg.LogConfig != nil {
		cfg = m.cfg.LogConfig(img, t.Name)
	}
	l, err := m.cfg.Logs.GetOrCreate(t.Name, index, t.ID, cfg)
	if err != nil {
		return nil, fmt.Errorf("open log %s-%d: %w", t.Name, index, err)
	}
	if err := l.SetConfig(cfg); err != nil {
		return nil, err
	}
	p = newPartition(t.Name, index, t.ID, m.cfg.NodeID, l)
	m.mu.Lock()
	m.parts[tp] = p
	m.ids[t.Name] = t.ID
	m.mu.Unlock()
	return p, nil
}

// DeleteStrays deletes logs on disk that belong to no partition this broker
// hosts in img: topics deleted while the broker was down. Call it once the
// metadata has caught up.
func (m *Manager) DeleteStrays(img *metadata.Image) {
	for _, l := range m.cfg.Logs.Logs() {
		t := img.Topics[l.Topic()]
		keep := t != nil && int(l.Partition()) < len(t.Partitions) &&
			slices.Contains(t.Partitions[l.Partition()].Replicas, m.cfg.NodeID) &&
			(l.TopicID() == [16]byte{} || l.TopicID() == t.ID)
		if !keep {
			m.log.Info("deleting stray partition log", "topic", l.Topic(), "partition", l.Partition())
			if err := m.cfg.Logs.Delete(l.Topic(), l.Partition()); err != nil {
				m.log.Warn("deleting stray log failed", "topic", l.Topic(), "partition", l.Partition(), "err", err)
			}
		}
	}
}

// UpdateConfigs re-applies topic configs to every hosted log (after a
// dynamic config change).
func (m *Manager) UpdateConfigs(img *metadata.Image) {
	if m.cfg.LogConfig == nil {
		return
	}
	for _, p := range m.Partitions() {
		if err := p.log.SetConfig(m.cfg.LogConfig(img, p.Topic)); err != nil {
			m.log.Warn("applying topic config failed", "topic", p.Topic, "partition", p.Index, "err", err)
		}
	}
}
