package client

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Kgo returns franz-go client options for the connection part of c
// (bootstrap servers, client id, metadata age, timeouts, retry backoff,
// TLS and SASL), for the tools and requests that use franz-go's kgo rather
// than sarama. Options appended after these override them.
func (c *Config) Kgo() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Bootstrap...),
		kgo.ClientID(c.ClientID),
		kgo.MetadataMaxAge(c.MetadataMaxAge),
		// Java clients give up on a connection attempt after
		// socket.connection.setup.timeout.ms (10s).
		kgo.DialTimeout(min(10*time.Second, max(c.RequestTimeout, time.Second))),
	}
	if backoff := c.RetryBackoff; backoff > 0 {
		opts = append(opts, kgo.RetryBackoffFn(func(int) time.Duration { return backoff }))
	}
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS.Config.Clone()))
	}
	if s := c.SASL; s != nil {
		switch s.Mechanism {
		case MechanismPlain:
			opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: s.Password}.AsMechanism()))
		case MechanismScramSHA256:
			opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism()))
		case MechanismScramSHA512:
			opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism()))
		}
	}
	return opts
}
