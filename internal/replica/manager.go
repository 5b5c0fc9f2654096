package replica

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Config configures a Manager. Zero durations and sizes take Kafka's
// defaults.
type Config struct {
	NodeID int32
	Logs   *log.Manager
	// LogConfig returns the effective log config of a topic (overrides
	// over broker defaults), used when creating its logs.
	LogConfig func(img *metadata.Image, topic string) log.Config
	// MinInsyncReplicas returns min.insync.replicas for a topic.
	MinInsyncReplicas func(img *metadata.Image, topic string) int
	Logger            *slog.Logger

	// Controller takes this broker's ISR changes as partition leader
	// (AlterPartition). Nil: ISRs never change from this broker, so a
	// follower that stops fetching holds the high watermark back.
	Controller ISRController
	// InterBrokerListener is inter.broker.listener.name: the listener of
	// the leader that followers connect to. "" means PLAINTEXT, or the
	// leader's first listener when it has no PLAINTEXT one.
	InterBrokerListener string
	// Dial opens connections to leaders; nil uses a net.Dialer. Only
	// PLAINTEXT listeners are spoken without it.
	Dial DialFunc

	ReplicaFetchWaitMax          time.Duration // replica.fetch.wait.max.ms, 500 ms
	ReplicaFetchMinBytes         int32         // replica.fetch.min.bytes, 1
	ReplicaFetchMaxBytes         int32         // replica.fetch.max.bytes, 1 MiB per partition
	ReplicaFetchResponseMaxBytes int32         // replica.fetch.response.max.bytes, 10 MiB
	ReplicaFetchBackoff          time.Duration // replica.fetch.backoff.ms, 1 s; also AlterPartition retries
	ReplicaSocketTimeout         time.Duration // replica.socket.timeout.ms, 30 s
	ReplicaLagTimeMax            time.Duration // replica.lag.time.max.ms, 30 s

	// Now is the clock for follower lag; nil is time.Now.
	Now func() time.Time
}

func (c *Config) withDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReplicaFetchWaitMax, 500*time.Millisecond)
	def(&c.ReplicaFetchBackoff, time.Second)
	def(&c.ReplicaSocketTimeout, 30*time.Second)
	def(&c.ReplicaLagTimeMax, 30*time.Second)
	if c.ReplicaFetchMinBytes <= 0 {
		c.ReplicaFetchMinBytes = 1
	}
	if c.ReplicaFetchMaxBytes <= 0 {
		c.ReplicaFetchMaxBytes = 1 << 20
	}
	if c.ReplicaFetchResponseMaxBytes <= 0 {
		c.ReplicaFetchResponseMaxBytes = 10 << 20
	}
}

// Manager keeps a Partition for every partition replica assigned to this
// broker, following the metadata images it is given: it leads, follows
// (one fetcher goroutine per source broker) and changes ISRs as leader (one
// goroutine). Goroutines start when first needed, so a single broker runs
// none; Close stops them all.
type Manager struct {
	cfg Config
	log *slog.Logger
	// plainDial is set when Config.Dial was nil: connections are plain
	// TCP, so only PLAINTEXT listeners can be fetched from.
	plainDial bool
	img       atomic.Pointer[metadata.Image]

	// applyMu serializes Apply and DeleteStrays, so that stray logs are
	// judged against the partitions Apply has set up and never deleted
	// while Apply hosts them.
	applyMu sync.Mutex

	mu    sync.RWMutex
	parts map[TopicPartition]*Partition
	ids   map[string][16]byte // topic name -> id of the hosted incarnation

	hooks *partitionHooks

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// fetchMu guards fetchers, isrStarted and closed.
	fetchMu    sync.Mutex
	fetchers   map[int32]*fetcher // by source broker
	isrStarted bool
	closed     bool

	alterMu    sync.Mutex
	alterQueue map[*Partition]struct{}
	alterKick  chan struct{}
}

// NewManager returns a manager with no partitions; Apply adds them.
func NewManager(cfg Config) *Manager {
	plain := cfg.Dial == nil
	cfg.withDefaults()
	m := &Manager{cfg: cfg, log: cfg.Logger, plainDial: plain, parts: map[TopicPartition]*Partition{}, ids: map[string][16]byte{},
		fetchers: map[int32]*fetcher{}, alterQueue: map[*Partition]struct{}{}, alterKick: make(chan struct{}, 1)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.hooks = &partitionHooks{proposeISR: m.proposeISR, eligible: m.eligibleForISR}
	return m
}

func (m *Manager) image() *metadata.Image { return m.img.Load() }

func (m *Manager) now() time.Time { return m.cfg.Now() }

func (m *Manager) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return m.cfg.Dial(ctx, network, addr)
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
// followers fetch from their leaders, and logs of deleted topics (or of an
// older incarnation of a re-created topic, or of a replica moved to other
// brokers) are deleted. It is called from the metadata apply goroutine with
// each new image, so it only does local work: fetchers and the ISR
// goroutine are started and stopped without waiting for them. An image
// older (by metadata log index) than one already applied is ignored: a
// caller that applies the image it subscribed with can race the first
// image its subscription delivers, and going back would restore old
// leaders and epochs.
func (m *Manager) Apply(img *metadata.Image) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	if cur := m.image(); cur != nil && img.Index < cur.Index {
		m.log.Debug("ignoring an older metadata image", "index", img.Index, "applied_index", cur.Index)
		return nil
	}
	m.img.Store(img)
	var errs []error
	wanted := map[TopicPartition]bool{}
	follow := map[TopicPartition]fetchTarget{}
	leadsReplicated := false
	for name, t := range img.Topics {
		// The topic's min.insync.replicas and log config are resolved once
		// per topic and image, not per partition.
		minISR := -1
		var logCfg *log.Config
		topicLogConfig := func() log.Config {
			if logCfg == nil {
				c := log.DefaultConfig()
				if m.cfg.LogConfig != nil {
					c = m.cfg.LogConfig(img, name)
				}
				logCfg = &c
			}
			return *logCfg
		}
		for _, p := range t.Partitions {
			if !slices.Contains(p.Replicas, m.cfg.NodeID) {
				continue
			}
			tp := TopicPartition{name, p.ID}
			wanted[tp] = true
			part, err := m.ensure(t, p.ID, topicLogConfig)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if minISR < 0 {
				minISR = 1
				if m.cfg.MinInsyncReplicas != nil {
					minISR = m.cfg.MinInsyncReplicas(img, name)
				}
			}
			if err := part.update(assignment{leader: p.Leader, leaderEpoch: p.LeaderEpoch, partitionEpoch: p.PartitionEpoch,
				replicas: p.Replicas, isr: p.ISR, minISR: minISR}); err != nil {
				errs = append(errs, fmt.Errorf("partition %s-%d: %w", name, p.ID, err))
			}
			switch {
			case p.Leader == m.cfg.NodeID:
				leadsReplicated = leadsReplicated || len(p.Replicas) > 1
			case p.Leader >= 0 && liveBroker(img, p.Leader):
				follow[tp] = fetchTarget{source: p.Leader, part: part}
			}
		}
	}
	m.mu.Lock()
	var gone []*Partition
	for tp, p := range m.parts {
		if !wanted[tp] {
			gone = append(gone, p)
			delete(m.parts, tp)
			// Callers holding the partition (fetch sessions) look it up
			// again from now on, before it is retired below.
			p.retired.Store(true)
		}
	}
	for name := range m.ids {
		if img.Topics[name] == nil {
			delete(m.ids, name)
		}
	}
	m.mu.Unlock()
	m.reconcileFetchers(follow, leadsReplicated)
	for _, p := range gone {
		p.retire()
		if err := m.cfg.Logs.Delete(p.Topic, p.Index); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("apply metadata: %v", errs)
	}
	return nil
}

func liveBroker(img *metadata.Image, id int32) bool {
	b := img.Brokers[id]
	return b != nil && !b.Fenced
}

// fetchTarget is where a followed partition fetches from.
type fetchTarget struct {
	source int32
	part   *Partition
}

// reconcileFetchers makes the fetchers fetch exactly the partitions in
// follow, each from its leader, starting fetchers for new source brokers
// and stopping those left without partitions. With leads set it also
// starts the ISR goroutine if it is not running.
func (m *Manager) reconcileFetchers(follow map[TopicPartition]fetchTarget, leads bool) {
	m.fetchMu.Lock()
	defer m.fetchMu.Unlock()
	if m.closed {
		return
	}
	for src, f := range m.fetchers {
		f.mu.Lock()
		for tp, fp := range f.parts {
			if want, ok := follow[tp]; !ok || want.source != src || want.part != fp.part {
				delete(f.parts, tp)
			}
		}
		f.mu.Unlock()
	}
	for tp, want := range follow {
		f := m.fetchers[want.source]
		if f == nil {
			f = newFetcher(m, want.source)
			m.fetchers[want.source] = f
			m.start(f)
		}
		f.add(tp, want.part)
	}
	for src, f := range m.fetchers {
		if f.empty() {
			f.cancel()
			delete(m.fetchers, src)
		}
	}
	if (leads || len(follow) > 0) && !m.isrStarted {
		// Followers need it too: one that becomes leader must be able to
		// change the ISR without waiting for another image.
		m.isrStarted = true
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.runISR(m.ctx)
		}()
	}
}

// start runs f until it is cancelled or the manager closes. Caller holds
// fetchMu.
func (m *Manager) start(f *fetcher) {
	ctx, cancel := context.WithCancel(m.ctx)
	f.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		f.run(ctx)
	}()
}

// Close stops every fetcher and the ISR goroutine and waits for them.
// Partitions and logs stay as they are; the broker closes the logs after.
func (m *Manager) Close() error {
	m.fetchMu.Lock()
	m.closed = true
	m.fetchers = map[int32]*fetcher{}
	m.fetchMu.Unlock()
	m.cancel()
	m.wg.Wait()
	return nil
}

// ensure returns the hosted partition, creating its log with the config
// logConfig returns if needed. A log left from an older topic with the
// same name (another topic id) is deleted first.
func (m *Manager) ensure(t *metadata.Topic, index int32, logConfig func() log.Config) (*Partition, error) {
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
		p.retire()
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
	cfg := logConfig()
	l, err := m.cfg.Logs.GetOrCreate(t.Name, index, t.ID, cfg)
	if err != nil {
		return nil, fmt.Errorf("open log %s-%d: %w", t.Name, index, err)
	}
	if err := l.SetConfig(cfg); err != nil {
		return nil, err
	}
	p = newPartition(t.Name, index, t.ID, m.cfg.NodeID, l, m.cfg.Now, m.hooks)
	m.mu.Lock()
	m.parts[tp] = p
	m.ids[t.Name] = t.ID
	m.mu.Unlock()
	return p, nil
}

// DeleteStrays deletes logs on disk that belong to no partition this broker
// hosts in img: topics deleted while the broker was down. Call it once the
// metadata has caught up (in Kafka, once the broker has replayed the
// metadata log up to where it was when the broker registered): with an
// image from before a topic was created, that topic's logs look stray.
// If Apply has seen a newer image than img, that one is used instead, and
// a log that a hosted partition uses is never deleted.
func (m *Manager) DeleteStrays(img *metadata.Image) {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	if cur := m.image(); cur != nil && cur.Index > img.Index {
		img = cur
	}
	for _, l := range m.cfg.Logs.Logs() {
		if p, ok := m.Get(l.Topic(), l.Partition()); ok && p.log == l {
			continue
		}
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
