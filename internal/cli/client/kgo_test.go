package client

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKgo connects franz-go with the options Kgo derives from client
// properties, over TLS and each SASL mechanism.
func TestKgo(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	tlsAddr := startCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{pki.server}}))
	saslAddr := startCluster(t, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", "alice-secret"),
		kfake.Superuser("SCRAM-SHA-256", "bob", "bob-secret"),
		kfake.Superuser("SCRAM-SHA-512", "carol", "carol-secret"))
	tests := []struct {
		name string
		addr string
		kv   []string
	}{
		{"tls", tlsAddr, []string{"security.protocol", "SSL", "ssl.truststore.location", pki.caFile}},
		{"plain", saslAddr, []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.username", "alice", "sasl.password", "alice-secret"}},
		{"scram-sha-256", saslAddr, []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.username", "bob", "sasl.password", "bob-secret"}},
		{"scram-sha-512", saslAddr, []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.username", "carol", "sasl.password", "carol-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.addr, props(append([]string{"client.id", "kgo-test", "retry.backoff.ms", "50"}, tt.kv...)...), Producer)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(c.Kgo()...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cl.Ping(ctx); err != nil {
				t.Fatalf("ping with Kgo options: %v", err)
			}
			if got := cl.OptValue(kgo.ClientID); got != "kgo-test" {
				t.Errorf("client id = %v, want kgo-test", got)
			}
		})
	}
}
