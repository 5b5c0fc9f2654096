package replica

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// TestFetcherRefusesListenersItCannotSpeak: with plain TCP connections (no
// Config.Dial), a leader whose inter-broker listener is SSL or SASL is an
// error naming the protocol, not a PLAINTEXT conversation with a TLS
// server; with a Dial of its own the fetcher connects through it.
func TestFetcherRefusesListenersItCannotSpeak(t *testing.T) {
	t.Parallel()
	img := &metadata.Image{Brokers: map[int32]*metadata.Broker{
		2: {ID: 2, Epoch: 5, Listeners: []metadata.Endpoint{{Name: "INTERNAL", Host: "127.0.0.1", Port: 1, SecurityProtocol: 1}}},
	}}
	cases := []struct {
		name    string
		dial    DialFunc
		wantErr string
	}{
		{"plain TCP", nil, "security protocol 1"},
		{"own dialer", func(context.Context, string, string) (net.Conn, error) { return nil, errDialed }, errDialed.Error()},
	}
	for _, tc := range cases {
		m := NewManager(Config{NodeID: 1, InterBrokerListener: "INTERNAL", Dial: tc.dial})
		m.img.Store(img)
		_, err := newFetcher(m, 2).connect(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: connect error = %v, want one containing %q", tc.name, err, tc.wantErr)
		}
		m.Close()
	}
}

var errDialed = &net.OpError{Op: "dial", Err: net.UnknownNetworkError("test dialer")}
