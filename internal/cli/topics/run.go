package topics

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
	"github.com/kafkakit/kafkakit/internal/config"
)

// Run performs the action against the cluster.
func (o *Options) Run(ctx context.Context) error {
	// Like TopicCommand, read the client properties and build the client
	// before any action; failures here are not "topic command" errors.
	props := cli.NewProperties()
	if o.CommandConfig.Given() {
		path, err := o.CommandConfig.Get()
		if err != nil {
			return cli.Errorf("%s", err)
		}
		if props, err = cli.LoadProperties(path); err != nil {
			return cli.Errorf("%s", err)
		}
	}
	bootstrap, err := o.Bootstrap.Get()
	if err != nil {
		return cli.Errorf("%s", err)
	}
	cfg, err := client.New(bootstrap, props, client.Admin)
	if err != nil {
		return cli.Errorf("%s", err)
	}
	c := newCluster(cfg)
	defer c.close()

	if *o.Describe && *o.IfExists && o.Topic.Given() && o.TopicID.Given() {
		fmt.Fprintln(o.IO.Out, "Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID")
	}

	switch {
	case *o.Create:
		err = o.create(ctx, c)
	case *o.Alter:
		err = o.alter(ctx, c)
	case *o.List:
		err = o.list(ctx, c)
	case *o.Describe:
		err = o.describe(ctx, c)
	case *o.Delete:
		err = o.delete(ctx, c)
	}
	return asTopicCommandError(err)
}

// asTopicCommandError gives an error from an action TopicCommand's wording.
func asTopicCommandError(err error) error {
	if err == nil {
		return nil
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return err
	}
	var oe *cli.OptionError
	if errors.As(err, &oe) {
		return runtimeError(err, "joptsimple.OptionException: "+oe.Msg)
	}
	return runtimeError(fmt.Errorf("%s", client.Message(err)), client.JavaException(err))
}

// topicSpec is the parsed --topic, --partitions, --replication-factor,
// --replica-assignment and --config of create and alter (Kafka's
// CommandTopicPartition), parsed in Kafka's order.
type topicSpec struct {
	name              string
	partitions        int32 // -1: not given
	replicationFactor int32 // -1: not given
	assignment        [][]int32
	configs           map[string]string
}

func (o *Options) topicSpec() (*topicSpec, error) {
	s := &topicSpec{partitions: -1, replicationFactor: -1}
	var err error
	if s.name, err = o.Topic.Get(); err != nil {
		return nil, err
	}
	if o.Partitions.Given() {
		if s.partitions, err = o.Partitions.Int32(); err != nil {
			return nil, err
		}
	}
	if o.ReplicationFactor.Given() {
		if s.replicationFactor, err = o.ReplicationFactor.Int32(); err != nil {
			return nil, err
		}
	}
	if o.ReplicaAssignment.Given() {
		v, err := o.ReplicaAssignment.Get()
		if err != nil {
			return nil, err
		}
		if v != "" {
			if s.assignment, err = parseReplicaAssignment(v); err != nil {
				return nil, err
			}
		}
	}
	if s.configs, err = parseTopicConfigs(o.Config.Values()); err != nil {
		return nil, err
	}
	return s, nil
}

// parseReplicaAssignment reads "1:2,3:4": partitions separated by commas,
// replicas by colons, all partitions with the same number of replicas.
func parseReplicaAssignment(s string) ([][]int32, error) {
	var out [][]int32
	for i, part := range javaSplit(s, ",") {
		var brokers []int32
		for _, b := range javaSplit(part, ":") {
			b = strings.TrimSpace(b)
			n, err := strconv.ParseInt(b, 10, 32)
			if err != nil {
				msg := fmt.Sprintf("For input string: \"%s\"", b)
				return nil, errorf("java.lang.NumberFormatException", "%s", msg)
			}
			brokers = append(brokers, int32(n))
		}
		if dups := duplicates(brokers); len(dups) > 0 {
			return nil, errorf("org.apache.kafka.server.common.AdminCommandFailedException",
				"Partition replica lists may not contain duplicate entries: %s", joinInts(dups, ","))
		}
		out = append(out, brokers)
		if len(brokers) != len(out[0]) {
			return nil, errorf("org.apache.kafka.server.common.AdminOperationException",
				"Partition %d has different replication factor: [%s]", i, joinInts(brokers, ", "))
		}
	}
	return out, nil
}

// javaSplit is String.split with a literal separator: trailing empty
// strings are dropped.
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 1 && parts[0] == "" && s != "" {
		return nil
	}
	return parts
}

func duplicates(ids []int32) []int32 {
	seen := map[int32]bool{}
	var dups []int32
	for _, id := range ids {
		if seen[id] && !slices.Contains(dups, id) {
			dups = append(dups, id)
		}
		seen[id] = true
	}
	slices.Sort(dups)
	return dups
}

func joinInts(ids []int32, sep string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, sep)
}

var configSplit = regexp.MustCompile(`\s*=\s*`)

// parseTopicConfigs reads --config k=v entries and validates them as
// Kafka's LogConfig.validate does before anything is sent.
func parseTopicConfigs(entries []string) (map[string]string, error) {
	m := map[string]string{}
	for _, e := range entries {
		parts := configSplit.Split(e, -1)
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			return nil, errorf("java.lang.IllegalArgumentException",
				"requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")
		}
		m[strings.TrimSpace(parts[0])] = strings.TrimSpace(parts[1])
	}
	if err := config.ValidateTopicConfigs(m); err != nil {
		cls := "org.apache.kafka.common.config.ConfigException"
		if strings.HasPrefix(err.Error(), "Unknown topic config name") {
			cls = "org.apache.kafka.common.errors.InvalidConfigurationException"
		}
		return nil, errorf(cls, "%s", err.Error())
	}
	return m, nil
}

func (o *Options) create(ctx context.Context, c *cluster) error {
	s, err := o.topicSpec()
	if err != nil {
		return err
	}
	out := o.IO.Out
	if strings.ContainsAny(s.name, "._") {
		fmt.Fprintln(out, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	if _, ok := s.configs["message.format.version"]; ok {
		fmt.Fprintln(out, "WARNING: The configuration ${TopicConfig.MESSAGE_FORMAT_VERSION_CONFIG}=${props.getProperty(TopicConfig.MESSAGE_FORMAT_VERSION_CONFIG)} is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.")
	}
	if o.ReplicationFactor.Given() && (s.replicationFactor > 32767 || s.replicationFactor < 1) {
		return errorf("java.lang.IllegalArgumentException", "The replication factor must be between 1 and 32767 inclusive")
	}
	if o.Partitions.Given() && s.partitions < 1 {
		return errorf("java.lang.IllegalArgumentException", "The partitions must be greater than 0")
	}
	detail := &sarama.TopicDetail{NumPartitions: s.partitions, ReplicationFactor: int16(s.replicationFactor)}
	if s.assignment != nil {
		detail.NumPartitions, detail.ReplicationFactor = -1, -1
		detail.ReplicaAssignment = map[int32][]int32{}
		for i, r := range s.assignment {
			detail.ReplicaAssignment[int32(i)] = r
		}
	}
	if len(s.configs) > 0 {
		detail.ConfigEntries = map[string]*string{}
		for k, v := range s.configs {
			detail.ConfigEntries[k] = &v
		}
	}
	if err := c.open(ctx, "createTopics"); err != nil {
		return err
	}
	if err := c.admin.CreateTopic(s.name, detail, false); err != nil {
		if *o.IfNotExists && errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return nil
		}
		return err
	}
	fmt.Fprintf(out, "Created topic %s.\n", s.name)
	return nil
}

// internalTopics are the names Kafka's Topic.isInternal knows.
var internalTopics = map[string]bool{"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true}

// topics lists the topics an action works on, as TopicService.getTopics:
// every topic (internal ones unless --exclude-internal) sorted by name,
// filtered by the --topic regular expression.
func (o *Options) topics(ctx context.Context, c *cluster) ([]topicInfo, error) {
	all, err := c.metadata(ctx, "listTopics", nil)
	if err != nil {
		return nil, err
	}
	var match func(string) bool
	if o.Topic.Given() {
		raw, err := o.Topic.Get()
		if err != nil {
			return nil, err
		}
		re, err := includeRegexp(raw)
		if err != nil {
			return nil, err
		}
		match = re.MatchString
	}
	var out []topicInfo
	for _, t := range all {
		if *o.ExcludeInternal && (t.Internal || internalTopics[t.Name]) {
			continue
		}
		if match != nil && !match(t.Name) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// includeRegexp prepares a topic pattern as Kafka's TopicFilter does (","
// means "|", spaces and surrounding quotes are dropped) and makes it match
// whole names, as Java's String.matches does.
func includeRegexp(raw string) (*regexp.Regexp, error) {
	re := strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	re = strings.ReplaceAll(re, ",", "|")
	re = strings.ReplaceAll(re, " ", "")
	re = strings.TrimLeft(re, `"'`)
	re = strings.TrimRight(re, `"'`)
	compiled, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil {
		return nil, errorf("java.lang.RuntimeException", "%s is an invalid regex.", re)
	}
	return compiled, nil
}

// ensureExists fails when a named topic matched nothing, unless --if-exists.
func (o *Options) ensureExists(found int) error {
	if *o.IfExists || found > 0 || !o.Topic.Given() {
		return nil
	}
	raw, _ := o.Topic.Get()
	if raw == "" {
		return nil
	}
	// TopicCommand formats the Optional<String> itself.
	return errorf("java.lang.IllegalArgumentException", "Topic 'Optional[%s]' does not exist as expected", raw)
}

func (o *Options) alter(ctx context.Context, c *cluster) error {
	s, err := o.topicSpec()
	if err != nil {
		return err
	}
	topics, err := o.topics(ctx, c)
	if err != nil {
		return err
	}
	if err := o.ensureExists(len(topics)); err != nil {
		return err
	}
	var first error
	for _, t := range topics {
		var assignment [][]int32
		if s.assignment != nil {
			// Entries for partitions that exist already are skipped.
			assignment = [][]int32{}
			if len(t.Partitions) < len(s.assignment) {
				assignment = s.assignment[len(t.Partitions):]
			}
		}
		if err := c.admin.CreatePartitions(t.Name, s.partitions, assignment, false); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (o *Options) delete(ctx context.Context, c *cluster) error {
	topics, err := o.topics(ctx, c)
	if err != nil {
		return err
	}
	if err := o.ensureExists(len(topics)); err != nil {
		return err
	}
	var first error
	for _, t := range topics {
		if err := c.admin.DeleteTopic(t.Name); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (o *Options) list(ctx context.Context, c *cluster) error {
	topics, err := o.topics(ctx, c)
	if err != nil {
		return err
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	if *o.Output == cli.OutputJSON {
		return cli.WriteJSON(o.IO.Out, struct {
			Topics []string `json:"topics"`
		}{Topics: append([]string{}, names...)})
	}
	_, err = fmt.Fprintln(o.IO.Out, strings.Join(names, "\n"))
	return err
}

// zeroUUID is Kafka's Uuid.ZERO_UUID.
var zeroUUID [16]byte

// parseUUID decodes a Kafka topic id (URL-safe base64 of 16 bytes), with
// the messages of Kafka's Uuid.fromString.
func parseUUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) > 24 {
		return id, errorf("java.lang.IllegalArgumentException",
			"Input string with prefix `%s` is too long to be decoded as a base64 UUID", s[:24])
	}
	for _, r := range strings.TrimRight(s, "=") {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return id, errorf("java.lang.IllegalArgumentException", "Illegal base64 character %x", r)
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return id, errorf("java.lang.IllegalArgumentException", "Last unit does not have enough valid bits")
	}
	if len(b) != 16 {
		return id, errorf("java.lang.IllegalArgumentException",
			"Input string `%s` decoded as %d bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID", s, len(b))
	}
	copy(id[:], b)
	return id, nil
}

func formatUUID(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// javaHashOrder orders described topics as Kafka's admin client returns
// them: in a java.util.HashMap sized for them (DescribeTopicsResult).
func javaHashOrder(names []string) []string { return cli.JavaHashOrder(names, len(names)) }
