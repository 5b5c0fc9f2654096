package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configs.md from the registry")

// TestDefaultsParse checks every table entry: a documented name, a default
// that parses and satisfies its own validator, written in canonical form.
func TestDefaultsParse(t *testing.T) {
	all := map[string][]Def{
		"broker": brokerDefs, "topic": topicDefs, "client quota": clientQuotaDefs,
		"ip quota": ipQuotaDefs, "client metrics": clientMetricsDefs,
	}
	for kind, defs := range all {
		seen := map[string]bool{}
		for _, d := range defs {
			if seen[d.Name] {
				t.Errorf("%s config %s defined twice", kind, d.Name)
			}
			seen[d.Name] = true
			if d.Doc == "" || d.Type == TypeUnknown {
				t.Errorf("%s config %s: missing doc or type", kind, d.Name)
			}
			if d.NullDefault {
				if d.Default != "" {
					t.Errorf("%s config %s: null default with a value", kind, d.Name)
				}
				continue
			}
			got, err := d.Parse(d.Default)
			if err != nil {
				t.Errorf("%s config %s: default %q: %v", kind, d.Name, d.Default, err)
				continue
			}
			if got != d.Default {
				t.Errorf("%s config %s: default %q is not canonical (%q)", kind, d.Name, d.Default, got)
			}
		}
	}
}

// TestTopicSynonyms checks the topic table against the broker table the
// way Kafka's DynamicLogConfig builds its reconfigurable set: every broker
// synonym exists, its first synonym is cluster-wide dynamic (except the
// deprecated message format), and types line up.
func TestTopicSynonyms(t *testing.T) {
	if len(topicDefs) != 36 {
		t.Errorf("%d topic configs, Kafka 3.9 defines 36", len(topicDefs))
	}
	for _, d := range topicDefs {
		for i, s := range d.Synonyms {
			b, ok := brokerDef(s.Name)
			if !ok {
				t.Errorf("%s: synonym %s is not a broker config", d.Name, s.Name)
				continue
			}
			if i == 0 && d.Name != "message.format.version" && b.Mode != ClusterWide {
				t.Errorf("%s: first synonym %s is %s, want cluster-wide", d.Name, s.Name, b.Mode)
			}
			if i > 0 && b.Mode != ReadOnly {
				t.Errorf("%s: later synonym %s is %s, want read-only", d.Name, s.Name, b.Mode)
			}
			if s.Unit == AsIs && b.Type != d.Type {
				t.Errorf("%s is %s but synonym %s is %s", d.Name, d.Type, s.Name, b.Type)
			}
		}
	}
}

func TestLookups(t *testing.T) {
	d, ok := LookupTopic("retention.ms")
	if !ok || d.Type != TypeLong || len(d.Synonyms) != 3 {
		t.Fatalf("LookupTopic(retention.ms) = %+v, %v", d, ok)
	}
	d.Synonyms[0].Name = "changed"
	if again, _ := LookupTopic("retention.ms"); again.Synonyms[0].Name != "log.retention.ms" {
		t.Errorf("LookupTopic returned shared state")
	}
	if _, ok := LookupBroker("retention.ms"); ok {
		t.Errorf("retention.ms is not a broker config")
	}
	if b, ok := LookupBroker("ssl.key.password"); !ok || !b.Sensitive() || b.Mode != PerBroker {
		t.Errorf("ssl.key.password: %+v", b)
	}
	if b, _ := LookupBroker("log.retention.hours"); b.Mode != ReadOnly || b.Mode.String() != "read-only" {
		t.Errorf("log.retention.hours mode %s", b.Mode)
	}
	for _, list := range [][]string{TopicConfigNames(), DynamicBrokerConfigNames(), UserConfigNames(), ClientConfigNames(), IPConfigNames(), ClientMetricsConfigNames()} {
		if !sort.StringsAreSorted(list) || len(list) == 0 {
			t.Errorf("names not sorted or empty: %v", list)
		}
	}
	if got := strings.Join(UserConfigNames(), ","); got != "SCRAM-SHA-256,SCRAM-SHA-512,consumer_byte_rate,controller_mutation_rate,producer_byte_rate,request_percentage" {
		t.Errorf("UserConfigNames = %s", got)
	}
	for _, n := range DynamicBrokerConfigNames() {
		if d, _ := LookupBroker(n); d.Mode == ReadOnly {
			t.Errorf("read-only %s listed as dynamic", n)
		}
	}
}

func TestHelpTexts(t *testing.T) {
	topics := TopicConfigHelp()
	if !strings.HasPrefix(topics, "A topic configuration override for the topic being created. The following is a list of valid configurations: \n\tcleanup.policy\n\tcompression.gzip.level\n") ||
		!strings.HasSuffix(topics, "\tunclean.leader.election.enable\nSee the Kafka documentation for full details on the topic configs. It is supported only in combination with --create if --bootstrap-server option is used (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option).") {
		t.Errorf("TopicConfigHelp:\n%s", topics)
	}
	add := AddConfigHelp()
	for _, want := range []string{
		"The following is a list of valid configurations: For entity-type 'topics': \n\tcleanup.policy\n",
		"\tunclean.leader.election.enable\nFor entity-type 'brokers': \n\tadvertised.listeners\n\tbackground.threads\n",
		"For entity-type 'users': \n\tSCRAM-SHA-256\n\tSCRAM-SHA-512\n\tconsumer_byte_rate\n",
		"For entity-type 'ips': \n\tconnection_creation_rate\nFor entity-type 'client-metrics': \n\tinterval.ms\n\tmatch\n\tmetrics\n",
		"Entity types 'users' and 'clients' may be specified together to update config for clients of a specific user.",
	} {
		if !strings.Contains(add, want) {
			t.Errorf("AddConfigHelp lacks %q", want)
		}
	}
}

// TestConfigsDoc keeps docs/configs.md equal to RenderMarkdown's output.
// Run with -update to rewrite it.
func TestConfigsDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "configs.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./internal/config -run TestConfigsDoc -update)", path, err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date: run go test ./internal/config -run TestConfigsDoc -update", path)
	}
	for _, want := range []string{
		"| `retention.ms` | long | 604800000 | [-1,...] | `log.retention.ms`, `log.retention.minutes`, `log.retention.hours` | medium |",
		"| `log.retention.ms` | long | null |  | cluster-wide | high |",
		"| `listeners` | string | PLAINTEXT://:9092 |  | per-broker | high |",
		"| `cleanup.policy` | list | delete | [compact, delete] |",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("rendered docs lack %q", want)
		}
	}
}
