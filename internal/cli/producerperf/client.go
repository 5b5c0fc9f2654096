package producerperf

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// producerConfig is the producer configuration resolved from properties
// with the Java producer's defaults (Kafka 4.x: linger.ms 5, acks all,
// idempotence on unless acks says otherwise).
type producerConfig struct {
	conn            *client.Config
	acks            string
	idempotent      bool
	linger          time.Duration
	batchSize       int64
	compression     string
	level           int64
	hasLevel        bool
	maxInFlight     int64
	retries         int64
	deliveryTimeout time.Duration
	requestTimeout  time.Duration
	bufferMemory    int64
	maxRequestSize  int64
}

// newProducerConfig validates props in the order of Kafka's ProducerConfig
// and with ConfigException's wording.
func newProducerConfig(props *cli.Properties) (*producerConfig, error) {
	if _, ok := props.Get("bootstrap.servers"); !ok {
		return nil, &client.ConfigError{Reason: `Missing required configuration "bootstrap.servers" which has no default value.`}
	}
	pc := &producerConfig{}
	var err error
	if pc.acks, err = client.OneOf(props, "acks", "all", "all", "-1", "0", "1"); err != nil {
		return nil, err
	}
	if pc.acks == "-1" {
		pc.acks = "all"
	}
	if pc.batchSize, err = client.Int(props, "batch.size", "16384", 32, 0); err != nil {
		return nil, err
	}
	if pc.bufferMemory, err = client.Int(props, "buffer.memory", "33554432", 64, 0); err != nil {
		return nil, err
	}
	if pc.compression, err = client.OneOf(props, "compression.type", "none", "none", "gzip", "snappy", "lz4", "zstd"); err != nil {
		return nil, err
	}
	if key := "compression." + pc.compression + ".level"; pc.compression == "gzip" || pc.compression == "lz4" || pc.compression == "zstd" {
		if _, ok := props.Get(key); ok {
			least := map[string]int64{"gzip": -1, "lz4": 1, "zstd": -131072}[pc.compression]
			if pc.level, err = client.Int(props, key, "0", 32, least); err != nil {
				return nil, err
			}
			pc.hasLevel = true
		}
	}
	ms := func(key, def string) (time.Duration, error) {
		n, err := client.Int(props, key, def, 64, 0)
		return time.Duration(n) * time.Millisecond, err
	}
	if pc.deliveryTimeout, err = ms("delivery.timeout.ms", "120000"); err != nil {
		return nil, err
	}
	if pc.linger, err = ms("linger.ms", "5"); err != nil {
		return nil, err
	}
	if pc.maxInFlight, err = client.Int(props, "max.in.flight.requests.per.connection", "5", 32, 1); err != nil {
		return nil, err
	}
	if pc.maxRequestSize, err = client.Int(props, "max.request.size", "1048576", 32, 0); err != nil {
		return nil, err
	}
	if pc.requestTimeout, err = ms("request.timeout.ms", "30000"); err != nil {
		return nil, err
	}
	if pc.retries, err = client.Int(props, "retries", "2147483647", 32, 0); err != nil {
		return nil, err
	}
	// Idempotence is on by default and quietly off when acks says
	// otherwise; asked for explicitly it needs acks=all and at most five
	// requests in flight (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
	_, explicit := props.Get("enable.idempotence")
	if pc.idempotent, err = client.Bool(props, "enable.idempotence", true); err != nil {
		return nil, err
	}
	if pc.idempotent {
		switch {
		case pc.acks != "all" && explicit:
			return nil, &client.ConfigError{Reason: "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."}
		case pc.maxInFlight > 5 && explicit:
			return nil, &client.ConfigError{Reason: "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is " + fmt.Sprint(pc.maxInFlight) + "."}
		case pc.acks != "all" || pc.maxInFlight > 5:
			pc.idempotent = false
		}
	}
	if pc.linger > time.Minute {
		// franz-go's ceiling; Kafka allows more but no benchmark wants it.
		pc.linger = time.Minute
	}
	return pc, nil
}

// kgoOptions returns the producer options; largest is the largest record
// value the run sends, so that a batch always fits one record (Kafka sends
// a record larger than batch.size in a batch of its own).
func (pc *producerConfig) kgoOptions(topic string, largest int) ([]kgo.Opt, error) {
	opts := pc.conn.Kgo()
	opts = append(opts,
		kgo.DefaultProduceTopic(topic),
		kgo.AllowAutoTopicCreation(),
		kgo.ProducerLinger(pc.linger),
		kgo.RecordDeliveryTimeout(max(pc.deliveryTimeout, time.Second)),
		kgo.ProduceRequestTimeout(max(pc.requestTimeout, 100*time.Millisecond)),
	)
	batch := max(pc.batchSize, int64(largest)+128, 512)
	opts = append(opts, kgo.ProducerBatchMaxBytes(int32(min(batch, 1<<30))))
	if pc.bufferMemory > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(int(pc.bufferMemory)))
	}
	if pc.retries < 2147483647 {
		opts = append(opts, kgo.RecordRetries(int(pc.retries)))
	}
	var cc kgo.CompressionCodec
	switch pc.compression {
	case "none":
		cc = kgo.NoCompression()
	case "gzip":
		cc = kgo.GzipCompression()
	case "snappy":
		cc = kgo.SnappyCompression()
	case "lz4":
		cc = kgo.Lz4Compression()
	case "zstd":
		cc = kgo.ZstdCompression()
	}
	if pc.hasLevel {
		cc = cc.WithLevel(int(pc.level))
	}
	opts = append(opts, kgo.ProducerBatchCompression(cc))
	switch pc.acks {
	case "all":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if !pc.idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(int(pc.maxInFlight)))
	}
	return opts, nil
}
