package config

import (
	"math"
	"sort"
)

// Layers holds one broker's config layers as raw strings, keyed by config
// name (listener overrides, listener.name.<l>.<config>, included):
//
//   - Static: server.properties plus --override, as ParseServerProperties
//     returns them;
//   - ClusterDynamic: the dynamic cluster-wide default (broker resource "");
//   - BrokerDynamic: this broker's dynamic configs (broker resource "<id>").
//
// Layers is a value: treat its maps as immutable once built (the With
// methods copy), so the broker can publish a new Layers with an atomic
// pointer swap while readers keep using the old one. Methods never modify
// the maps and are safe for concurrent use.
//
// Precedence follows a Kafka broker: for one name, BrokerDynamic beats
// ClusterDynamic beats Static beats the default. Names that express the
// same setting in different units (log.retention.ms, .minutes, .hours)
// are resolved after that, the most precise one set wins wherever it was
// set, as Kafka's KafkaConfig does with its merged properties. Topic
// overrides (see Topic) beat all of them. Dynamic entries Kafka would drop
// (unknown, read-only, unparsable, or per-broker configs in the cluster
// default) are ignored, as Kafka's DynamicBrokerConfig ignores them.
type Layers struct {
	Static         map[string]string
	ClusterDynamic map[string]string
	BrokerDynamic  map[string]string
}

// WithClusterDynamic returns a copy of l with the cluster-wide dynamic
// layer replaced by a copy of m.
func (l Layers) WithClusterDynamic(m map[string]string) Layers {
	l.ClusterDynamic = copyMap(m)
	return l
}

// WithBrokerDynamic returns a copy of l with this broker's dynamic layer
// replaced by a copy of m.
func (l Layers) WithBrokerDynamic(m map[string]string) Layers {
	l.BrokerDynamic = copyMap(m)
	return l
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// mechanismConfigs are the listener configs Kafka also accepts per SASL
// mechanism, listener.name.<l>.<mechanism>.<config>.
var mechanismConfigs = []string{
	"sasl.jaas.config", "sasl.login.callback.handler.class", "sasl.login.class",
	"sasl.server.callback.handler.class", "connections.max.reauth.ms",
}

// baseName maps a listener override to the config it overrides (Kafka's
// brokerConfigSynonyms with matchListenerOverride).
func baseName(name string) (string, bool) {
	base, ok := listenerBase(name)
	if !ok {
		return "", false
	}
	for _, m := range mechanismConfigs {
		if len(base) >= len(m) && base[len(base)-len(m):] == m {
			return m, true
		}
	}
	return base, true
}

// resolveBroker finds the definition of a broker config name, resolving a
// listener override to its base config.
func resolveBroker(name string) (*Def, bool) {
	if d, ok := brokerDef(name); ok {
		return d, true
	}
	if base, ok := baseName(name); ok {
		return brokerDef(base)
	}
	return nil, false
}

// perBrokerOnly reports whether name may not be set as a cluster default
// (Kafka's PerBrokerConfigs and per-listener overrides).
func perBrokerOnly(name string) bool {
	if d, ok := brokerDef(name); ok {
		return d.Mode == PerBroker
	}
	if base, ok := listenerBase(name); ok {
		return !clusterLevelListenerConfigs[base]
	}
	return false
}

// dynamicOK reports whether a dynamic entry is one Kafka would apply.
func dynamicOK(name, raw string, perBroker bool) bool {
	d, ok := resolveBroker(name)
	if !ok {
		return false
	}
	if exact, isExact := brokerDef(name); isExact {
		if exact.Mode == ReadOnly || securityListenerOnly[name] {
			return false
		}
	}
	if !perBroker && perBrokerOnly(name) {
		return false
	}
	_, err := d.parse(raw)
	return err == nil
}

// dynamic returns the usable entries of a dynamic layer.
func dynamic(m map[string]string, perBroker bool) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if dynamicOK(k, v, perBroker) {
			out[k] = v
		}
	}
	return out
}

// staticOK reports whether a static entry is usable (server.properties
// values are validated when parsed; this guards hand-built Layers).
func staticOK(name, raw string) bool {
	d, ok := resolveBroker(name)
	if !ok || d.DynamicOnly && d.Name == name {
		return false
	}
	_, err := d.parse(raw)
	return err == nil
}

func static(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if staticOK(k, v) {
			out[k] = v
		}
	}
	return out
}

// view looks names up in the layers, skipping unusable entries.
type view struct{ l Layers }

func (l Layers) view() view { return view{l} }

// usable returns the three layers with unusable entries dropped.
func (v view) usable() (st, cluster, broker map[string]string) {
	return static(v.l.Static), dynamic(v.l.ClusterDynamic, false), dynamic(v.l.BrokerDynamic, true)
}

// raw returns the merged raw string for name and the layer it came from.
func (v view) raw(name string) (string, Source, bool) {
	if s, ok := v.l.BrokerDynamic[name]; ok && dynamicOK(name, s, true) {
		return s, DynamicBroker, true
	}
	if s, ok := v.l.ClusterDynamic[name]; ok && dynamicOK(name, s, false) {
		return s, DynamicDefaultBroker, true
	}
	if s, ok := v.l.Static[name]; ok && staticOK(name, s) {
		return s, StaticBroker, true
	}
	return "", Default, false
}

// value returns the merged, parsed value of a broker config name.
func (v view) value(name string) value {
	d, ok := resolveBroker(name)
	if !ok {
		return value{null: true}
	}
	if s, _, ok := v.raw(name); ok {
		if pv, err := d.parse(s); err == nil {
			return pv
		}
	}
	if d.Name != name {
		return value{t: d.Type, null: true} // a listener override that is not set
	}
	return d.defaultValue()
}

// topicDefault is the broker-level default of a topic config: the first of
// its broker synonyms that is set (defaults included), converted to the
// topic config's unit, with Kafka's special cases.
func (v view) topicDefault(d *Def) value {
	switch d.Name {
	case "message.format.version":
		// Ignored since inter-broker protocol 3.0, which KRaft mode pins:
		// the topic default is always the 3.0 format.
		return d.defaultValue()
	case "message.timestamp.before.max.ms", "message.timestamp.after.max.ms":
		// Until the difference setting is gone, it applies when the
		// before/after setting keeps its default (KafkaConfig).
		bv := v.value(d.Synonyms[0].Name)
		if bv.i == math.MaxInt64 {
			bv = v.value("log.message.timestamp.difference.max.ms")
		}
		bv.t = d.Type
		return bv
	}
	for _, syn := range d.Synonyms {
		bv := v.value(syn.Name)
		if bv.null {
			continue
		}
		switch syn.Unit {
		case Minutes:
			bv.i *= 60 * 1000
		case Hours:
			bv.i *= 60 * 60 * 1000
		}
		if d.Name == "retention.ms" && bv.i < 0 {
			bv.i = -1 // any negative retention means unlimited
		}
		bv.t = d.Type
		return bv
	}
	return d.defaultValue()
}

// Get returns the effective value of a broker config in Kafka's canonical
// string form, "" when it is unset (null) or unknown.
func (l Layers) Get(name string) string { return l.view().value(name).String() }

// IsSet reports whether name has a non-null effective value.
func (l Layers) IsSet(name string) bool {
	v := l.view().value(name)
	return !v.null && v.t != TypeUnknown
}

// Int32 returns the effective value of an INT or SHORT broker config (0 if
// it is null, unknown or of another type).
func (l Layers) Int32(name string) int32 { return int32(l.view().value(name).i) }

// Int64 returns the effective value of an INT, SHORT or LONG broker config.
func (l Layers) Int64(name string) int64 { return l.view().value(name).i }

// Bool returns the effective value of a BOOLEAN broker config.
func (l Layers) Bool(name string) bool { return l.view().value(name).b }

// Float64 returns the effective value of a DOUBLE broker config.
func (l Layers) Float64(name string) float64 { return l.view().value(name).f }

// List returns the effective value of a LIST broker config (a copy).
func (l Layers) List(name string) []string {
	return append([]string(nil), l.view().value(name).l...)
}

// Names returns every broker config name that has an entry in at least one
// usable layer, sorted.
func (l Layers) Names() []string {
	st, cluster, broker := l.view().usable()
	seen := map[string]bool{}
	for _, m := range []map[string]string{st, cluster, broker} {
		for k := range m {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
