package server

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawClient speaks the Kafka framing directly, so tests can send exactly
// the bytes they want.
type rawClient struct {
	t    *testing.T
	nc   net.Conn
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc}
}

// frame builds a request frame for req with a v1 or v2 header.
func frame(req kmsg.Request, corr int32, clientID string) []byte {
	b := []byte{0, 0, 0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func (rc *rawClient) send(b []byte) {
	rc.t.Helper()
	rc.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := rc.nc.Write(b); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// recv reads one response frame and returns its correlation id and the
// bytes after it.
func (rc *rawClient) recv() (int32, []byte, error) {
	rc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(rc.nc, size[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(rc.nc, body); err != nil {
		return 0, nil, err
	}
	return int32(binary.BigEndian.Uint32(body)), body[4:], nil
}

// roundTrip sends req and decodes the response into resp.
func (rc *rawClient) roundTrip(req kmsg.Request) kmsg.Response {
	rc.t.Helper()
	rc.corr++
	rc.send(frame(req, rc.corr, "test-client"))
	corr, body, err := rc.recv()
	if err != nil {
		rc.t.Fatalf("read response to %s: %v", kmsg.NameForKey(req.Key()), err)
	}
	if corr != rc.corr {
		rc.t.Fatalf("correlation id: got %d, want %d", corr, rc.corr)
	}
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != apiVersionsKey {
		body = body[1:] // header tagged fields
	}
	if err := resp.ReadFrom(body); err != nil {
		rc.t.Fatalf("decode %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

func startNetworkOnly(t *testing.T) *Server {
	t.Helper()
	s := New(Config{Listeners: []Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}}, SocketRequestMaxBytes: 1 << 20})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(time.Second) })
	return s
}

func TestApiVersionsEveryVersion(t *testing.T) {
	s := startNetworkOnly(t)
	rc := dialRaw(t, s.Addr("PLAINTEXT"))
	for v := int16(0); v <= 4; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkakit-test", "1.0"
		resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 {
			t.Fatalf("v%d: error %d", v, resp.ErrorCode)
		}
		found := false
		for _, k := range resp.ApiKeys {
			if k.ApiKey == apiVersionsKey && k.MinVersion == 0 && k.MaxVersion == 4 {
				found = true
			}
		}
		if !found {
			t.Fatalf("v%d: ApiVersions range missing from %+v", v, resp.ApiKeys)
		}
	}
}

func TestApiVersionsUnknownVersionGetsV0Error(t *testing.T) {
	s := startNetworkOnly(t)
	rc := dialRaw(t, s.Addr("PLAINTEXT"))
	// A header for ApiVersions v9 (a version we do not serve) with an empty body.
	b := []byte{0, 0, 0, 0, 0, 18, 0, 9, 0, 0, 0, 7, 0, 1, 'x', 0, 0, 0}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	rc.send(b)
	corr, body, err := rc.recv()
	if err != nil {
		t.Fatal(err)
	}
	if corr != 7 {
		t.Fatalf("correlation id: got %d, want 7", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("error code: got %d, want %d", resp.ErrorCode, kerr.UnsupportedVersion.Code)
	}
	if len(resp.ApiKeys) != 1 || resp.ApiKeys[0].ApiKey != 18 || resp.ApiKeys[0].MaxVersion != 4 {
		t.Fatalf("api keys: got %+v, want only ApiVersions 0-4", resp.ApiKeys)
	}
	// The connection stays usable.
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	rc.roundTrip(req)
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	s := startNetworkOnly(t)
	good := dialRaw(t, s.Addr("PLAINTEXT"))
	cases := []struct {
		name string
		b    []byte
	}{
		{"oversized", []byte{0x7f, 0xff, 0xff, 0xff}},
		{"negative size", []byte{0xff, 0xff, 0xff, 0xff}},
		{"too short for header", []byte{0, 0, 0, 2, 0, 18}},
		{"unknown api key", []byte{0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"unsupported version", []byte{0, 0, 0, 10, 0, 3, 0x7f, 0, 0, 0, 0, 1, 0, 0}},
		{"garbage body", append([]byte{0, 0, 0, 14, 0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 0}, 0xff, 0xff, 0xff)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := dialRaw(t, s.Addr("PLAINTEXT"))
			bad.send(tc.b)
			if _, _, err := bad.recv(); err == nil {
				t.Fatal("got a response, want the connection closed")
			}
			req := kmsg.NewPtrApiVersionsRequest()
			good.roundTrip(req)
		})
	}
}

func TestPipelinedResponsesInOrder(t *testing.T) {
	s := startNetworkOnly(t)
	rc := dialRaw(t, s.Addr("PLAINTEXT"))
	var all []byte
	for i := int32(1); i <= 50; i++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = int16(i % 5)
		all = append(all, frame(req, i, "p")...)
	}
	rc.send(all)
	for i := int32(1); i <= 50; i++ {
		corr, _, err := rc.recv()
		if err != nil {
			t.Fatal(err)
		}
		if corr != i {
			t.Fatalf("response %d: got correlation id %d", i, corr)
		}
	}
}
