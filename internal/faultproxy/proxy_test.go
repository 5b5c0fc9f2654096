package faultproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/loopback"
)

// echoServer accepts connections on loopback and echoes what it reads until
// the client half-closes, then closes. It stops with the test.
func echoServer(t *testing.T) string {
	return loopback.Serve(t, func(c net.Conn) { io.Copy(c, c) })
}

func startProxy(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads the echo within d.
func roundTrip(c net.Conn, msg []byte, d time.Duration) ([]byte, error) {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return got, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestForwardsBothWays(t *testing.T) {
	t.Parallel()
	p := startProxy(t, Config{Target: echoServer(t)})
	c := dial(t, p.Addr())
	msg := bytes.Repeat([]byte("kafka"), 30000) // several chunks
	done := make(chan error, 1)
	go func() { _, err := c.Write(msg); done <- err }()
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo differs from what was sent (%d bytes)", len(msg))
	}
	// A half-close reaches the server, whose close reaches us.
	c.(*net.TCPConn).CloseWrite()
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after half-close: read %d bytes, err %v; want EOF", n, err)
	}
}

func TestDownResetsOpenConnectionsAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	p := startProxy(t, Config{Target: echoServer(t)})
	c := dial(t, p.Addr())
	if _, err := roundTrip(c, []byte("before"), 2*time.Second); err != nil {
		t.Fatalf("round trip while up: %v", err)
	}
	p.SetDefault(Fault{Mode: Down})
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("open connection after down: err %v, want a closed connection", err)
	}
	// A new connection is reset at once: the reset may even beat the end
	// of connect(2), so a failed dial counts as refused too.
	if c2, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second); err == nil {
		defer c2.Close()
		if _, err := roundTrip(c2, []byte("x"), 2*time.Second); err == nil || isTimeout(err) {
			t.Fatalf("new connection while down: err %v, want a closed connection", err)
		}
	} else if isTimeout(err) {
		t.Fatalf("dial while down: %v, want a refused or reset connection", err)
	}
	p.Heal()
	c3 := dial(t, p.Addr())
	if got, err := roundTrip(c3, []byte("after"), 2*time.Second); err != nil || string(got) != "after" {
		t.Fatalf("after heal: got %q, err %v; want the echo", got, err)
	}
}

func TestBlackholeStallsAndDeliversAfterHeal(t *testing.T) {
	t.Parallel()
	p := startProxy(t, Config{Target: echoServer(t)})
	open := dial(t, p.Addr())
	if _, err := roundTrip(open, []byte("warm"), 2*time.Second); err != nil {
		t.Fatalf("round trip while up: %v", err)
	}
	p.SetDefault(Fault{Mode: Blackhole})
	fresh := dial(t, p.Addr())
	for name, c := range map[string]net.Conn{"open connection": open, "new connection": fresh} {
		if _, err := roundTrip(c, []byte("held"), 300*time.Millisecond); !isTimeout(err) {
			t.Fatalf("%s while blackholed: err %v, want a read timeout", name, err)
		}
	}
	p.Heal()
	for name, c := range map[string]net.Conn{"open connection": open, "new connection": fresh} {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		got := make([]byte, 4)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "held" {
			t.Fatalf("%s after heal: got %q, err %v; want the held bytes", name, got, err)
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	p := startProxy(t, Config{Target: echoServer(t)})
	c := dial(t, p.Addr())
	const lat = 80 * time.Millisecond
	p.SetDefault(Fault{Latency: lat})
	start := time.Now()
	if _, err := roundTrip(c, []byte("slow"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < 2*lat {
		t.Fatalf("round trip took %s, want at least %s (latency each way)", got, 2*lat)
	}
	p.Heal()
	start = time.Now()
	if _, err := roundTrip(c, []byte("fast"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got >= 2*lat {
		t.Logf("round trip after heal took %s (a busy machine?)", got)
	}
}

// kafkaFrame is the start of a Kafka request: size, api key 18, version 3,
// correlation id 1, client id, and a body.
func kafkaFrame(clientID string, body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(10+len(clientID)+len(body)))
	b = binary.BigEndian.AppendUint16(b, 18)
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	return append(b, body...)
}

func TestLinksByKafkaClientID(t *testing.T) {
	t.Parallel()
	p := startProxy(t, Config{Target: echoServer(t), Classify: KafkaClientID, ClassifyTimeout: time.Second})
	p.Set("broker-2-fetcher-0", Fault{Mode: Blackhole})
	cut := dial(t, p.Addr())
	other := dial(t, p.Addr())
	silent := dial(t, p.Addr()) // sends nothing: link "" after the timeout

	f1 := kafkaFrame("broker-2-fetcher-0", "fetch")
	if _, err := roundTrip(cut, f1, 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("blackholed link: err %v, want a read timeout", err)
	}
	f2 := kafkaFrame("producer-1", "produce")
	if got, err := roundTrip(other, f2, 2*time.Second); err != nil || !bytes.Equal(got, f2) {
		t.Fatalf("other link: got %q, err %v; want the echo", got, err)
	}
	if got, err := roundTrip(silent, []byte("late"), 3*time.Second); err != nil || string(got) != "late" {
		t.Fatalf("unclassified connection: got %q, err %v; want the echo", got, err)
	}
	for link, want := range map[string]int{"broker-2-fetcher-0": 1, "producer-1": 1, "": 1} {
		if got := p.Accepted(link); got != want {
			t.Errorf("Accepted(%q) = %d, want %d", link, got, want)
		}
	}
	p.Clear("broker-2-fetcher-0")
	cut.SetReadDeadline(time.Now().Add(3 * time.Second))
	got := make([]byte, len(f1))
	if _, err := io.ReadFull(cut, got); err != nil || !bytes.Equal(got, f1) {
		t.Fatalf("after clear: got %q, err %v; want the held frame", got, err)
	}
}

func TestCloseResetsConnections(t *testing.T) {
	t.Parallel()
	p, err := Start(Config{Target: echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Addr())
	if _, err := roundTrip(c, []byte("x"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetDefault(Fault{Mode: Blackhole})
	c2 := dial(t, p.Addr())
	c2.Write([]byte("stuck"))
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection after Close: err %v, want closed", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("dial after Close succeeded, want refused")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no target", Config{}},
		{"bad listen address", Config{Target: "127.0.0.1:1", Listen: "256.0.0.1:0"}},
	}
	for _, tc := range cases {
		if p, err := Start(tc.cfg); err == nil {
			p.Close()
			t.Errorf("%s: Start succeeded, want an error", tc.name)
		}
	}
}

func TestParseClientID(t *testing.T) {
	t.Parallel()
	valid := kafkaFrame("broker-1-fetcher-0", "body")
	null := kafkaFrame("", "")
	binary.BigEndian.PutUint16(null[12:], 0xffff)
	cases := []struct {
		name     string
		in       []byte
		wantID   string
		wantMore int
		wantErr  bool
	}{
		{"empty", nil, "", kafkaHeaderPrefix, false},
		{"truncated prefix", valid[:9], "", kafkaHeaderPrefix, false},
		{"truncated client id", valid[:20], "", kafkaHeaderPrefix + 18, false},
		{"valid", valid, "broker-1-fetcher-0", 0, false},
		{"valid plus garbage", append(append([]byte{}, valid...), 0xde, 0xad), "broker-1-fetcher-0", 0, false},
		{"empty client id", kafkaFrame("", "x"), "", 0, false},
		{"null client id", null, "", 0, false},
		{"negative size", append([]byte{0xff, 0xff, 0xff, 0xff}, valid[4:]...), "", 0, true},
		{"client id longer than the frame", append([]byte{0, 0, 0, 12}, valid[4:]...), "", 0, true},
		{"bad client id length", append(append([]byte{}, valid[:12]...), 0xff, 0x00), "", 0, true},
		{"tls client hello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xaa, 0xbb, 0xcc}, "", 0, true},
	}
	for _, tc := range cases {
		id, more, err := parseClientID(tc.in)
		if (err != nil) != tc.wantErr || id != tc.wantID || more != tc.wantMore {
			t.Errorf("%s: got (%q, %d, %v), want (%q, %d, error %v)", tc.name, id, more, err, tc.wantID, tc.wantMore, tc.wantErr)
		}
	}
}

func FuzzParseClientID(f *testing.F) {
	valid := kafkaFrame("broker-1-fetcher-0", "body")
	f.Add([]byte{})
	f.Add(valid[:9])
	f.Add(valid[:20])
	f.Add(valid)
	f.Add(append(append([]byte{}, valid...), 0xde, 0xad, 0xbe, 0xef))
	f.Add(append([]byte{0x7f, 0xff, 0xff, 0xff}, valid[4:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, more, err := parseClientID(b)
		switch {
		case err != nil:
			if id != "" || more != 0 {
				t.Fatalf("error %v with id %q, more %d", err, id, more)
			}
		case more > 0:
			if more <= len(b) || id != "" {
				t.Fatalf("asked for %d bytes of %d, id %q", more, len(b), id)
			}
			// Given what it asks for, it decides within two more calls:
			// the fixed prefix first, then the client id.
			for range 2 {
				b = append(b, make([]byte, more-len(b))...)
				if _, more, _ = parseClientID(b); more == 0 {
					return
				}
				if more <= len(b) {
					t.Fatalf("asked for %d bytes of %d", more, len(b))
				}
			}
			t.Fatalf("still asking for %d bytes after two rounds", more)
		default:
			if len(id) > len(b) || (len(id) > 0 && !bytes.Contains(b, []byte(id))) {
				t.Fatalf("id %q is not in the input", id)
			}
		}
	})
}
