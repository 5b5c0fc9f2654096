package configs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func strp(s string) *string { return &s }

func TestResourceHeader(t *testing.T) {
	tests := []struct {
		view resourceView
		want string
	}{
		{resourceView{EntityType: "topics", Name: "t"}, "Dynamic configs for topic t are:"},
		{resourceView{EntityType: "topics", Name: "t", All: true}, "All configs for topic t are:"},
		{resourceView{EntityType: "brokers", Name: "1"}, "Dynamic configs for broker 1 are:"},
		{resourceView{EntityType: "brokers", Default: true}, "Default configs for brokers in the cluster are:"},
		{resourceView{EntityType: "broker-loggers", Name: "1"}, "Dynamic configs for broker-logger 1 are:"},
		{resourceView{EntityType: "client-metrics", Name: "m"}, "Dynamic configs for client-metric m are:"},
	}
	for _, tt := range tests {
		if got := resourceHeader(tt.view); got != tt.want {
			t.Errorf("resourceHeader(%+v): got %q, want %q", tt.view, got, tt.want)
		}
	}
}

// TestConfigViews describes entries as sarama decodes them: filtered by
// source, sorted by name, nulls restored, synonyms in the broker's order.
func TestConfigViews(t *testing.T) {
	entries := []sarama.ConfigEntry{
		{Name: "segment.bytes", Value: "100000", Source: sarama.SourceTopic, Type: sarama.IntConfigType,
			Synonyms: []*sarama.ConfigSynonym{
				{ConfigName: "segment.bytes", ConfigValue: "100000", Source: sarama.SourceTopic},
				{ConfigName: "log.segment.bytes", ConfigValue: "1073741824", Source: sarama.SourceDefault},
			}},
		{Name: "cleanup.policy", Value: "compact", Source: sarama.SourceTopic, Type: sarama.ListConfigType,
			Synonyms: []*sarama.ConfigSynonym{
				{ConfigName: "cleanup.policy", ConfigValue: "compact", Source: sarama.SourceTopic},
				{ConfigName: "log.cleanup.policy", ConfigValue: "delete", Source: sarama.SourceDefault},
			}},
		{Name: "retention.ms", Value: "604800000", Source: sarama.SourceDefault, Type: sarama.LongConfigType},
		{Name: "follower.replication.throttled.replicas", Value: "", Source: sarama.SourceDefault, Type: sarama.ListConfigType},
	}
	src := sarama.SourceTopic
	var b strings.Builder
	for _, c := range configViews(resourceTopic, entries, &src) {
		b.WriteString(configLine(c) + "\n")
	}
	want := "  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n" +
		"  segment.bytes=100000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:segment.bytes=100000, DEFAULT_CONFIG:log.segment.bytes=1073741824}\n"
	if b.String() != want {
		t.Errorf("dynamic topic configs:\ngot\n%swant\n%s", b.String(), want)
	}

	all := configViews(resourceTopic, entries, nil)
	if len(all) != 4 || all[1].Name != "follower.replication.throttled.replicas" {
		t.Fatalf("all configs: got %+v", all)
	}
	if got := configLine(all[1]); got != "  follower.replication.throttled.replicas= sensitive=false synonyms={}" {
		t.Errorf("empty list default: got %q", got)
	}
}

// TestEntryValue pins the null recovery for values sarama reads as "".
func TestEntryValue(t *testing.T) {
	tests := []struct {
		name      string
		typ       sarama.ConfigResourceType
		config    string
		value     string
		sensitive bool
		source    sarama.ConfigSource
		ct        sarama.ConfigType
		want      string
	}{
		{"sensitive", resourceBroker, "listener.name.plaintext.ssl.key.password", "", true, sarama.SourceDynamicBroker, sarama.PasswordConfigType, "null"},
		{"sensitive with a value", resourceBroker, "x", "v", true, sarama.SourceDynamicBroker, sarama.PasswordConfigType, "null"},
		{"set value", resourceBroker, "log.retention.ms", "5000", false, sarama.SourceDynamicBroker, sarama.LongConfigType, "5000"},
		{"empty number", resourceBroker, "log.roll.ms", "", false, sarama.SourceDefault, sarama.LongConfigType, "null"},
		{"null default", resourceBroker, "advertised.listeners", "", false, sarama.SourceDefault, sarama.StringConfigType, "null"},
		{"empty default", resourceBroker, "authorizer.class.name", "", false, sarama.SourceDefault, sarama.StringConfigType, ""},
		{"empty topic default", resourceTopic, "leader.replication.throttled.replicas", "", false, sarama.SourceDefault, sarama.ListConfigType, ""},
		{"empty override", resourceTopic, "leader.replication.throttled.replicas", "", false, sarama.SourceTopic, sarama.ListConfigType, ""},
		{"unknown config default", resourceBroker, "some.plugin.config", "", false, sarama.SourceDefault, sarama.StringConfigType, "null"},
	}
	for _, tt := range tests {
		got := nullable(entryValue(tt.typ, tt.config, tt.value, tt.sensitive, tt.source, tt.ct))
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestQuotaViews orders quota entities as Kafka's admin client's HashMap
// does (vector from OpenJDK 17) and renders Kafka's lines.
func TestQuotaViews(t *testing.T) {
	named := func(typ sarama.QuotaEntityType, name string) sarama.QuotaEntityComponent {
		return sarama.QuotaEntityComponent{EntityType: typ, MatchType: sarama.QuotaMatchExact, Name: name}
	}
	def := func(typ sarama.QuotaEntityType) sarama.QuotaEntityComponent {
		return sarama.QuotaEntityComponent{EntityType: typ, MatchType: sarama.QuotaMatchDefault}
	}
	user, client, ip := sarama.QuotaEntityUser, sarama.QuotaEntityClientID, sarama.QuotaEntityIP
	v := map[string]float64{"producer_byte_rate": 1024, "consumer_byte_rate": 2e7, "request_percentage": 50, "controller_mutation_rate": 0.5}
	entries := []sarama.DescribeClientQuotasEntry{
		{Entity: []sarama.QuotaEntityComponent{named(user, "alice")}, Values: v},
		{Entity: []sarama.QuotaEntityComponent{def(user)}, Values: v},
		{Entity: []sarama.QuotaEntityComponent{named(client, "c1")}, Values: v},
		{Entity: []sarama.QuotaEntityComponent{named(user, "bob"), named(client, "c2")}, Values: v},
		{Entity: []sarama.QuotaEntityComponent{named(ip, "10.0.0.1")}, Values: map[string]float64{"connection_creation_rate": 10}},
		{Entity: []sarama.QuotaEntityComponent{def(ip)}, Values: map[string]float64{"connection_creation_rate": 10}},
		{Entity: []sarama.QuotaEntityComponent{named(user, "alice"), def(client)}, Values: v},
		{Entity: []sarama.QuotaEntityComponent{def(client)}, Values: v},
	}
	var b strings.Builder
	for _, q := range quotaViews(entries) {
		b.WriteString(quotaLine(q) + "\n")
	}
	const values = "producer_byte_rate=1024.0, consumer_byte_rate=2.0E7, controller_mutation_rate=0.5, request_percentage=50.0"
	want := "Quota configs for client-id 'c1' are " + values + "\n" +
		"Quota configs for user-principal 'alice' are " + values + "\n" +
		"Quota configs for the default ip are connection_creation_rate=10.0\n" +
		"Quota configs for user-principal 'bob', client-id 'c2' are " + values + "\n" +
		"Quota configs for user-principal 'alice', the default client-id are " + values + "\n" +
		"Quota configs for the default user-principal are " + values + "\n" +
		"Quota configs for ip '10.0.0.1' are connection_creation_rate=10.0\n" +
		"Quota configs for the default client-id are " + values + "\n"
	if b.String() != want {
		t.Errorf("quota lines:\ngot\n%swant\n%s", b.String(), want)
	}
}

func TestScramViews(t *testing.T) {
	results := []*sarama.DescribeUserScramCredentialsResult{
		{User: "alice", CredentialInfos: []*sarama.UserScramCredentialsResponseInfo{
			{Mechanism: sarama.SCRAM_MECHANISM_SHA_256, Iterations: 4096},
			{Mechanism: sarama.SCRAM_MECHANISM_SHA_512, Iterations: 8192},
		}},
		{User: "nobody", ErrorCode: sarama.KError(kerr.ResourceNotFound.Code), ErrorMessage: strp("Attempt to describe a user credential that does not exist: nobody")},
		{User: "bob", ErrorCode: sarama.KError(kerr.DuplicateResource.Code), ErrorMessage: strp("Cannot describe SCRAM credentials for the same user twice in a single request: bob")},
	}
	var b strings.Builder
	for _, v := range scramViews(results) {
		b.WriteString(scramLine(v) + "\n")
	}
	want := "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=8192\n" +
		"Error retrieving SCRAM credential configs for user-principal 'bob': ExecutionException: org.apache.kafka.common.errors.DuplicateResourceException: Cannot describe SCRAM credentials for the same user twice in a single request: bob\n"
	if b.String() != want {
		t.Errorf("scram lines:\ngot\n%swant\n%s", b.String(), want)
	}
}

func TestParseScram(t *testing.T) {
	tests := []struct {
		in   string
		want string // "iterations password" or the error
	}{
		{"password=secret", "4096 secret"},
		{"iterations=8192,password=a,b=c", "8192 a,b=c"},
		{"iterations=-1,password=p", "4096 p"},
		{"iterations=,password=p", `For input string: ""`},
		{"iterations=99999999999,password=p", `For input string: "99999999999"`},
		{"iterations=100,password=p", "Iterations 100 is less than the minimum 4096 required for SCRAM-SHA-256"},
		{"iterations=-5,password=p", "Iterations -5 is less than the minimum 4096 required for SCRAM-SHA-256"},
		{"secret", "Invalid credential property SCRAM_SHA_256=secret"},
		{"password=a\nb", "Invalid credential property SCRAM_SHA_256=password=a\nb"},
	}
	for _, tt := range tests {
		c, err := parseScram("SCRAM-SHA-256", tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = itoa32(c.iterations) + " " + c.password
		}
		if got != tt.want {
			t.Errorf("parseScram(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDeleted(t *testing.T) {
	o := parse(t, "--delete-config", "a, b ,,c", "--delete-config", ",", "--delete-config", "d")
	if got, want := o.parseDeleted(), []string{"a", "b", "c", ",", "d"}; !equal(got, want) {
		t.Errorf("parseDeleted: got %q, want %q", got, want)
	}
}

func TestParseAdded(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "add.properties")
	if err := os.WriteFile(file, []byte("# comment\nretention.ms = 1000\ncleanup.policy=compact,delete\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.properties")
	if err := os.WriteFile(bad, []byte("a$b=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    string // "k=v;..." in iteration order, or the error
		wantOut string
	}{
		{"brackets", []string{"--add-config", "k2=[a,b],k1=v"}, "k1=v;k2=a,b", ""},
		{"empty value", []string{"--add-config", "ssl.endpoint.identification.algorithm="}, "ssl.endpoint.identification.algorithm=", ""},
		{"last one wins", []string{"--add-config", "a=1,a=2"}, "a=2", ""},
		{"bad format", []string{"--add-config", "a"}, `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".`, ""},
		{"bad key", []string{"--add-config", "a b=1"}, "Invalid character found for config key: a b", ""},
		{"file", []string{"--add-config-file", file}, "cleanup.policy=compact,delete;retention.ms=1000", ""},
		{"bad key in file", []string{"--add-config-file", bad}, "Invalid character found for config key: a$b", ""},
		{"missing file", []string{"--add-config-file", filepath.Join(dir, "nope")}, "java.nio.file.NoSuchFileException: " + filepath.Join(dir, "nope"), ""},
		{"add-config twice", []string{"--add-config", "a=1", "--add-config", "b=2"}, "Found multiple arguments for option add-config, but you asked for only one", ""},
		{"message.format.version warns", []string{"--add-config", "message.format.version=2.8"}, "message.format.version=2.8",
			"WARNING: The configuration message.format.version=2.8 is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parse(t, tt.args...)
			var out bytes.Buffer
			o.IO.Out = &out
			added, err := o.parseAdded()
			var got string
			if err != nil {
				got = javaTextOrMsg(err)
			} else {
				var kv []string
				for _, k := range added.keys.items {
					kv = append(kv, k+"="+added.values[k])
				}
				got = strings.Join(kv, ";")
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout: got %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
}

func javaTextOrMsg(err error) string {
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return ee.Msg
	}
	return javaText(err)
}

func FuzzParseScram(f *testing.F) {
	for _, s := range []string{"", "password=", "iterations=4096,password=x", "iterations=", "iterations=1,password=x\xff", "password=x,iterations=5garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseScram("SCRAM-SHA-512", s)
		if err == nil && (c.iterations < scramMinIterations || !strings.HasSuffix(s, c.password)) {
			t.Fatalf("%q: accepted %+v", s, c)
		}
	})
}
