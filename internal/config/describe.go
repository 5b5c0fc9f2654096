package config

import "sort"

// Source says where a config value comes from. The numeric values are the
// ConfigSource ids DescribeConfigs (v1+) puts on the wire.
type Source int8

const (
	Unknown              Source = 0
	DynamicTopic         Source = 1 // a topic override
	DynamicBroker        Source = 2 // dynamic config of this broker
	DynamicDefaultBroker Source = 3 // dynamic cluster-wide default
	StaticBroker         Source = 4 // server.properties / --override
	Default              Source = 5 // the built-in default
	DynamicBrokerLogger  Source = 6 // a broker logger level
	ClientMetrics        Source = 7
	Group                Source = 8
)

// String returns the name of Kafka's admin ConfigEntry.ConfigSource enum,
// which kafka-configs prints (DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, ...).
func (s Source) String() string {
	switch s {
	case DynamicTopic:
		return "DYNAMIC_TOPIC_CONFIG"
	case DynamicBroker:
		return "DYNAMIC_BROKER_CONFIG"
	case DynamicDefaultBroker:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case StaticBroker:
		return "STATIC_BROKER_CONFIG"
	case Default:
		return "DEFAULT_CONFIG"
	case DynamicBrokerLogger:
		return "DYNAMIC_BROKER_LOGGER_CONFIG"
	case ClientMetrics:
		return "DYNAMIC_CLIENT_METRICS_CONFIG"
	case Group:
		return "DYNAMIC_GROUP_CONFIG"
	}
	return "UNKNOWN"
}

// Entry is one config as DescribeConfigs reports it.
type Entry struct {
	Name  string
	Value string
	// Null is set when Kafka reports a null value: the config is unset, or
	// it is sensitive and its value is withheld.
	Null      bool
	Source    Source
	ReadOnly  bool
	Sensitive bool
	IsDefault bool // Source == Default (DescribeConfigs v0's is_default)
	// Synonyms are filled only when asked for: every place the config (or
	// a config that supplies it) is set, highest precedence first.
	Synonyms []Synonym
	Type     Type
	Doc      string
}

// Synonym is one place a config value is set.
type Synonym struct {
	Name   string
	Value  string
	Null   bool
	Source Source
}

// brokerSynonymNames is Kafka's DynamicBrokerConfig.brokerConfigSynonyms:
// the names that set the same broker setting, in priority order.
func brokerSynonymNames(name string) []string {
	switch name {
	case "log.roll.ms", "log.roll.hours":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms", "log.roll.jitter.hours":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	case "log.retention.ms", "log.retention.minutes", "log.retention.hours":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	}
	if base, ok := baseName(name); ok {
		return []string{name, base}
	}
	return []string{name}
}

// describer holds the usable layers for one describe call.
type describer struct {
	st, cluster, broker map[string]string
}

func (l Layers) describer() describer {
	st, cluster, broker := l.view().usable()
	return describer{st: st, cluster: cluster, broker: broker}
}

// synonyms is Kafka's ConfigHelper.configSynonyms: the entries of every
// synonym name in this broker's dynamic configs, then the cluster
// defaults, then the static configs, then the built-in defaults, with
// everything before the first entry named `name` dropped (so a base
// config does not list its listener overrides). A consequence Kafka has
// too: when `name` is set nowhere, not even by a default, the list is empty.
func (ds describer) synonyms(name string, names []string, sensitive bool) []Synonym {
	var out []Synonym
	add := func(m map[string]string, src Source) {
		for _, n := range names {
			if v, ok := m[n]; ok {
				s := Synonym{Name: n, Value: v, Source: src}
				if sensitive {
					s.Value, s.Null = "", true
				}
				out = append(out, s)
			}
		}
	}
	add(ds.broker, DynamicBroker)
	add(ds.cluster, DynamicDefaultBroker)
	add(ds.st, StaticBroker)
	defaults := map[string]string{}
	for _, n := range names {
		if d, ok := brokerDef(n); ok && !d.NullDefault {
			defaults[n] = d.defaultValue().String()
		}
	}
	add(defaults, Default)
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	return out
}

func wanted(keys []string) func(string) bool {
	if len(keys) == 0 {
		return func(string) bool { return true }
	}
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return func(n string) bool { return set[n] }
}

func sortEntries(es []Entry) []Entry {
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	return es
}

// brokerEntry builds one broker config entry (ConfigHelper.createBrokerConfigEntry).
func (ds describer) brokerEntry(name, val string, null bool, perBroker, includeSynonyms bool) Entry {
	d, known := resolveBroker(name)
	e := Entry{Name: name, Value: val, Null: null, Sensitive: !known || d.Sensitive()}
	if known {
		e.Type = d.Type
		if d.Name == name {
			e.Doc = d.Doc
		}
	}
	if e.Sensitive {
		e.Value, e.Null = "", true
	}
	syns := ds.synonyms(name, brokerSynonymNames(name), e.Sensitive)
	if !perBroker {
		kept := syns[:0:0]
		for _, s := range syns {
			if s.Source == DynamicDefaultBroker {
				kept = append(kept, s)
			}
		}
		syns = kept
	}
	e.Source = Default
	if len(syns) > 0 {
		e.Source = syns[0].Source
	}
	e.IsDefault = e.Source == Default
	exact, isExact := brokerDef(name)
	e.ReadOnly = !isExact || exact.Mode == ReadOnly || exact.DynamicOnly
	if includeSynonyms {
		e.Synonyms = syns
	}
	return e
}

// DescribeBroker describes this broker's configs (DescribeConfigs on
// broker resource "<node id>"): every defined broker config with its
// effective value, plus any listener override or dynamic-only config set
// in a layer, sorted by name. keys restricts the result to those names
// (nil or empty: all). Sources and synonyms follow Kafka's ConfigHelper.
func DescribeBroker(l Layers, keys []string, includeSynonyms bool) []Entry {
	ds := l.describer()
	v := l.view()
	want := wanted(keys)
	names := map[string]bool{}
	for _, d := range brokerDefs {
		if !d.DynamicOnly {
			names[d.Name] = true
		}
	}
	for _, n := range l.Names() {
		names[n] = true
	}
	var out []Entry
	for n := range names {
		if !want(n) {
			continue
		}
		val, null := brokerValue(v, n)
		out = append(out, ds.brokerEntry(n, val, null, true, includeSynonyms))
	}
	return sortEntries(out)
}

// brokerValue is the value DescribeBroker reports: the parsed effective
// value of a defined config, the raw string of anything else.
func brokerValue(v view, name string) (string, bool) {
	if d, ok := brokerDef(name); ok && !d.DynamicOnly {
		pv := v.value(name)
		return pv.String(), pv.null
	}
	raw, _, ok := v.raw(name)
	return raw, !ok
}

// Broker describes one broker config of this broker, synonyms included,
// as DescribeBroker does. Names that are neither broker configs nor
// listener overrides of one give an *Error.
func (l Layers) Broker(name string) (Entry, error) {
	if _, ok := resolveBroker(name); !ok {
		return Entry{}, configError(name, "Unknown broker config name: %s", name)
	}
	val, null := brokerValue(l.view(), name)
	return l.describer().brokerEntry(name, val, null, true, true), nil
}

// DescribeClusterDefault describes the dynamic cluster-wide broker defaults
// (DescribeConfigs on broker resource ""): only the configs set there,
// with their raw values and only DYNAMIC_DEFAULT_BROKER_CONFIG synonyms.
func DescribeClusterDefault(l Layers, keys []string, includeSynonyms bool) []Entry {
	ds := l.describer()
	want := wanted(keys)
	var out []Entry
	for n, raw := range ds.cluster {
		if want(n) {
			out = append(out, ds.brokerEntry(n, raw, false, false, includeSynonyms))
		}
	}
	return sortEntries(out)
}

// DescribeTopic describes a topic's configs (DescribeConfigs on a topic
// resource): every topic config with its effective value, sorted by name.
// A config's synonyms are its override (DYNAMIC_TOPIC_CONFIG), if any,
// then the broker configs that supply its default as DescribeBroker lists
// them for the first of those names; the source is the first synonym's.
// So retention.ms with the static log.retention.hours=24 and a dynamic
// default log.retention.ms=1000 has source DYNAMIC_DEFAULT_BROKER_CONFIG,
// value 1000 and synonyms log.retention.ms=1000 (dynamic default),
// log.retention.hours=24 (static), log.retention.hours=168 (default).
func DescribeTopic(l Layers, overrides map[string]string, keys []string, includeSynonyms bool) []Entry {
	ds := l.describer()
	t := l.Topic(overrides)
	want := wanted(keys)
	var out []Entry
	for i := range topicDefs {
		d := &topicDefs[i]
		if !want(d.Name) {
			continue
		}
		val := t.values[i].String()
		var syns []Synonym
		if len(d.Synonyms) > 0 {
			s := d.Synonyms[0].Name
			syns = ds.synonyms(s, brokerSynonymNames(s), d.Sensitive())
		}
		if raw, ok := overrides[d.Name]; ok {
			if _, err := d.parse(raw); err == nil {
				syns = append([]Synonym{{Name: d.Name, Value: val, Source: DynamicTopic}}, syns...)
			}
		}
		e := Entry{Name: d.Name, Value: val, Type: d.Type, Doc: d.Doc, Sensitive: d.Sensitive(), Source: Default}
		if len(syns) > 0 {
			e.Source = syns[0].Source
		}
		e.IsDefault = e.Source == Default
		if includeSynonyms {
			e.Synonyms = syns
		}
		out = append(out, e)
	}
	return sortEntries(out)
}

// DescribeLoggers describes broker loggers and their levels (DescribeConfigs
// on a broker-logger resource): source DYNAMIC_BROKER_LOGGER_CONFIG, never
// sensitive or read-only, no synonyms, as Kafka reports them.
func DescribeLoggers(levels map[string]string, keys []string) []Entry {
	want := wanted(keys)
	var out []Entry
	for n, lvl := range levels {
		if want(n) {
			out = append(out, Entry{Name: n, Value: lvl, Source: DynamicBrokerLogger})
		}
	}
	return sortEntries(out)
}
