// Package broker assembles a kafka-server node from the engine packages:
// it parses the configuration, opens the log directories and the metadata
// quorum, registers the broker, follows metadata images with the replica
// manager, and serves clients through internal/server. It owns start-up
// order and clean shutdown; cmd/kafka-server is a thin wrapper over it.
package broker

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/config"
	"github.com/kafkakit/kafkakit/internal/group"
	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/replica"
	"github.com/kafkakit/kafkakit/internal/server"
)

// EmbeddedDefaults are the properties a broker started without a
// properties file runs with: a single node that is its own controller,
// listening on localhost:9092 with its data in /tmp/kafka-logs.
var EmbeddedDefaults = []string{
	"node.id=1",
	"process.roles=broker,controller",
	"listeners=PLAINTEXT://localhost:9092",
	"log.dirs=/tmp/kafka-logs",
	"num.partitions=1",
	"auto.create.topics.enable=true",
	// A single broker cannot hold three replicas of the internal topics;
	// Kafka's own single-node example configs set these to 1 as well.
	"offsets.topic.replication.factor=1",
	"transaction.state.log.replication.factor=1",
}

// Options say how to start a broker.
type Options struct {
	// PropertiesFile is server.properties; "" uses EmbeddedDefaults.
	PropertiesFile string
	// Overrides are --override key=value pairs, applied last.
	Overrides []string
	// LogHandler receives every log record the broker keeps, at LogLevel
	// and above; levels change at run time per logger (broker-loggers).
	// The handler itself should accept everything (TRACE and up).
	LogHandler slog.Handler
	LogLevel   slog.Level
	// Logger is an alternative to LogHandler: its handler is used as is.
	Logger *slog.Logger
}

// Broker is a running kafka-server node.
type Broker struct {
	logger  *slog.Logger
	loggers *Loggers
	layers  atomic.Pointer[config.Layers]
	static  config.Layers
	nodeID  int32

	logs      *log.Manager
	meta      *metadata.Node
	replicas  *replica.Manager
	groups    *group.Coordinator
	lifecycle *metadata.BrokerLifecycle
	isBroker  bool
	srv       *server.Server

	coordMu     sync.Mutex
	coordLoaded map[int32]int32 // __consumer_offsets partition -> leader epoch loaded

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
	unsub  func()

	closeOnce sync.Once
	closeErr  error
}

// Start starts a broker and returns once it serves clients.
func Start(opts Options) (*Broker, error) {
	b, err := start(opts)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func start(opts Options) (b *Broker, err error) {
	handler, level := opts.LogHandler, opts.LogLevel
	if handler == nil {
		handler, level = slog.DiscardHandler, slog.LevelInfo
		if opts.Logger != nil {
			handler, level = opts.Logger.Handler(), slog.LevelDebug-4
		}
	}
	loggers := newLoggers(handler, level)
	logger := loggers.Logger(serverLogger)
	overrides := opts.Overrides
	if opts.PropertiesFile == "" {
		overrides = append(append([]string{}, EmbeddedDefaults...), overrides...)
	}
	static, warnings, err := config.ParseServerProperties(opts.PropertiesFile, overrides)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		logger.Warn("ignoring config", "warning", w.String())
	}
	b = &Broker{logger: logger, loggers: loggers, static: static, nodeID: static.NodeID(), coordLoaded: map[int32]int32{}}
	b.layers.Store(&static)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil && b != nil {
			b.abort()
		}
	}()
	start := time.Now()

	listeners, err := static.Listeners()
	if err != nil {
		return nil, err
	}
	advertised, err := static.AdvertisedListeners()
	if err != nil {
		return nil, err
	}
	controllerNames := map[string]bool{}
	for _, n := range static.ControllerListenerNames() {
		controllerNames[n] = true
	}
	roles := static.ProcessRoles()
	b.isBroker = len(roles) == 0 || slices.Contains(roles, "broker")
	voterList, err := static.Voters()
	if err != nil {
		return nil, err
	}
	voters := map[int32]string{}
	for _, v := range voterList {
		voters[v.ID] = net.JoinHostPort(v.Host, strconv.Itoa(v.Port))
	}
	bootstrap := static.List("controller.quorum.bootstrap.servers")
	clustered := len(voters) > 0 || len(bootstrap) > 0

	clusterID, err := existingClusterID(append(static.LogDirs(), static.MetadataLogDir()))
	if err != nil {
		return nil, err
	}
	if clusterID == "" && clustered {
		// No format step: every node of a new cluster derives the same id
		// from the quorum it is configured with.
		clusterID = derivedClusterID(voterList, bootstrap)
	}
	b.logs, err = log.OpenManager(static.LogDirs(), log.ManagerOptions{
		NodeID:    b.nodeID,
		ClusterID: clusterID,
		Logger:    loggers.Logger(logLogger),
		ConfigFor: func(topic string) log.Config { return logConfig(b.layers.Load().DefaultTopic()) },
		Cleaner: log.CleanerConfig{
			Enable:           static.Bool("log.cleaner.enable"),
			Threads:          int(static.Int32("log.cleaner.threads")),
			BackoffMs:        static.Int64("log.cleaner.backoff.ms"),
			DedupeBufferSize: static.Int64("log.cleaner.dedupe.buffer.size"),
		},
	})
	if err != nil {
		return nil, err
	}
	logger.Info("log directories loaded", "dirs", static.LogDirs(), "cluster_id", b.logs.ClusterID(),
		"clean_shutdown", b.logs.CleanShutdown())

	mcfg := metadata.Config{
		NodeID:    b.nodeID,
		Dir:       static.MetadataLogDir(),
		ClusterID: b.logs.ClusterID(),
		Logger:    loggers.Logger(metadataLogger),
		Voters:    voters,
		Bootstrap: bootstrap,
		Controller: metadata.ControllerConfig{
			DefaultNumPartitions:     static.Int32("num.partitions"),
			DefaultReplicationFactor: int16(static.Int32("default.replication.factor")),
			ValidateConfigs:          b.validateConfigs,
			ListConfig:               listConfig,
			UncleanLeaderElection: func(img *metadata.Image, topic string) bool {
				return b.topicConfig(img, topic).Log().UncleanLeaderElectionEnable
			},
		},
	}
	mcfg.Controller.LeaderImbalancePerBrokerPercentage = static.Int32("leader.imbalance.per.broker.percentage")
	if static.Bool("auto.leader.rebalance.enable") {
		mcfg.Controller.LeaderImbalanceCheckInterval = time.Duration(static.Int64("leader.imbalance.check.interval.seconds")) * time.Second
	}
	if clustered {
		// controller.quorum.fetch.timeout.ms is how long a voter waits for
		// the leader before it starts an election (raft's heartbeat
		// timeout); raft needs the election timeout to be at least that.
		fetchTimeout := ms(int64(static.Int32("controller.quorum.fetch.timeout.ms")))
		mcfg.HeartbeatTimeout = fetchTimeout
		mcfg.ElectionTimeout = max(ms(int64(static.Int32("controller.quorum.election.timeout.ms"))), fetchTimeout)
		mcfg.Controller.BrokerSessionTimeout = ms(int64(static.Int32("broker.session.timeout.ms")))
		if addr, ok := voters[b.nodeID]; ok {
			// A voter runs raft and the controller service on its
			// CONTROLLER listener.
			mcfg.BindAddr = addr
			for _, l := range listeners {
				if controllerNames[l.Listener] {
					mcfg.BindAddr = net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
				}
			}
		} else {
			// A broker-only node follows the metadata log on an ephemeral
			// port of its first listener's host.
			host := "127.0.0.1"
			if len(listeners) > 0 && listeners[0].Host != "" {
				host = listeners[0].Host
			}
			mcfg.BindAddr = net.JoinHostPort(host, "0")
			if len(advertised) > 0 && advertised[0].Host != "" {
				mcfg.AdvertisedHost = advertised[0].Host
			}
		}
	}
	b.meta, err = metadata.Open(mcfg)
	if err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := b.meta.WaitReady(ctx); err != nil {
		return nil, fmt.Errorf("metadata quorum not ready: %w", err)
	}
	if !b.isBroker {
		logger.Info("kafka-server started as a controller only", "node_id", b.nodeID, "cluster_id", b.logs.ClusterID(),
			"startup", time.Since(start).Round(time.Millisecond))
		return b, nil
	}

	interBroker, err := static.InterBrokerListenerName()
	if err != nil {
		return nil, err
	}
	b.replicas = replica.NewManager(replica.Config{
		NodeID: b.nodeID,
		Logs:   b.logs,
		LogConfig: func(img *metadata.Image, topic string) log.Config {
			return logConfig(b.topicConfig(img, topic))
		},
		MinInsyncReplicas: func(img *metadata.Image, topic string) int {
			return int(b.topicConfig(img, topic).Log().MinInSyncReplicas)
		},
		Logger:                       loggers.Logger(replicaLogger),
		Controller:                   b.meta.Controller(),
		InterBrokerListener:          interBroker,
		ReplicaFetchWaitMax:          ms(int64(static.Int32("replica.fetch.wait.max.ms"))),
		ReplicaFetchMinBytes:         static.Int32("replica.fetch.min.bytes"),
		ReplicaFetchMaxBytes:         static.Int32("replica.fetch.max.bytes"),
		ReplicaFetchResponseMaxBytes: static.Int32("replica.fetch.response.max.bytes"),
		ReplicaFetchBackoff:          ms(int64(static.Int32("replica.fetch.backoff.ms"))),
		ReplicaSocketTimeout:         ms(int64(static.Int32("replica.socket.timeout.ms"))),
		ReplicaLagTimeMax:            ms(static.Int64("replica.lag.time.max.ms")),
	})
	b.groups = group.New(group.Config{
		OffsetsTopicPartitions: static.Int32("offsets.topic.num.partitions"),
		InitialRebalanceDelay:  ms(static.Int64("group.initial.rebalance.delay.ms")),
		MinSessionTimeout:      ms(static.Int64("group.min.session.timeout.ms")),
		MaxSessionTimeout:      ms(static.Int64("group.max.session.timeout.ms")),
		MaxGroupSize:           int(static.Int32("group.max.size")),
		MaxMetadataSize:        int(static.Int32("offset.metadata.max.bytes")),
		OffsetsRetention:       ms(static.Int64("offsets.retention.minutes") * 60 * 1000),
		RetentionCheckInterval: ms(static.Int64("offsets.retention.check.interval.ms")),
		TopicPartitions: func(topic string) (int32, bool) {
			t := b.meta.Image().Topics[topic]
			if t == nil {
				return 0, false
			}
			return int32(len(t.Partitions)), true
		},
		Logger: loggers.Logger(groupLogger),
	}, offsetsStorage{replicas: b.replicas})
	b.groups.Start(b.ctx)
	current, unsub := b.meta.Subscribe(func(prev, next *metadata.Image) { b.onImage(prev, next) })
	b.unsub = unsub
	b.onImage(nil, current)

	// Listen first, so that a listener on port 0 can be advertised with
	// the port it got; requests before registration see no brokers yet.
	var serve []server.Listener
	for _, l := range listeners {
		if controllerNames[l.Listener] {
			continue
		}
		serve = append(serve, server.Listener{Name: l.Listener, Host: l.Host, Port: l.Port, SecurityProtocol: l.SecurityProtocol})
	}
	b.srv = server.New(server.Config{
		NodeID:                b.nodeID,
		Listeners:             serve,
		SocketRequestMaxBytes: static.Int32("socket.request.max.bytes"),
		ConnectionsMaxIdle:    time.Duration(static.Int64("connections.max.idle.ms")) * time.Millisecond,
		Logger:                logger,
		Meta:                  b.meta,
		Replicas:              b.replicas,
		Logs:                  b.logs,
		Groups:                b.groups,
		Layers:                func() config.Layers { return *b.layers.Load() },
		Loggers:               b.loggers,
		Settings:              b.settings,
		DescribeTopicConfigs:  b.describeTopicConfigs,
	})
	if err := b.srv.Start(); err != nil {
		return nil, err
	}

	// Register this incarnation and take part in the cluster.
	var endpoints []metadata.Endpoint
	for _, l := range advertised {
		if controllerNames[l.Listener] {
			continue
		}
		port := l.Port
		if port == 0 {
			// Bound to an ephemeral port: advertise the one we got.
			if _, p, err := net.SplitHostPort(b.srv.Addr(l.Listener)); err == nil {
				port, _ = strconv.Atoi(p)
			}
		}
		endpoints = append(endpoints, metadata.Endpoint{Name: l.Listener, Host: l.Host, Port: int32(port), SecurityProtocol: securityProtocolID(l.SecurityProtocol)})
	}
	var incarnation metadata.UUID
	crand.Read(incarnation[:])
	reg := metadata.BrokerRegistration{
		ID: b.nodeID, IncarnationID: incarnation, ClusterID: b.logs.ClusterID(), Listeners: endpoints, Rack: static.Get("broker.rack"),
	}
	b.lifecycle = b.meta.StartBrokerLifecycle(reg, metadata.BrokerLifecycleConfig{
		HeartbeatInterval: ms(int64(static.Int32("broker.heartbeat.interval.ms"))),
		// A single node holds its log directories' lock, so a registration
		// left by its previous incarnation (kill -9) cannot be alive.
		ReplaceStaleIncarnation: !clustered,
	})
	if _, err := b.lifecycle.WaitUnfenced(ctx); err != nil {
		return nil, fmt.Errorf("register broker: %w", err)
	}
	// Unfenced means this node has applied the metadata log up to its own
	// registration, so every topic created before this start is known:
	// only now can logs of topics deleted meanwhile be told apart.
	b.replicas.DeleteStrays(b.meta.Image())

	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		l := b.layers.Load()
		b.logs.RunBackground(b.ctx,
			time.Duration(l.Int64("log.retention.check.interval.ms"))*time.Millisecond,
			time.Duration(l.Int64("log.flush.offset.checkpoint.interval.ms"))*time.Millisecond)
	}()
	logger.Info("kafka-server started", "node_id", b.nodeID, "cluster_id", b.logs.ClusterID(),
		"listeners", listenerNames(serve), "startup", time.Since(start).Round(time.Millisecond))
	return b, nil
}

// Addr returns the bound address of a client listener (useful with port 0).
func (b *Broker) Addr(listener string) string { return b.srv.Addr(listener) }

// ClusterID returns the cluster's id.
func (b *Broker) ClusterID() string { return b.logs.ClusterID() }

// onImage follows a new metadata image: partitions, leadership, dynamic
// configs. It runs on the metadata apply goroutine.
func (b *Broker) onImage(prev, next *metadata.Image) {
	layersChanged := b.refreshLayers(next)
	if err := b.replicas.Apply(next); err != nil {
		b.logger.Error("applying metadata to partitions", "err", err)
	}
	if prev != nil && (layersChanged || !sameConfigs(prev.Configs, next.Configs)) {
		b.replicas.UpdateConfigs(next)
	}
	b.followCoordinatorLeadership(next)
	if prev != nil && b.groups != nil {
		var deleted []string
		for name, t := range prev.Topics {
			if nt := next.Topics[name]; nt == nil || nt.ID != t.ID {
				deleted = append(deleted, name)
			}
		}
		if len(deleted) > 0 {
			b.bg.Add(1)
			go func() {
				defer b.bg.Done()
				b.groups.OnTopicsDeleted(b.ctx, deleted...)
			}()
		}
	}
}

func sameConfigs(a, b map[metadata.ConfigResource]map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !sameMap(v, b[k]) {
			return false
		}
	}
	return true
}

// listConfig reports whether a config is list-typed, and its default,
// for IncrementalAlterConfigs APPEND and SUBTRACT.
func listConfig(t metadata.ConfigResourceType, name string) (bool, string) {
	var d config.Def
	var ok bool
	if t == metadata.ConfigTopic {
		d, ok = config.LookupTopic(name)
	} else {
		d, ok = config.LookupBroker(name)
	}
	if !ok {
		return false, ""
	}
	return d.Type == config.TypeList, d.Default
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// refreshLayers publishes the dynamic broker configs of img and reports
// whether they changed.
func (b *Broker) refreshLayers(img *metadata.Image) bool {
	cur := b.layers.Load()
	cluster := img.Configs[metadata.ConfigResource{Type: metadata.ConfigBroker, Name: ""}]
	mine := img.Configs[metadata.ConfigResource{Type: metadata.ConfigBroker, Name: strconv.Itoa(int(b.nodeID))}]
	if sameMap(cur.ClusterDynamic, cluster) && sameMap(cur.BrokerDynamic, mine) {
		return false
	}
	next := b.static.WithClusterDynamic(cluster).WithBrokerDynamic(mine)
	b.layers.Store(&next)
	return true
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// topicConfig is a topic's effective config in img.
func (b *Broker) topicConfig(img *metadata.Image, topic string) config.TopicConfig {
	return b.layers.Load().Topic(img.Configs[metadata.ConfigResource{Type: metadata.ConfigTopic, Name: topic}])
}

// validateConfigs checks the complete set of dynamic configs a resource
// would have after a change, with the config registry's rules and messages.
func (b *Broker) validateConfigs(res metadata.ConfigResource, configs map[string]string) error {
	cur := *b.layers.Load()
	var err error
	switch res.Type {
	case metadata.ConfigTopic:
		existing := b.meta.Image().Configs[res]
		err = cur.ValidateTopic(configs, existing)
	case metadata.ConfigBroker:
		if err = config.ValidateBrokerDynamic(configs, res.Name != ""); err == nil {
			next := cur
			if res.Name == "" {
				next = cur.WithClusterDynamic(configs)
			} else if res.Name == strconv.Itoa(int(b.nodeID)) {
				next = cur.WithBrokerDynamic(configs)
			}
			err = cur.ValidateReconfiguration(next)
		}
	default:
		return fmt.Errorf("unsupported resource type %s", res.Type)
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		code := kerr.InvalidConfig
		if errors.Is(err, config.ErrInvalidRequest) {
			code = kerr.InvalidRequest
		}
		return &metadata.Error{Code: code, Message: ce.Error()}
	}
	return err
}

func (b *Broker) settings() server.Settings {
	l := b.layers.Load()
	return server.Settings{
		AutoCreateTopics:         l.Bool("auto.create.topics.enable"),
		NumPartitions:            l.Int32("num.partitions"),
		DefaultReplicationFactor: int16(l.Int32("default.replication.factor")),
		DeleteTopicEnable:        l.Bool("delete.topic.enable"),

		OffsetsTopicPartitions:        l.Int32("offsets.topic.num.partitions"),
		OffsetsTopicReplicationFactor: int16(l.Int32("offsets.topic.replication.factor")),
		OffsetsTopicSegmentBytes:      l.Int32("offsets.topic.segment.bytes"),
	}
}

func (b *Broker) describeTopicConfigs(topic string, overrides map[string]string) []server.ConfigEntry {
	entries := config.DescribeTopic(*b.layers.Load(), overrides, nil, false)
	out := make([]server.ConfigEntry, 0, len(entries))
	for _, e := range entries {
		ce := server.ConfigEntry{Name: e.Name, ReadOnly: e.ReadOnly, Source: int8(e.Source), Sensitive: e.Sensitive}
		if !e.Null {
			v := e.Value
			ce.Value = &v
		}
		out = append(out, ce)
	}
	return out
}

// logConfig maps a topic's effective settings onto the log's config.
func logConfig(t config.TopicConfig) log.Config {
	s := t.Log()
	c := log.DefaultConfig()
	c.SegmentBytes = int64(s.SegmentBytes)
	c.SegmentMs = s.SegmentMs
	c.SegmentJitterMs = s.SegmentJitterMs
	c.SegmentIndexBytes = s.SegmentIndexBytes
	c.IndexIntervalBytes = s.IndexIntervalBytes
	c.RetentionMs = s.RetentionMs
	c.RetentionBytes = s.RetentionBytes
	c.MaxMessageBytes = s.MaxMessageBytes
	c.MessageTimestampType = s.MessageTimestampType
	c.MessageTimestampBeforeMaxMs = s.MessageTimestampBeforeMaxMs
	c.MessageTimestampAfterMaxMs = s.MessageTimestampAfterMaxMs
	c.FlushMessages = s.FlushMessages
	c.FlushMs = s.FlushMs
	c.FileDeleteDelayMs = s.FileDeleteDelayMs
	c.CleanupPolicy = s.CleanupPolicy
	c.Preallocate = s.Preallocate
	c.DeleteRetentionMs = s.DeleteRetentionMs
	c.MinCleanableRatio = s.MinCleanableRatio
	c.MinCompactionLagMs = s.MinCompactionLagMs
	c.MaxCompactionLagMs = s.MaxCompactionLagMs
	c.CompressionType = s.CompressionType
	c.CompressionLevel = s.CompressionLevel
	return c
}

func securityProtocolID(p string) int16 {
	switch p {
	case "SSL":
		return 1
	case "SASL_PLAINTEXT":
		return 2
	case "SASL_SSL":
		return 3
	}
	return 0
}

func listenerNames(ls []server.Listener) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name+"://"+l.Addr())
	}
	return out
}

// Close shuts the broker down cleanly: it stops accepting connections,
// answers requests already received, stops background work, flushes every
// log and writes the checkpoints and the clean-shutdown marker, so the next
// start does no recovery.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.logger.Info("shutting down")
		if b.lifecycle != nil {
			// Controlled shutdown: leadership moves off this broker before
			// it stops serving, so clients fail over at once.
			// Bounded: the last node of a cluster has no quorum to grant it.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			if err := b.lifecycle.ControlledShutdown(ctx); err != nil {
				b.logger.Warn("controlled shutdown", "err", err)
			}
			cancel()
		}
		b.closeErr = b.stop(10 * time.Second)
		b.logger.Info("shut down", "err", b.closeErr)
	})
	return b.closeErr
}

// abort releases what a failed Start opened.
func (b *Broker) abort() { b.stop(time.Second) }

// stop stops everything that runs, in dependency order: the broker's
// registration, the network (answering requests already received, for up
// to grace), the group coordinator, background work, replication, the
// metadata node and finally the logs, which flush and write their
// checkpoints and the clean-shutdown marker.
func (b *Broker) stop(grace time.Duration) error {
	if b.lifecycle != nil {
		b.lifecycle.Close()
	}
	if b.srv != nil {
		b.srv.Close(grace)
	}
	if b.groups != nil {
		b.groups.Close()
	}
	b.cancel()
	b.bg.Wait()
	if b.unsub != nil {
		b.unsub()
	}
	if b.replicas != nil {
		b.replicas.Close()
	}
	var errs []error
	if b.meta != nil {
		errs = append(errs, b.meta.Close())
	}
	if b.logs != nil {
		errs = append(errs, b.logs.Close())
	}
	return errors.Join(errs...)
}
