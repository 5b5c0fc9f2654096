package consoleconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// settings are the consumer configs, validated as KafkaConsumer's
// ConsumerConfig validates them.
type settings struct {
	reset          string // earliest, latest or none
	isolation      sarama.IsolationLevel
	autoCommit     bool
	commitInterval time.Duration
	fetchMin       int32
	fetchDefault   int32
	maxWait        time.Duration
	session        time.Duration
	heartbeat      time.Duration
	rebalance      time.Duration
	instanceID     string
}

func newSettings(p *plan) (*settings, error) {
	props := p.props
	s := &settings{}
	var err error
	if s.reset, err = client.OneOf(props, "auto.offset.reset", "latest", "latest", "earliest", "none"); err != nil {
		return nil, err
	}
	iso, err := client.OneOf(props, "isolation.level", "read_uncommitted", "read_committed", "read_uncommitted")
	if err != nil {
		return nil, err
	}
	if iso == "read_committed" {
		s.isolation = sarama.ReadCommitted
	}
	if s.autoCommit, err = client.Bool(props, "enable.auto.commit", true); err != nil {
		return nil, err
	}
	ms := func(key, def string, least int64) (time.Duration, error) {
		n, err := client.Int(props, key, def, 32, least)
		return time.Duration(n) * time.Millisecond, err
	}
	if s.commitInterval, err = ms("auto.commit.interval.ms", "5000", 0); err != nil {
		return nil, err
	}
	n, err := client.Int(props, "fetch.min.bytes", "1", 32, 0)
	if err != nil {
		return nil, err
	}
	s.fetchMin = max(int32(n), 1)
	if n, err = client.Int(props, "max.partition.fetch.bytes", "1048576", 32, 0); err != nil {
		return nil, err
	}
	s.fetchDefault = max(int32(n), 1)
	if s.maxWait, err = ms("fetch.max.wait.ms", "500", 0); err != nil {
		return nil, err
	}
	if s.session, err = ms("session.timeout.ms", "45000", 0); err != nil {
		return nil, err
	}
	if s.heartbeat, err = ms("heartbeat.interval.ms", "3000", 0); err != nil {
		return nil, err
	}
	if s.rebalance, err = ms("max.poll.interval.ms", "300000", 1); err != nil {
		return nil, err
	}
	s.instanceID = props.Value("group.instance.id", "")
	return s, nil
}

// delivery is a record handed to the printing loop; mark, when set, marks
// it consumed for the group's next commit.
type delivery struct {
	msg  *sarama.ConsumerMessage
	mark func()
}

// source fetches records into out. Its goroutines are started by start and
// ended by cancelling the context given to start; stop waits for them and
// closes the connections. record is called from the printing goroutine
// only.
type source struct {
	cfg      *client.Config
	settings *settings
	plan     *plan
	log      *slog.Logger

	out   chan delivery
	fatal chan error

	wg     sync.WaitGroup
	client sarama.Client // set by run before any delivery

	tsTypes map[string]string // topic → timestamp type, printing goroutine only
	admin   sarama.ClusterAdmin
}

func newSource(cfg *client.Config, s *settings, p *plan, log *slog.Logger) *source {
	return &source{cfg: cfg, settings: s, plan: p, log: log,
		out: make(chan delivery, 256), fatal: make(chan error, 1), tsTypes: map[string]string{}}
}

func (s *source) start(ctx context.Context) {
	s.wg.Add(1)
	go s.run(ctx)
}

// stop waits for the fetching goroutines (their context must be done) and
// closes the client.
func (s *source) stop() {
	s.wg.Wait()
	if s.client != nil {
		_ = s.client.Close()
	}
}

func (s *source) fail(err error) {
	select {
	case s.fatal <- err:
	default:
	}
}

func (s *source) saramaConfig() *sarama.Config {
	sc := s.cfg.Sarama()
	st := s.settings
	sc.Consumer.IsolationLevel = st.isolation
	sc.Consumer.Fetch.Min = st.fetchMin
	sc.Consumer.Fetch.Default = st.fetchDefault
	sc.Consumer.MaxWaitTime = st.maxWait
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.AutoCommit.Enable = st.autoCommit
	sc.Consumer.Offsets.AutoCommit.Interval = st.commitInterval
	if st.reset == "earliest" {
		sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	} else {
		sc.Consumer.Offsets.Initial = sarama.OffsetNewest
	}
	sc.Consumer.Group.Session.Timeout = st.session
	sc.Consumer.Group.Heartbeat.Interval = st.heartbeat
	sc.Consumer.Group.Rebalance.Timeout = st.rebalance
	sc.Consumer.Group.InstanceId = st.instanceID
	return sc
}

func (s *source) run(ctx context.Context) {
	defer s.wg.Done()
	sc := s.saramaConfig()
	cl, err := client.Connect(ctx, s.cfg, sc, "consumer")
	if err != nil {
		if ctx.Err() == nil {
			s.fail(fmt.Errorf("%s", client.JavaException(err)))
		}
		return
	}
	s.client = cl
	switch {
	case s.plan.group != "":
		s.runGroup(ctx)
	case s.plan.partition >= 0:
		s.runAssigned(ctx)
	default:
		s.runDirect(ctx)
	}
}

// wait pauses for d or until ctx ends; it reports whether ctx is still on.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// topics returns the topics to read: --topic (whose metadata request may
// create it), or the topics --include matches.
func (s *source) topics() []string {
	if s.plan.include == nil {
		if err := s.client.RefreshMetadata(s.plan.topic); err != nil {
			return nil
		}
		if parts, err := s.client.Partitions(s.plan.topic); err != nil || len(parts) == 0 {
			return nil
		}
		return []string{s.plan.topic}
	}
	_ = s.client.RefreshMetadata()
	all, _ := s.client.Topics()
	var out []string
	for _, t := range all {
		if s.plan.include.MatchString(t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func (s *source) warnUnknown(topic string) {
	s.log.Warn(fmt.Sprintf("[Consumer clientId=%s, groupId=%s] Error while fetching metadata : {%s=UNKNOWN_TOPIC_OR_PARTITION}",
		clientID(s.plan.props), s.plan.props.Value("group.id", ""), topic))
}

// runAssigned reads the one partition given with --partition, from
// --offset.
func (s *source) runAssigned(ctx context.Context) {
	topic, part := s.plan.topic, s.plan.partition
	backoff := s.cfg.RetryBackoff
	for {
		_ = s.client.RefreshMetadata(topic)
		parts, _ := s.client.Partitions(topic)
		if slices.Contains(parts, part) {
			break
		}
		s.warnUnknown(topic)
		if !wait(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, time.Second)
	}
	consumer, err := sarama.NewConsumerFromClient(s.client)
	if err != nil {
		s.fail(err)
		return
	}
	defer consumer.Close()
	offset := s.plan.offset
	switch offset {
	case offsetEarliest:
		offset = sarama.OffsetOldest
	case offsetLatest:
		offset = sarama.OffsetNewest
	}
	if err := s.follow(ctx, consumer, topic, part, offset); err != nil {
		s.fail(err)
	}
}

// consumePartition starts reading at offset; an offset out of range is
// reset by auto.offset.reset, as Kafka's consumer resets it.
func (s *source) consumePartition(consumer sarama.Consumer, topic string, part int32, offset int64) (sarama.PartitionConsumer, error) {
	pc, err := consumer.ConsumePartition(topic, part, offset)
	if errors.Is(err, sarama.ErrOffsetOutOfRange) {
		switch s.settings.reset {
		case "earliest":
			return consumer.ConsumePartition(topic, part, sarama.OffsetOldest)
		case "latest":
			return consumer.ConsumePartition(topic, part, sarama.OffsetNewest)
		}
		return nil, fmt.Errorf("org.apache.kafka.clients.consumer.OffsetOutOfRangeException: Fetch position FetchPosition{offset=%d} is out of range for partition %s-%d", offset, topic, part)
	}
	return pc, err
}

// runDirect reads every partition of the matching topics, starting where
// auto.offset.reset says, and picks up new topics and partitions at each
// metadata refresh (metadata.max.age.ms).
func (s *source) runDirect(ctx context.Context) {
	consumer, err := sarama.NewConsumerFromClient(s.client)
	if err != nil {
		s.fail(err)
		return
	}
	defer consumer.Close()
	start := sarama.OffsetNewest
	switch s.settings.reset {
	case "earliest":
		start = sarama.OffsetOldest
	case "none":
		start = 0
	}
	started := map[string]map[int32]bool{}
	backoff := s.cfg.RetryBackoff
	var pumps sync.WaitGroup
	defer pumps.Wait()
	for {
		topics := s.topics()
		if len(topics) == 0 && s.plan.include == nil {
			s.warnUnknown(s.plan.topic)
			if !wait(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		var undefined []string
		for _, t := range topics {
			parts, _ := s.client.Partitions(t)
			for _, p := range parts {
				if started[t][p] {
					continue
				}
				if s.settings.reset == "none" {
					undefined = append(undefined, fmt.Sprintf("%s-%d", t, p))
					continue
				}
				if started[t] == nil {
					started[t] = map[int32]bool{}
				}
				started[t][p] = true
				pumps.Add(1)
				go func() {
					defer pumps.Done()
					if err := s.follow(ctx, consumer, t, p, start); err != nil {
						s.fail(err)
					}
				}()
			}
		}
		if len(undefined) > 0 {
			s.fail(fmt.Errorf("org.apache.kafka.clients.consumer.NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: [%s]", strings.Join(undefined, ", ")))
			return
		}
		if !wait(ctx, s.cfg.MetadataMaxAge) {
			return
		}
	}
}

// pump forwards a partition's records until ctx ends, then closes it. It
// returns true when sarama gave the partition up because the position went
// out of the log's range (sarama stops there; Kafka's consumer resets by
// auto.offset.reset, which the caller does).
func (s *source) pump(ctx context.Context, pc sarama.PartitionConsumer) (outOfRange bool) {
	defer pc.AsyncClose()
	for {
		select {
		case <-ctx.Done():
			return false
		case err, ok := <-pc.Errors():
			if !ok {
				continue
			}
			if errors.Is(err, sarama.ErrOffsetOutOfRange) {
				outOfRange = true
				continue
			}
			s.log.Warn(err.Error())
		case msg, ok := <-pc.Messages():
			if !ok {
				return outOfRange
			}
			select {
			case s.out <- delivery{msg: msg}:
			case <-ctx.Done():
				return false
			}
		}
	}
}

// follow reads a partition from offset and, whenever its position leaves
// the log's range, again from where auto.offset.reset says.
func (s *source) follow(ctx context.Context, consumer sarama.Consumer, topic string, part int32, offset int64) error {
	backoff := s.cfg.RetryBackoff
	for {
		pc, err := s.consumePartition(consumer, topic, part, offset)
		if err != nil {
			return err
		}
		if !s.pump(ctx, pc) {
			return nil
		}
		s.log.Warn(fmt.Sprintf("[Consumer clientId=%s, groupId=%s] Fetch position is out of range for partition %s-%d, resetting offset",
			clientID(s.plan.props), s.plan.props.Value("group.id", ""), topic, part))
		switch s.settings.reset {
		case "earliest":
			offset = sarama.OffsetOldest
		case "latest":
			offset = sarama.OffsetNewest
		default:
			return fmt.Errorf("org.apache.kafka.clients.consumer.OffsetOutOfRangeException: Fetch position is out of range for partition %s-%d", topic, part)
		}
		if !wait(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, time.Second)
	}
}

// runGroup joins the consumer group and consumes what it is assigned,
// rejoining after each rebalance and when the topics --include matches
// change.
func (s *source) runGroup(ctx context.Context) {
	cg, err := sarama.NewConsumerGroupFromClient(s.plan.group, s.client)
	if err != nil {
		s.fail(fmt.Errorf("%s", client.JavaException(err)))
		return
	}
	defer cg.Close()
	go func() {
		for err := range cg.Errors() {
			s.log.Warn(err.Error())
		}
	}()
	h := &groupHandler{s: s}
	backoff := s.cfg.RetryBackoff
	for ctx.Err() == nil {
		topics := s.topics()
		if len(topics) == 0 {
			if s.plan.include == nil {
				s.warnUnknown(s.plan.topic)
			}
			if !wait(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		gctx, cancel := context.WithCancel(ctx)
		if s.plan.include != nil {
			go func() {
				// A change in the matching topics means a new subscription.
				for wait(gctx, s.cfg.MetadataMaxAge) {
					if !slices.Equal(s.topics(), topics) {
						cancel()
						return
					}
				}
			}()
		}
		err := cg.Consume(gctx, topics, h)
		cancel()
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return
			}
			s.log.Warn(fmt.Sprintf("[Consumer clientId=%s, groupId=%s] %v", clientID(s.plan.props), s.plan.group, err))
			if !wait(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, time.Second)
		}
	}
}

// groupHandler hands a group session's records to the printing loop; a
// record is marked for commit only once printed.
type groupHandler struct{ s *source }

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case <-sess.Context().Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			d := delivery{msg: msg, mark: func() { sess.MarkMessage(msg, "") }}
			select {
			case h.s.out <- d:
			case <-sess.Context().Done():
				return nil
			}
		}
	}
}

// record converts a fetched message for the formatters.
func (s *source) record(m *sarama.ConsumerMessage) *record {
	r := &record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Timestamp: -1}
	if !m.Timestamp.IsZero() {
		r.Timestamp = m.Timestamp.UnixMilli()
		r.TimestampType = "CreateTime"
		if s.plan.needTSType {
			r.TimestampType = s.timestampType(m.Topic)
		}
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, header{Key: string(h.Key), Value: h.Value})
	}
	return r
}

// timestampType reads the topic's message.timestamp.type once.
func (s *source) timestampType(topic string) string {
	if t, ok := s.tsTypes[topic]; ok {
		return t
	}
	t := "CreateTime"
	if s.admin == nil {
		if a, err := sarama.NewClusterAdminFromClient(s.client); err == nil {
			s.admin = a // not closed: closing it would close the shared client
		}
	}
	if s.admin != nil {
		res, err := s.admin.DescribeConfigs([]*sarama.ConfigResource{{
			Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"message.timestamp.type"},
		}}, sarama.DescribeConfigsOptions{})
		if err == nil && len(res) == 1 {
			for _, e := range res[0].Configs {
				if e.Name == "message.timestamp.type" && e.Value == "LogAppendTime" {
					t = "LogAppendTime"
				}
			}
		}
	}
	s.tsTypes[topic] = t
	return t
}
