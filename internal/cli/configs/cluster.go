package configs

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// Resource types of DescribeConfigs and the AlterConfigs APIs.
const (
	resourceTopic         = sarama.TopicResource
	resourceBroker        = sarama.BrokerResource
	resourceBrokerLogger  = sarama.BrokerLoggerResource
	resourceClientMetrics = sarama.ConfigResourceType(16) // KIP-714; sarama has no constant
)

// How long ConfigCommand waits on each admin future (KafkaFuture.get).
const (
	describeWait = 30 * time.Second
	alterWait    = 60 * time.Second
	noWait       = 0 // .get() without a timeout
)

// cluster is kafka-configs' view of the cluster: a sarama client opened on
// the first call, with the ClusterAdmin on top of it. Every call waits as
// Kafka's tool waits: the admin client's default.api.timeout.ms, cut short
// by the timeout ConfigCommand gives the future.
type cluster struct {
	cfg    *client.Config
	sc     *sarama.Config
	client sarama.Client
	admin  sarama.ClusterAdmin
}

func newCluster(cfg *client.Config) *cluster {
	return &cluster{cfg: cfg, sc: cfg.Sarama()}
}

func (c *cluster) close() {
	if c.admin != nil {
		_ = c.admin.Close() // closes the client too
	}
}

// call runs fn as the admin call named call (Kafka's call names appear in
// its timeout message). Errors from fn are what the future would fail with;
// they come back wrapped in an ExecutionException, as KafkaFuture.get
// throws them.
func (c *cluster) call(ctx context.Context, call string, wait time.Duration, fn func() error) error {
	limit, futureFirst := c.cfg.APITimeout, false
	if wait > 0 && (limit <= 0 || wait <= limit) {
		limit, futureFirst = wait, true
	}
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	timeout := func() error {
		if futureFirst {
			return &javaError{class: "java.util.concurrent.TimeoutException"}
		}
		return executionError(&javaError{class: "org.apache.kafka.common.errors.TimeoutException",
			msg: (&client.NodeTimeoutError{Call: call}).Error()})
	}
	if c.client == nil {
		cfg := *c.cfg
		cfg.APITimeout = 0 // ctx carries the deadline
		cl, err := client.Connect(ctx, &cfg, c.sc, call)
		if err != nil {
			var nt *client.NodeTimeoutError
			if errors.As(err, &nt) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return timeout()
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return executionError(err)
		}
		admin, err := sarama.NewClusterAdminFromClient(cl)
		if err != nil {
			cl.Close()
			return executionError(err)
		}
		c.client, c.admin = cl, admin
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		var je *javaError
		if errors.As(err, &je) && je.class == "java.util.concurrent.ExecutionException" {
			return err
		}
		return executionError(err)
	case <-ctx.Done():
		// fn returns once close shuts the connections.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timeout()
		}
		return context.Cause(ctx)
	}
}

// unsupported is what Kafka's client reports for an API the broker does not
// advertise.
func unsupported(err error, api string) error {
	if errors.Is(err, sarama.ErrUnsupportedVersion) {
		return &javaError{class: "org.apache.kafka.common.errors.UnsupportedVersionException", msg: "The node does not support " + api}
	}
	return err
}

// anyBroker returns a connected broker for requests any broker serves.
func (c *cluster) anyBroker() (*sarama.Broker, error) {
	b := c.client.LeastLoadedBroker()
	if b == nil {
		return nil, sarama.ErrOutOfBrokers
	}
	return c.opened(b)
}

func (c *cluster) opened(b *sarama.Broker) (*sarama.Broker, error) {
	if err := b.Open(c.sc); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return nil, err
	}
	return b, nil
}

// describeConfigs is Admin.describeConfigs for one resource, through
// sarama's ClusterAdmin.
func (c *cluster) describeConfigs(ctx context.Context, typ sarama.ConfigResourceType, name string, synonyms bool) ([]sarama.ConfigEntry, error) {
	var entries []sarama.ConfigEntry
	err := c.call(ctx, "describeConfigs", describeWait, func() error {
		if err := c.knownNode(typ, name, "describeConfigs"); err != nil {
			return err
		}
		results, err := c.admin.DescribeConfigs([]*sarama.ConfigResource{{Type: typ, Name: name}},
			sarama.DescribeConfigsOptions{IncludeSynonyms: synonyms})
		if err != nil {
			return unsupported(err, "DESCRIBE_CONFIGS")
		}
		for _, r := range results {
			if r.Type != typ || r.Name != name {
				continue
			}
			if err := newKafkaError(int16(r.ErrorCode), &r.ErrorMsg); err != nil {
				return err
			}
			entries = r.Configs
			return nil
		}
		return &javaError{class: "org.apache.kafka.common.KafkaException", msg: "Malformed broker response: missing resource " + name}
	})
	return entries, err
}

// knownNode fails as Kafka's client eventually does when a broker or
// broker-logger resource names a broker the cluster does not have: no node
// to send the request to.
func (c *cluster) knownNode(typ sarama.ConfigResourceType, name, call string) error {
	if (typ != resourceBroker || name == "") && typ != resourceBrokerLogger {
		return nil
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return err
	}
	if _, err := c.client.Broker(int32(id)); err != nil {
		return &javaError{class: "org.apache.kafka.common.errors.TimeoutException",
			msg: (&client.NodeTimeoutError{Call: call}).Error()}
	}
	return nil
}

// incrementalAlterConfigs is Admin.incrementalAlterConfigs for one
// resource, through sarama's ClusterAdmin.
func (c *cluster) incrementalAlterConfigs(ctx context.Context, typ sarama.ConfigResourceType, name string, ops map[string]sarama.IncrementalAlterConfigsEntry) error {
	return c.call(ctx, "incrementalAlterConfigs", alterWait, func() error {
		if err := c.knownNode(typ, name, "incrementalAlterConfigs"); err != nil {
			return err
		}
		err := c.admin.IncrementalAlterConfig(typ, name, ops, false)
		// sarama returns the code, followed by the broker's message.
		var ke sarama.KError
		if errors.As(err, &ke) {
			msg, _ := strings.CutPrefix(err.Error(), ke.Error())
			msg = strings.TrimPrefix(msg, ": ")
			return newKafkaError(int16(ke), &msg)
		}
		return unsupported(err, "INCREMENTAL_ALTER_CONFIGS")
	})
}

// alterConfigs is the legacy Admin.alterConfigs for one resource, through
// sarama's ClusterAdmin: the whole set of dynamic configs it should have.
func (c *cluster) alterConfigs(ctx context.Context, typ sarama.ConfigResourceType, name string, configs map[string]*string) error {
	return c.call(ctx, "alterConfigs", alterWait, func() error {
		if err := c.knownNode(typ, name, "alterConfigs"); err != nil {
			return err
		}
		err := c.admin.AlterConfig(typ, name, configs, false)
		var ae *sarama.AlterConfigError
		if errors.As(err, &ae) {
			return newKafkaError(int16(ae.Err), &ae.ErrMsg)
		}
		return unsupported(err, "ALTER_CONFIGS")
	})
}

// listTopics is Admin.listTopics with internal topics: names in the order
// the Metadata response lists them.
func (c *cluster) listTopics(ctx context.Context) ([]string, error) {
	var names []string
	err := c.call(ctx, "listTopics", noWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		resp, err := b.GetMetadata(sarama.NewMetadataRequest(c.sc.Version, nil))
		if err != nil {
			return err
		}
		for _, t := range resp.Topics {
			if t.Err == sarama.ErrNoError {
				names = append(names, t.Name)
			}
		}
		return nil
	})
	return names, err
}

// listClientMetricsResources stands for Admin.listClientMetricsResources
// (KIP-714). sarama has no such request: against a broker without the API
// the result is Kafka's own (UnsupportedVersionException); against one
// that has it, the tool says it cannot list them.
func (c *cluster) listClientMetricsResources(ctx context.Context) error {
	return c.call(ctx, "listClientMetricsResources", noWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		resp, err := b.ApiVersions(&sarama.ApiVersionsRequest{})
		if err != nil {
			return err
		}
		for _, k := range resp.ApiKeys {
			if k.ApiKey == apiListClientMetricsResources {
				return &javaError{class: "org.apache.kafka.common.errors.UnsupportedVersionException",
					msg: "listing client-metrics resources is not supported by this kafka-configs (its client library lacks ListClientMetricsResources); name one with --entity-name"}
			}
		}
		return &javaError{class: "org.apache.kafka.common.errors.UnsupportedVersionException", msg: "The node does not support LIST_CLIENT_METRICS_RESOURCES"}
	})
}

// apiListClientMetricsResources is the API key of ListClientMetricsResources.
const apiListClientMetricsResources = 74

// describeCluster returns the ids of the cluster's brokers.
func (c *cluster) describeCluster(ctx context.Context) ([]int32, error) {
	var ids []int32
	err := c.call(ctx, "listNodes", noWait, func() error {
		brokers, _, err := c.admin.DescribeCluster()
		if err != nil {
			return err
		}
		for _, b := range brokers {
			ids = append(ids, b.ID())
		}
		return nil
	})
	return ids, err
}

// describeClientQuotas is Admin.describeClientQuotas with a strict filter
// (ClientQuotaFilter.containsOnly).
func (c *cluster) describeClientQuotas(ctx context.Context, filter []sarama.QuotaFilterComponent) ([]sarama.DescribeClientQuotasEntry, error) {
	var entries []sarama.DescribeClientQuotasEntry
	err := c.call(ctx, "describeClientQuotas", describeWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		resp, err := b.DescribeClientQuotas(sarama.NewDescribeClientQuotasRequest(c.sc.Version, filter, true))
		if err != nil {
			return unsupported(err, "DESCRIBE_CLIENT_QUOTAS")
		}
		if err := newKafkaError(int16(resp.ErrorCode), resp.ErrorMsg); err != nil {
			return err
		}
		entries = resp.Entries
		return nil
	})
	return entries, err
}

// alterClientQuotas is Admin.alterClientQuotas for one entity, all
// operations in one request as Kafka sends them.
func (c *cluster) alterClientQuotas(ctx context.Context, entity []sarama.QuotaEntityComponent, ops []sarama.ClientQuotasOp) error {
	return c.call(ctx, "alterClientQuotas", alterWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		req := &sarama.AlterClientQuotasRequest{Version: 1, Entries: []sarama.AlterClientQuotasEntry{{Entity: entity, Ops: ops}}}
		resp, err := b.AlterClientQuotas(req)
		if err != nil {
			return unsupported(err, "ALTER_CLIENT_QUOTAS")
		}
		for _, e := range resp.Entries {
			if err := newKafkaError(int16(e.ErrorCode), e.ErrorMsg); err != nil {
				return err
			}
		}
		return nil
	})
}

// describeUserScramCredentials is Admin.describeUserScramCredentials (all
// users when users is empty).
func (c *cluster) describeUserScramCredentials(ctx context.Context, users []string) ([]*sarama.DescribeUserScramCredentialsResult, error) {
	var results []*sarama.DescribeUserScramCredentialsResult
	err := c.call(ctx, "describeUserScramCredentials", describeWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		req := &sarama.DescribeUserScramCredentialsRequest{}
		for _, u := range users {
			req.DescribeUsers = append(req.DescribeUsers, sarama.DescribeUserScramCredentialsRequestUser{Name: u})
		}
		resp, err := b.DescribeUserScramCredentials(req)
		if err != nil {
			return unsupported(err, "DESCRIBE_USER_SCRAM_CREDENTIALS")
		}
		if err := newKafkaError(int16(resp.ErrorCode), resp.ErrorMessage); err != nil {
			return err
		}
		results = resp.Results
		return nil
	})
	return results, err
}

// alterUserScramCredentials is Admin.alterUserScramCredentials: deletions
// and upsertions in one request; the first failure is the error.
func (c *cluster) alterUserScramCredentials(ctx context.Context, upserts []sarama.AlterUserScramCredentialsUpsert, deletes []sarama.AlterUserScramCredentialsDelete) error {
	return c.call(ctx, "alterUserScramCredentials", alterWait, func() error {
		b, err := c.anyBroker()
		if err != nil {
			return err
		}
		resp, err := b.AlterUserScramCredentials(&sarama.AlterUserScramCredentialsRequest{Deletions: deletes, Upsertions: upserts})
		if err != nil {
			return unsupported(err, "ALTER_USER_SCRAM_CREDENTIALS")
		}
		for _, r := range resp.Results {
			if err := newKafkaError(int16(r.ErrorCode), r.ErrorMessage); err != nil {
				return err
			}
		}
		return nil
	})
}
