// Package testbroker starts Kafka brokers for tests of the tools and
// clients: either the kafka-server engine in process (Start), or the
// kafka-server binary as a separate OS process (BuildServer and
// StartProcess), as users run it. Both listen on 127.0.0.1 and keep their
// data in a directory the caller owns, so tests exercise the real TCP
// broker.
package testbroker

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/kafkakit/kafkakit/internal/broker"
)

// Broker is a broker running in this process. Close stops it and waits for
// it.
type Broker struct {
	Addr string // host:port to bootstrap from
	b    *broker.Broker
}

// Options tune the broker; zero values mean the embedded defaults.
type Options struct {
	Dir        string            // data directory (log.dirs); the caller owns and removes it
	Partitions int               // num.partitions for auto-created topics
	Configs    map[string]string // extra broker properties
	Logger     *slog.Logger      // nil discards the broker's logs
}

// Start starts a single-node broker on a free port of 127.0.0.1 and returns
// once it accepts connections.
func Start(opts Options) (*Broker, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("testbroker: Options.Dir is required")
	}
	overrides := []string{
		"listeners=PLAINTEXT://127.0.0.1:0",
		"log.dirs=" + opts.Dir,
		"group.initial.rebalance.delay.ms=0",
	}
	if opts.Partitions > 0 {
		overrides = append(overrides, "num.partitions="+strconv.Itoa(opts.Partitions))
	}
	for k, v := range opts.Configs {
		overrides = append(overrides, k+"="+v)
	}
	b, err := broker.Start(broker.Options{Overrides: overrides, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	return &Broker{Addr: b.Addr("PLAINTEXT"), b: b}, nil
}

// Close stops the broker cleanly.
func (b *Broker) Close() { b.b.Close() }
