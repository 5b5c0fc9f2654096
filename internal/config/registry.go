package config

import (
	"regexp"
	"sort"
	"strings"
)

// Mode is how a broker config may change while the broker runs: Kafka's
// "dynamic update mode".
type Mode int8

const (
	// ReadOnly configs are read from server.properties at start-up only.
	ReadOnly Mode = iota
	// PerBroker configs can be changed dynamically for one broker at a time
	// (resource name = broker id), never as a cluster-wide default.
	PerBroker
	// ClusterWide configs can be changed dynamically per broker or as the
	// cluster-wide default (empty resource name).
	ClusterWide
)

func (m Mode) String() string {
	switch m {
	case PerBroker:
		return "per-broker"
	case ClusterWide:
		return "cluster-wide"
	}
	return "read-only"
}

// Importance is Kafka's documentation importance of a config.
type Importance int8

const (
	High Importance = iota
	Medium
	Low
)

func (i Importance) String() string {
	switch i {
	case High:
		return "high"
	case Medium:
		return "medium"
	}
	return "low"
}

// Unit says how a broker synonym's value converts to the topic config's
// unit (milliseconds for every converting synonym Kafka has).
type Unit int8

const (
	AsIs    Unit = iota // same unit
	Minutes             // value × 60 000
	Hours               // value × 3 600 000
)

// BrokerSynonym is a broker config that supplies a topic config's default.
type BrokerSynonym struct {
	Name string
	Unit Unit
}

// Def is one config definition. Defs come from the package's immutable
// tables; the accessors below return copies.
type Def struct {
	Name string
	Type Type
	// Default is Kafka's default in string form, as DescribeConfigs shows
	// it. NullDefault marks configs whose default is null (unset).
	Default     string
	NullDefault bool
	Valid       Validator // nil: any value of Type
	Importance  Importance
	// Mode applies to broker configs.
	Mode Mode
	// DynamicOnly broker configs exist only as dynamic configs (Kafka's
	// replication throttle rates); server.properties cannot set them.
	DynamicOnly bool
	// Synonyms are, for a topic config, the broker configs its default
	// comes from, in Kafka's priority order (the first one set wins).
	Synonyms []BrokerSynonym
	Doc      string
}

// Sensitive reports whether the config's values are secrets.
func (d Def) Sensitive() bool { return d.Type.Sensitive() }

// ValidValues is the "valid values" text of Kafka's documentation.
func (d Def) ValidValues() string {
	if d.Valid == nil {
		return ""
	}
	return d.Valid.String()
}

// Parse parses and validates one value for this config with Kafka's rules
// and messages. It returns the value in Kafka's canonical string form
// (trimmed, lists re-joined with ",", numbers normalised).
func (d Def) Parse(raw string) (string, error) {
	v, err := d.parse(raw)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

func (d Def) parse(raw string) (value, error) {
	v, err := parseValue(d.Name, raw, d.Type)
	if err != nil {
		return v, err
	}
	if d.Valid != nil {
		if err := d.Valid.check(d.Name, v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// defaultValue is the parsed default (null when there is none).
func (d Def) defaultValue() value {
	if d.NullDefault {
		return value{t: d.Type, null: true}
	}
	v, err := parseValue(d.Name, d.Default, d.Type)
	if err != nil {
		// The tables are checked by TestDefaultsParse; a bad entry is a bug.
		return value{t: d.Type, null: true}
	}
	return v
}

func (d Def) clone() Def {
	d.Synonyms = append([]BrokerSynonym(nil), d.Synonyms...)
	return d
}

type index map[string]int

func indexOf(defs []Def) index {
	m := make(index, len(defs))
	for i, d := range defs {
		m[d.Name] = i
	}
	return m
}

// The lookup indexes, built once from the immutable tables.
var (
	brokerIndex = indexOf(brokerDefs)
	topicIndex  = indexOf(topicDefs)
)

func brokerDef(name string) (*Def, bool) {
	i, ok := brokerIndex[name]
	if !ok {
		return nil, false
	}
	return &brokerDefs[i], true
}

func topicDef(name string) (*Def, bool) {
	i, ok := topicIndex[name]
	if !ok {
		return nil, false
	}
	return &topicDefs[i], true
}

// listenerPrefixed matches Kafka's per-listener overrides,
// listener.name.<listener>.<config>.
var listenerPrefixed = regexp.MustCompile(`^listener\.name\.[^.]*\.(.*)$`)

// listenerBase returns the base config name of a listener override.
func listenerBase(name string) (string, bool) {
	m := listenerPrefixed.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// LookupBroker returns the definition of a broker config.
func LookupBroker(name string) (Def, bool) {
	d, ok := brokerDef(name)
	if !ok {
		return Def{}, false
	}
	return d.clone(), true
}

// LookupTopic returns the definition of a topic config.
func LookupTopic(name string) (Def, bool) {
	d, ok := topicDef(name)
	if !ok {
		return Def{}, false
	}
	return d.clone(), true
}

// BrokerDefs returns every broker config definition, sorted by name.
func BrokerDefs() []Def { return sortedCopy(brokerDefs) }

// TopicDefs returns every topic config definition, sorted by name.
func TopicDefs() []Def { return sortedCopy(topicDefs) }

// QuotaDefs returns the client quota definitions for an entity type:
// QuotaUser, QuotaClient or QuotaIP. Users also accept the SCRAM
// credential keys (see UserConfigNames), which are not quotas.
func QuotaDefs(e QuotaEntity) []Def {
	if e == QuotaIP {
		return sortedCopy(ipQuotaDefs)
	}
	return sortedCopy(clientQuotaDefs)
}

// ClientMetricsDefs returns the client-metrics subscription configs (KIP-714).
func ClientMetricsDefs() []Def { return sortedCopy(clientMetricsDefs) }

func sortedCopy(defs []Def) []Def {
	out := make([]Def, len(defs))
	for i, d := range defs {
		out[i] = d.clone()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func names(defs []Def, keep func(Def) bool) []string {
	var out []string
	for _, d := range defs {
		if keep == nil || keep(d) {
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out
}

// TopicConfigNames lists every topic config name, sorted (Kafka's
// LogConfig.configNames).
func TopicConfigNames() []string { return names(topicDefs, nil) }

// DynamicBrokerConfigNames lists the broker configs that can be changed
// at run time, sorted (what kafka-configs accepts for entity-type brokers).
func DynamicBrokerConfigNames() []string {
	return names(brokerDefs, func(d Def) bool { return d.Mode != ReadOnly })
}

// ClientConfigNames lists the quota keys valid for client ids, sorted.
func ClientConfigNames() []string { return names(clientQuotaDefs, nil) }

// UserConfigNames lists the keys valid for users: the SCRAM mechanisms
// and the client quota keys, sorted.
func UserConfigNames() []string {
	out := append(ClientConfigNames(), scramMechanisms...)
	sort.Strings(out)
	return out
}

// IPConfigNames lists the quota keys valid for IP addresses.
func IPConfigNames() []string { return names(ipQuotaDefs, nil) }

// ClientMetricsConfigNames lists the client-metrics subscription keys.
func ClientMetricsConfigNames() []string { return names(clientMetricsDefs, nil) }

// TopicConfigHelp is the description of kafka-topics' --config option, as
// Kafka 3.9's TopicCommand builds it from the topic config names.
func TopicConfigHelp() string {
	var b strings.Builder
	b.WriteString("A topic configuration override for the topic being created. The following is a list of valid configurations: \n")
	for _, n := range TopicConfigNames() {
		b.WriteString("\t" + n + "\n")
	}
	b.WriteString("See the Kafka documentation for full details on the topic configs. It is supported only in combination with --create if --bootstrap-server option is used (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option).")
	return b.String()
}

// AddConfigHelp is the description of kafka-configs' --add-config option,
// as Kafka 3.9's ConfigCommand builds it from the registry.
func AddConfigHelp() string {
	var b strings.Builder
	b.WriteString("Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. The following is a list of valid configurations: ")
	section := func(entity string, list []string) {
		b.WriteString("For entity-type '" + entity + "': \n")
		for _, n := range list {
			b.WriteString("\t" + n + "\n")
		}
	}
	section("topics", TopicConfigNames())
	section("brokers", DynamicBrokerConfigNames())
	section("users", UserConfigNames())
	section("clients", ClientConfigNames())
	section("ips", IPConfigNames())
	section("client-metrics", ClientMetricsConfigNames())
	b.WriteString("Entity types 'users' and 'clients' may be specified together to update config for clients of a specific user.")
	return b.String()
}
