package config

import (
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ValidateTopicConfigs checks topic overrides the way Kafka's
// LogConfig.validate does without broker context: every name must be a
// topic config ("Unknown topic config name: x"), every value must parse
// and pass its validator (the first failure in Kafka's definition order is
// reported), and min.compaction.lag.ms may not exceed
// max.compaction.lag.ms. Errors unwrap to ErrInvalidConfig. Use
// Layers.ValidateTopic where the broker's defaults are known.
func ValidateTopicConfigs(overrides map[string]string) error {
	_, err := parseTopic(overrides, nil)
	return err
}

// parseTopic validates overrides and returns every topic config's value:
// overrides on top of base (nil: Kafka's LogConfig defaults).
func parseTopic(overrides map[string]string, base func(*Def) value) ([]value, error) {
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := topicDef(k); !ok {
			return nil, configError(k, "Unknown topic config name: %s", k)
		}
	}
	vals := make([]value, len(topicDefs))
	for i := range topicDefs {
		d := &topicDefs[i]
		if raw, ok := overrides[d.Name]; ok {
			v, err := d.parse(raw)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		} else if base != nil {
			vals[i] = base(d)
		} else {
			vals[i] = d.defaultValue()
		}
	}
	get := func(name string) value { return vals[topicIndex[name]] }
	minLag, maxLag := get("min.compaction.lag.ms").i, get("max.compaction.lag.ms").i
	if minLag > maxLag {
		return nil, configError("min.compaction.lag.ms",
			"conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", minLag, maxLag)
	}
	return vals, nil
}

// ValidateTopic checks topic overrides as Kafka's controller does when a
// topic is created or its configs change: ValidateTopicConfigs' checks
// with this broker's values as the defaults, plus the tiered storage rules.
// existing are the topic's current overrides (nil for a new topic); they
// matter only when remote storage is being turned off.
func (l Layers) ValidateTopic(overrides, existing map[string]string) error {
	v := l.view()
	vals, err := parseTopic(overrides, v.topicDefault)
	if err != nil {
		return err
	}
	get := func(name string) value { return vals[topicIndex[name]] }
	remote := get("remote.storage.enable").b
	if !remote {
		was, _ := strconv.ParseBool(existing["remote.storage.enable"])
		if was && !get("remote.log.delete.on.disable").b {
			return configError("remote.storage.enable", "It is invalid to disable remote storage without deleting remote data. "+
				"If you want to keep the remote data and turn to read only, please set `remote.storage.enable=true,remote.log.copy.disable=true`. "+
				"If you want to disable remote storage and delete all remote data, please set `remote.storage.enable=false,remote.log.delete.on.disable=true`.")
		}
		return nil
	}
	if !v.value("remote.log.storage.system.enable").b {
		return configError("remote.storage.enable", "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.")
	}
	for _, p := range get("cleanup.policy").l {
		if strings.Contains(strings.ToLower(p), "compact") {
			return configError("cleanup.policy", "Remote log storage is unsupported for the compacted topics")
		}
	}
	retBytes, localBytes := get("retention.bytes").i, get("local.retention.bytes").i
	if retBytes > -1 && localBytes != -2 {
		if localBytes == -1 {
			return invalidValue("local.retention.bytes", "-1", "Value must not be -1 as retention.bytes value is set as "+strconv.FormatInt(retBytes, 10)+".")
		}
		if localBytes > retBytes {
			return invalidValue("local.retention.bytes", strconv.FormatInt(localBytes, 10), "Value must not be more than retention.bytes property value: "+strconv.FormatInt(retBytes, 10))
		}
	}
	retMs, localMs := get("retention.ms").i, get("local.retention.ms").i
	if retMs != -1 && localMs != -2 {
		if localMs == -1 {
			return invalidValue("local.retention.ms", "-1", "Value must not be -1 as retention.ms value is set as "+strconv.FormatInt(retMs, 10)+".")
		}
		if localMs > retMs {
			return invalidValue("local.retention.ms", strconv.FormatInt(localMs, 10), "Value must not be more than retention.ms property value: "+strconv.FormatInt(retMs, 10))
		}
	}
	if get("remote.log.copy.disable").b {
		if localBytes != -2 && localBytes != retBytes {
			return configError("local.retention.bytes", "When `remote.log.copy.disable` is set to true, the `local.retention.bytes` and `retention.bytes` must be set to the identical value because there will be no more logs copied to the remote storage.")
		}
		if localMs != -2 && localMs != retMs {
			return configError("local.retention.ms", "When `remote.log.copy.disable` is set to true, the `local.retention.ms` and `retention.ms` must be set to the identical value because there will be no more logs copied to the remote storage.")
		}
	}
	return nil
}

// ValidateBrokerDynamic checks dynamic broker configs the way a Kafka
// broker does before it forwards an AlterConfigs or IncrementalAlterConfigs
// request for a broker resource: names must be dynamic configs,
// keystore/truststore settings may only be set per listener, values must
// parse, and per-broker configs may not be set as the cluster default
// (perBroker false). Errors unwrap to ErrInvalidRequest, the code Kafka
// answers with. Kafka accepts unknown names there (for plugins); this
// broker has no plugins, so it refuses them naming the key.
func ValidateBrokerDynamic(configs map[string]string, perBroker bool) error {
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var nonDynamic, listenerOnly, perBrokerNames []string
	for _, k := range keys {
		if _, ok := resolveBroker(k); !ok {
			return requestError(k, "Unknown broker config name: %s", k)
		}
		if d, ok := brokerDef(k); ok && d.Mode == ReadOnly {
			nonDynamic = append(nonDynamic, k)
		}
	}
	if len(nonDynamic) > 0 {
		return requestError(nonDynamic[0], "Cannot update these configs dynamically: %s", scalaSet(nonDynamic))
	}
	for _, k := range keys {
		if securityListenerOnly[k] {
			listenerOnly = append(listenerOnly, k)
		}
	}
	if len(listenerOnly) > 0 {
		return requestError(listenerOnly[0], "These security configs can be dynamically updated only per-listener using the listener prefix: %s", scalaSet(listenerOnly))
	}
	for _, k := range keys {
		d, _ := resolveBroker(k)
		if _, err := d.parse(configs[k]); err != nil {
			e := err.(*Error)
			return &Error{Kind: ErrInvalidRequest, Name: e.Name, Msg: e.Msg}
		}
	}
	if !perBroker {
		for _, k := range keys {
			if perBrokerOnly(k) {
				perBrokerNames = append(perBrokerNames, k)
			}
		}
		if len(perBrokerNames) > 0 {
			return requestError(perBrokerNames[0], "Cannot update these configs at default cluster level, broker id must be specified: %s", scalaSet(perBrokerNames))
		}
	}
	return nil
}

// ValidateReconfiguration checks a change of dynamic broker configs, from
// l (the current layers) to next, with the rules a Kafka broker applies
// before accepting it: next must be a valid whole configuration (see
// Validate), thread pools may at most double or halve in one step, and the
// connection limits must stay positive. Kafka reports the rule violations
// as "Invalid dynamic configuration" (the detail is in Error.Detail) and
// errors unwrap to ErrInvalidRequest.
func (l Layers) ValidateReconfiguration(next Layers) error {
	if err := next.Validate(); err != nil {
		e := err.(*Error)
		return &Error{Kind: ErrInvalidRequest, Name: e.Name, Msg: e.Msg}
	}
	fail := func(name, detail string) error {
		return &Error{Kind: ErrInvalidRequest, Name: name, Msg: "Invalid dynamic configuration", Detail: detail}
	}
	for _, n := range []string{"num.io.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir", "background.threads", "num.network.threads"} {
		old, nw := l.Int64(n), next.Int64(n)
		if old == nw {
			continue
		}
		msg := "Dynamic thread count update validation failed for " + n + "=" + strconv.FormatInt(nw, 10)
		switch {
		case nw <= 0:
			return fail(n, msg+", value should be at least 1")
		case nw < old/2:
			return fail(n, msg+", value should be at least half the current value "+strconv.FormatInt(old, 10))
		case nw > old*2:
			return fail(n, msg+", value should not be greater than double the current value "+strconv.FormatInt(old, 10))
		}
	}
	if old, nw := l.Int64("log.cleaner.threads"), next.Int64("log.cleaner.threads"); old != nw {
		switch {
		case nw < 1:
			return fail("log.cleaner.threads", "Log cleaner threads should be at least 1")
		case nw < old/2:
			return fail("log.cleaner.threads", "Log cleaner threads cannot be reduced to less than half the current value "+strconv.FormatInt(old, 10))
		case nw > old*2:
			return fail("log.cleaner.threads", "Log cleaner threads cannot be increased to more than double the current value "+strconv.FormatInt(old, 10))
		}
	}
	if n := next.Int64("max.connections"); n <= 0 {
		return fail("max.connections", "Invalid max.connections "+strconv.FormatInt(n, 10))
	}
	if n := next.Int64("max.connection.creation.rate"); n <= 0 {
		return fail("max.connection.creation.rate", "Invalid max.connection.creation.rate "+strconv.FormatInt(n, 10))
	}
	return nil
}

// ValidateQuota checks one client quota the way Kafka's controller does
// (ClientQuotaControlManager): the key must be a quota of the entity type
// ("Invalid configuration key x"), the value positive, and whole for
// integer quotas. Errors unwrap to ErrInvalidRequest.
func ValidateQuota(entity QuotaEntity, key string, v float64) error {
	defs := clientQuotaDefs
	if entity == QuotaIP {
		defs = ipQuotaDefs
	}
	var d *Def
	for i := range defs {
		if defs[i].Name == key {
			d = &defs[i]
		}
	}
	if d == nil {
		return requestError(key, "Invalid configuration key %s", key)
	}
	if v <= 0 {
		return requestError(key, "Quota %s must be greater than 0", key)
	}
	switch d.Type {
	case TypeInt:
		if v > math.MaxInt32 {
			return requestError(key, "Proposed value for %s is too large for an INT.", key)
		}
	case TypeLong:
		if v > math.MaxInt64 {
			return requestError(key, "Proposed value for %s is too large for a LONG.", key)
		}
	default:
		return nil
	}
	if math.Abs(math.Mod(v, 1)) > 1e-6 {
		return requestError(key, "%s cannot be a fractional value.", key)
	}
	return nil
}

// LogLevels lists the levels a broker logger accepts, sorted as Kafka
// prints them. Kafka 3.9 accepts exactly these (no OFF).
func LogLevels() []string { return append([]string(nil), logLevels...) }

// ValidateLogLevel checks a level for a broker logger with Kafka's
// message (RuntimeLoggerManager). Errors unwrap to ErrInvalidConfig.
func ValidateLogLevel(logger, level string) error {
	for _, l := range logLevels {
		if l == level {
			return nil
		}
	}
	return configError(logger, "Cannot set the log level of %s to %s as it is not a supported log level. Valid log levels are %s",
		logger, level, strings.Join(logLevels, ", "))
}

// SlogLevel maps a Kafka log level to the slog level a broker logger uses
// (TRACE is below Debug, FATAL above Error).
func SlogLevel(level string) (slog.Level, bool) {
	switch level {
	case "TRACE":
		return slog.LevelDebug - 4, true
	case "DEBUG":
		return slog.LevelDebug, true
	case "INFO":
		return slog.LevelInfo, true
	case "WARN":
		return slog.LevelWarn, true
	case "ERROR":
		return slog.LevelError, true
	case "FATAL":
		return slog.LevelError + 4, true
	}
	return 0, false
}

// KafkaLevel is the Kafka name of a slog level, for describing loggers.
func KafkaLevel(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "TRACE"
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARN"
	case l < slog.LevelError+4:
		return "ERROR"
	}
	return "FATAL"
}

// OpType is an IncrementalAlterConfigs operation; the values are Kafka's
// wire ids.
type OpType int8

const (
	OpSet      OpType = 0
	OpDelete   OpType = 1
	OpAppend   OpType = 2
	OpSubtract OpType = 3
)

func (o OpType) String() string {
	switch o {
	case OpSet:
		return "SET"
	case OpDelete:
		return "DELETE"
	case OpAppend:
		return "APPEND"
	case OpSubtract:
		return "SUBTRACT"
	}
	return "UNKNOWN"
}

// AlterOp is one IncrementalAlterConfigs operation.
type AlterOp struct {
	Name  string
	Op    OpType
	Value string
}

// ResourceKind selects which definitions ApplyOps uses.
type ResourceKind int8

const (
	TopicResource ResourceKind = iota
	BrokerResource
)

// ApplyOps applies incremental operations to a resource's current configs
// (not modified) and returns the new set, with the semantics of Kafka's
// controller: SET replaces, DELETE removes, APPEND and SUBTRACT work on
// LIST configs only, starting from the current value or else the default,
// APPEND skipping values already present. The result still needs
// validating (ValidateTopicConfigs, ValidateBrokerDynamic).
func ApplyOps(kind ResourceKind, current map[string]string, ops []AlterOp) (map[string]string, error) {
	out := copyMap(current)
	if out == nil {
		out = map[string]string{}
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.Name] {
			return nil, requestError(op.Name, "Error due to duplicate config keys")
		}
		seen[op.Name] = true
	}
	for _, op := range ops {
		switch op.Op {
		case OpSet:
			out[op.Name] = op.Value
		case OpDelete:
			delete(out, op.Name)
		case OpAppend, OpSubtract:
			var d *Def
			if kind == TopicResource {
				d, _ = topicDef(op.Name)
			} else {
				d, _ = brokerDef(op.Name)
			}
			if d == nil || d.Type != TypeList {
				return nil, configError(op.Name, "Can't %s to key %s because its type is not LIST.", op.Op, op.Name)
			}
			cur, ok := out[op.Name]
			if !ok && !d.NullDefault {
				cur = d.Default
			}
			var parts []string
			for _, p := range strings.Split(cur, ",") {
				if p != "" {
					parts = append(parts, p)
				}
			}
			for _, nv := range javaSplit(op.Value) {
				if op.Op == OpAppend {
					if !contains(parts, nv) {
						parts = append(parts, nv)
					}
				} else {
					parts = removeFirst(parts, nv)
				}
			}
			out[op.Name] = strings.Join(parts, ",")
		default:
			return nil, requestError(op.Name, "Unknown operations type %d", op.Op)
		}
	}
	return out, nil
}

// javaSplit is Java's String.split(","): trailing empty parts are dropped
// unless nothing matched.
func javaSplit(s string) []string {
	if !strings.Contains(s, ",") {
		return []string{s}
	}
	parts := strings.Split(s, ",")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func removeFirst(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}
