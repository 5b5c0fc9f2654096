package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseServerPropertiesSample(t *testing.T) {
	path := writeFile(t, sampleServerProperties+"foo.bar=1\nleader.replication.throttled.rate=5\n")
	l, warnings, err := ParseServerProperties(path, []string{"num.partitions=3", "log.dirs=/data/a,/data/b"})
	if err != nil {
		t.Fatalf("ParseServerProperties: %v", err)
	}
	if got := l.NodeID(); got != 1 {
		t.Errorf("NodeID = %d", got)
	}
	if got := l.Static["broker.id"]; got != "1" {
		t.Errorf("broker.id not filled from node.id: %q", got)
	}
	if got := l.Int32("num.partitions"); got != 3 {
		t.Errorf("num.partitions = %d (override should win)", got)
	}
	if got := l.LogDirs(); !reflect.DeepEqual(got, []string{"/data/a", "/data/b"}) {
		t.Errorf("LogDirs = %q", got)
	}
	wantWarnings := []string{
		path + ":24: foo.bar: not a known broker config; ignored",
		path + ":25: leader.replication.throttled.rate: can only be set dynamically (kafka-configs); ignored",
	}
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, wantWarnings) {
		t.Errorf("warnings %q\nwant %q", got, wantWarnings)
	}
	ls, err := l.Listeners()
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{Listener: "PLAINTEXT", Port: 9092, SecurityProtocol: "PLAINTEXT"},
		{Listener: "CONTROLLER", Port: 9093, SecurityProtocol: "PLAINTEXT"},
	}
	if !reflect.DeepEqual(ls, want) {
		t.Errorf("Listeners = %+v", ls)
	}
	adv, err := l.AdvertisedListeners()
	if err != nil || len(adv) != 1 || adv[0].Host != "localhost" {
		t.Errorf("AdvertisedListeners = %+v, %v", adv, err)
	}
	voters, err := l.Voters()
	if err != nil || !reflect.DeepEqual(voters, []Voter{{ID: 1, Host: "localhost", Port: 9093}}) {
		t.Errorf("Voters = %+v, %v", voters, err)
	}
	e := entry(t, DescribeBroker(l, []string{"num.partitions"}, true), "num.partitions")
	if e.Source != StaticBroker || syn(e.Synonyms) != "{STATIC_BROKER_CONFIG:num.partitions=3, DEFAULT_CONFIG:num.partitions=1}" {
		t.Errorf("described num.partitions: %+v", e)
	}
}

func TestParseServerPropertiesZeroSetup(t *testing.T) {
	l, warnings, err := ParseServerProperties("", nil)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("empty configuration: %v %v", err, warnings)
	}
	ls, err := l.Listeners()
	if err != nil || len(ls) != 1 || ls[0].Port != 9092 || ls[0].Host != "" {
		t.Errorf("default listeners %+v %v", ls, err)
	}
	if _, _, err := ParseServerProperties("", []string{"listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=/tmp/x", "node.id=0"}); err != nil {
		t.Errorf("test broker configuration: %v", err)
	}
	// kafka-server's embedded defaults: a combined node that is its own quorum.
	embedded := []string{"node.id=1", "process.roles=broker,controller", "listeners=PLAINTEXT://localhost:9092",
		"log.dirs=/tmp/kafka-logs", "num.partitions=1", "auto.create.topics.enable=true"}
	if l, _, err := ParseServerProperties("", embedded); err != nil || l.NodeID() != 1 {
		t.Errorf("embedded defaults: %v", err)
	}
}

func TestParseServerPropertiesErrors(t *testing.T) {
	kraft := "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n" +
		"listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n"
	tests := []struct {
		name      string
		file      string
		overrides []string
		want      string // {file} stands for the file's path
	}{
		{name: "bad int", file: "# c\n\nnum.partitions=abc\n",
			want: "{file}:3: Invalid value abc for configuration num.partitions: Not a number of type INT"},
		{name: "last duplicate counts", file: "num.partitions=abc\nnum.partitions=2\nnum.io.threads=0\n",
			want: "{file}:3: Invalid value 0 for configuration num.io.threads: Value must be at least 1"},
		{name: "bad override", overrides: []string{"num.partitions=0"},
			want: "--override num.partitions=0: Invalid value 0 for configuration num.partitions: Value must be at least 1"},
		{name: "bare override key", overrides: []string{"num.partitions"},
			want: "--override num.partitions: Invalid value  for configuration num.partitions: Not a number of type INT"},
		{name: "listener override value", file: "listener.name.internal.max.connections=-3\n",
			want: "{file}:1: Invalid value -3 for configuration max.connections: Value must be at least 0"},
		{name: "ids differ", file: "node.id=1\nbroker.id=2\n",
			want: "{file}: You must set `node.id` to the same value as `broker.id`."},
		{name: "kraft without node id", file: "process.roles=broker,controller\ncontroller.quorum.voters=1@localhost:9093\n",
			want: "{file}: Missing configuration `node.id` which is required when `process.roles` is defined (i.e. when running in KRaft mode)."},
		{name: "single node quorum", file: "process.roles=broker,controller\nnode.id=1\n"},
		{name: "kraft without voters", file: "process.roles=broker,controller\nnode.id=1\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n",
			want: "{file}: If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers."},
		{name: "controller not a voter", file: strings.Replace(kraft, "1@", "2@", 1),
			want: "{file}: requirement failed: If process.roles contains the 'controller' role, the node id 1 must be included in the set of voters controller.quorum.voters=Set(2)"},
		{name: "controller listener missing", file: strings.Replace(kraft, ",CONTROLLER://:9093", "", 1),
			want: "{file}: requirement failed: controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role"},
		{name: "kraft ok", file: kraft},
		{name: "broker only without voters", file: "process.roles=broker\nnode.id=1\n",
			want: "{file}: If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers."},
		{name: "broker only", file: "process.roles=broker\nnode.id=2\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=CONTROLLER\n"},
		{name: "broker only listed as voter", file: "process.roles=broker\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=CONTROLLER\n",
			want: "{file}: requirement failed: If process.roles contains just the 'broker' role, the node id 1 must not be included in the set of voters controller.quorum.voters=Set(1)"},
		{name: "retention zero", file: "log.retention.hours=0\n",
			want: "{file}: requirement failed: log.retention.ms must be unlimited (-1) or, greater than or equal to 1"},
		{name: "roll zero", file: "log.roll.ms=0\n",
			want: "{file}: requirement failed: log.roll.ms must be greater than or equal to 1"},
		{name: "no log dirs", file: "log.dir=\n",
			want: "{file}: requirement failed: At least one log directory must be defined via log.dirs or log.dir."},
		{name: "dedupe buffer", file: "log.cleaner.dedupe.buffer.size=1048576\n",
			want: "{file}: requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."},
		{name: "fetch wait", file: "replica.fetch.wait.max.ms=40000\n",
			want: "{file}: requirement failed: replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts"},
		{name: "bad listener", file: "listeners=PLAINTEXT:9092\n",
			want: "{file}: Error creating broker listeners from 'PLAINTEXT:9092': Unable to parse PLAINTEXT:9092 to a broker endpoint"},
		{name: "duplicate listener ports", file: "listeners=PLAINTEXT://:9092,SSL://:9092\n",
			want: "{file}: requirement failed: Each listener must have a different port, listeners: PLAINTEXT://:9092,SSL://:9092"},
		{name: "ipv4 and ipv6 share a port", file: "listeners=PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092\ninter.broker.listener.name=PLAINTEXT\n"},
		{name: "unknown inter broker listener", file: "listeners=INTERNAL://:9092\nlistener.security.protocol.map=INTERNAL:PLAINTEXT\n",
			want: "{file}: requirement failed: inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are INTERNAL"},
		{name: "both inter broker settings", file: "inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT\n",
			want: "{file}: Only one of inter.broker.listener.name and security.inter.broker.protocol should be set."},
		{name: "advertise wildcard", file: "advertised.listeners=PLAINTEXT://0.0.0.0:9092\n",
			want: "{file}: requirement failed: advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address."},
		{name: "bad protocol map", file: "listener.security.protocol.map=PLAINTEXT:TLS\n",
			want: "{file}: Invalid security protocol `TLS` defined in listener.security.protocol.map"},
		{name: "malformed escape", file: "a=1\nb=\\uZZZZ\n",
			want: "{file}: line 2: malformed \\uxxxx encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, _, err := ParseServerProperties(path, tt.overrides)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParseServerProperties: %v", err)
				}
				return
			}
			want := strings.ReplaceAll(tt.want, "{file}", path)
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant %q", err, want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FileError")
			}
		})
	}
}

func TestParseServerPropertiesMissingFile(t *testing.T) {
	_, _, err := ParseServerProperties(filepath.Join(t.TempDir(), "nope.properties"), nil)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read server properties: open ") {
		t.Errorf("error = %v", err)
	}
}

func TestParseEndpoints(t *testing.T) {
	proto := map[string]string{"PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "INTERNAL": "SASL_PLAINTEXT"}
	tests := []struct {
		name     string
		in       string
		distinct bool
		want     []Endpoint
		wantErr  string
	}{
		{name: "one", in: "PLAINTEXT://localhost:9092", distinct: true,
			want: []Endpoint{{Listener: "PLAINTEXT", Host: "localhost", Port: 9092, SecurityProtocol: "PLAINTEXT"}}},
		{name: "lower case name and spaces", in: " plaintext://:9092 , internal://10.0.0.1:9093 ", distinct: true,
			want: []Endpoint{{Listener: "PLAINTEXT", Port: 9092, SecurityProtocol: "PLAINTEXT"}, {Listener: "INTERNAL", Host: "10.0.0.1", Port: 9093, SecurityProtocol: "SASL_PLAINTEXT"}}},
		{name: "ipv6", in: "SSL://[::1]:9093", distinct: true,
			want: []Endpoint{{Listener: "SSL", Host: "::1", Port: 9093, SecurityProtocol: "SSL"}}},
		{name: "port zero twice", in: "PLAINTEXT://:0,SSL://:0", distinct: true,
			want: []Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT"}, {Listener: "SSL", SecurityProtocol: "SSL"}}},
		{name: "same port advertised", in: "PLAINTEXT://a:1,SSL://b:1", distinct: false,
			want: []Endpoint{{Listener: "PLAINTEXT", Host: "a", Port: 1, SecurityProtocol: "PLAINTEXT"}, {Listener: "SSL", Host: "b", Port: 1, SecurityProtocol: "SSL"}}},
		{name: "same name", in: "PLAINTEXT://:1,PLAINTEXT://:2", distinct: true,
			wantErr: "requirement failed: Each listener must have a different name, listeners: PLAINTEXT://:1,PLAINTEXT://:2"},
		{name: "unknown protocol", in: "OTHER://:1", distinct: true,
			wantErr: "Error creating broker listeners from 'OTHER://:1': No security protocol defined for listener OTHER"},
		{name: "two ipv4 on one port", in: "PLAINTEXT://127.0.0.1:1,SSL://127.0.0.2:1", distinct: true,
			wantErr: "requirement failed: If you have two listeners on the same port then one needs to be IPv4 and the other IPv6, listeners: PLAINTEXT://127.0.0.1:1,SSL://127.0.0.2:1, port: 1"},
		{name: "huge port", in: "PLAINTEXT://:99999999999", distinct: true,
			wantErr: "Error creating broker listeners from 'PLAINTEXT://:99999999999': For input string: \"99999999999\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEndpoints(tt.in, proto, tt.distinct)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSecurityProtocolMapKRaftDefault(t *testing.T) {
	l := Layers{Static: map[string]string{"process.roles": "broker", "controller.listener.names": "CONTROLLER"}}
	m, err := l.SecurityProtocolMap()
	if err != nil {
		t.Fatal(err)
	}
	if m["CONTROLLER"] != "PLAINTEXT" || m["SASL_SSL"] != "SASL_SSL" {
		t.Errorf("map %v", m)
	}
	l.Static["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT"
	if m, _ := l.SecurityProtocolMap(); m["CONTROLLER"] != "" {
		t.Errorf("explicit map must not gain controller entries: %v", m)
	}
}

// FuzzParseEndpoints feeds arbitrary listener strings to the endpoint
// parser: no panic, and every endpoint it accepts has a known protocol and
// a port that fits.
func FuzzParseEndpoints(f *testing.F) {
	f.Add("")
	f.Add("PLAINTEXT")
	f.Add("PLAINTEXT://:9092")
	f.Add("PLAINTEXT://localhost:9092,SSL://[::1]:9093")
	f.Add("PLAINTEXT://localhost:9092,SSL://[::1]:9093,\x00://[:]:-1")
	proto := map[string]string{"PLAINTEXT": "PLAINTEXT", "SSL": "SSL"}
	f.Fuzz(func(t *testing.T, s string) {
		eps, err := ParseEndpoints(s, proto, true)
		if err != nil {
			return
		}
		for _, e := range eps {
			if proto[e.Listener] != e.SecurityProtocol || e.Port < -1<<31 || e.Port > 1<<31-1 {
				t.Fatalf("bad endpoint %+v from %q", e, s)
			}
		}
	})
}
