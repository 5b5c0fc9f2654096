package config

import (
	"bytes"
	"strings"
	"testing"
)

const sampleServerProperties = `# A KRaft node that is broker and controller at once.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`

// FuzzParseProperties checks that any input parses without panicking, that
// line numbers are sane, and that formatting the entries and parsing them
// again gives the same keys and values.
func FuzzParseProperties(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("a"))
	f.Add([]byte("a=b\n"))
	f.Add([]byte("a=b\\"))                                                // truncated continuation
	f.Add([]byte("k=\\u00"))                                              // truncated escape
	f.Add([]byte("k=\\uD83D\\uDE00\r\n"))                                 // surrogate pair
	f.Add([]byte(sampleServerProperties))                                 // valid
	f.Add([]byte(sampleServerProperties + "\x00\xff==::\\\\u\\\r\n\t#!")) // valid plus garbage
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(bytes.NewReader(data))
		if err != nil {
			if !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		prev := 0
		for _, p := range props {
			if p.Line < 1 || p.Line > lines || p.Line < prev {
				t.Fatalf("entry %q at line %d: out of order or range (previous %d, lines ≤ %d)", p.Key, p.Line, prev, lines)
			}
			prev = p.Line
		}
		var buf bytes.Buffer
		if err := FormatProperties(&buf, props); err != nil {
			t.Fatal(err)
		}
		again, err := ParseProperties(&buf)
		if err != nil {
			t.Fatalf("re-parse of formatted entries: %v\n%q", err, buf.String())
		}
		if len(again) != len(props) {
			t.Fatalf("round trip: %d entries, want %d", len(again), len(props))
		}
		for i := range props {
			if again[i].Key != props[i].Key || again[i].Value != props[i].Value {
				t.Fatalf("round trip entry %d: got %q=%q, want %q=%q", i, again[i].Key, again[i].Value, props[i].Key, props[i].Value)
			}
		}
	})
}
