package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestValidateTopicConfigs(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		wantErr   string
	}{
		{name: "none", overrides: nil},
		{name: "valid", overrides: map[string]string{"retention.ms": "-1", "cleanup.policy": "compact", "max.message.bytes": "2000000"}},
		{name: "unknown name", overrides: map[string]string{"retention.ms": "1", "retention.hours": "1"},
			wantErr: "Unknown topic config name: retention.hours"},
		{name: "broker name is not a topic name", overrides: map[string]string{"log.retention.ms": "1"},
			wantErr: "Unknown topic config name: log.retention.ms"},
		{name: "bad value", overrides: map[string]string{"retention.ms": "abc"},
			wantErr: "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{name: "first bad in definition order", overrides: map[string]string{"retention.ms": "x", "segment.bytes": "y"},
			wantErr: "Invalid value y for configuration segment.bytes: Not a number of type INT"},
		{name: "segment too small", overrides: map[string]string{"segment.bytes": "13"},
			wantErr: "Invalid value 13 for configuration segment.bytes: Value must be at least 14"},
		{name: "compaction lags", overrides: map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"},
			wantErr: "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTopicConfigs(tt.overrides)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateTopicConfigs: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error does not unwrap to ErrInvalidConfig")
			}
		})
	}
}

func TestValidateTopicWithBroker(t *testing.T) {
	tiered := Layers{Static: map[string]string{"remote.log.storage.system.enable": "true"}}
	tests := []struct {
		name      string
		layers    Layers
		overrides map[string]string
		existing  map[string]string
		wantErr   string
	}{
		{name: "broker default used for lag check",
			layers:    Layers{Static: map[string]string{"log.cleaner.max.compaction.lag.ms": "100"}},
			overrides: map[string]string{"min.compaction.lag.ms": "200"},
			wantErr:   "conflict topic config setting min.compaction.lag.ms (200) > max.compaction.lag.ms (100)"},
		{name: "tiered storage off in broker",
			overrides: map[string]string{"remote.storage.enable": "true"},
			wantErr:   "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."},
		{name: "tiered compacted", layers: tiered,
			overrides: map[string]string{"remote.storage.enable": "true", "cleanup.policy": "compact"},
			wantErr:   "Remote log storage is unsupported for the compacted topics"},
		{name: "tiered local bytes -1", layers: tiered,
			overrides: map[string]string{"remote.storage.enable": "true", "retention.bytes": "100", "local.retention.bytes": "-1"},
			wantErr:   "Invalid value -1 for configuration local.retention.bytes: Value must not be -1 as retention.bytes value is set as 100."},
		{name: "tiered local ms too big", layers: tiered,
			overrides: map[string]string{"remote.storage.enable": "true", "retention.ms": "100", "local.retention.ms": "200"},
			wantErr:   "Invalid value 200 for configuration local.retention.ms: Value must not be more than retention.ms property value: 100"},
		{name: "tiered ok", layers: tiered,
			overrides: map[string]string{"remote.storage.enable": "true", "retention.ms": "100", "local.retention.ms": "50"}},
		{name: "turning tiered off keeps data", layers: tiered,
			existing:  map[string]string{"remote.storage.enable": "true"},
			overrides: map[string]string{"remote.storage.enable": "false"},
			wantErr:   "It is invalid to disable remote storage without deleting remote data. If you want to keep the remote data and turn to read only, please set `remote.storage.enable=true,remote.log.copy.disable=true`. If you want to disable remote storage and delete all remote data, please set `remote.storage.enable=false,remote.log.delete.on.disable=true`."},
		{name: "turning tiered off deleting data", layers: tiered,
			existing:  map[string]string{"remote.storage.enable": "true"},
			overrides: map[string]string{"remote.storage.enable": "false", "remote.log.delete.on.disable": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.layers.ValidateTopic(tt.overrides, tt.existing)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateTopic: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v\nwant %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateBrokerDynamic(t *testing.T) {
	tests := []struct {
		name      string
		configs   map[string]string
		perBroker bool
		wantErr   string
	}{
		{name: "cluster-wide at default", configs: map[string]string{"log.retention.ms": "1000", "num.io.threads": "16"}},
		{name: "per-broker for a broker", configs: map[string]string{"listeners": "PLAINTEXT://:9092"}, perBroker: true},
		{name: "read-only", configs: map[string]string{"log.dirs": "/x", "log.retention.hours": "1", "num.io.threads": "2"}, perBroker: true,
			wantErr: "Cannot update these configs dynamically: Set(log.dirs, log.retention.hours)"},
		{name: "keystore without listener", configs: map[string]string{"ssl.keystore.location": "/k.jks"}, perBroker: true,
			wantErr: "These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)"},
		{name: "keystore with listener", configs: map[string]string{"listener.name.external.ssl.keystore.location": "/k.jks"}, perBroker: true},
		{name: "per-broker at default", configs: map[string]string{"listeners": "PLAINTEXT://:9092", "log.retention.ms": "1"},
			wantErr: "Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)"},
		{name: "listener override at default", configs: map[string]string{"listener.name.external.ssl.keystore.location": "/k.jks"},
			wantErr: "Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.external.ssl.keystore.location)"},
		{name: "cluster-level listener override at default", configs: map[string]string{"listener.name.external.max.connections": "10"}},
		{name: "bad type", configs: map[string]string{"num.io.threads": "many"},
			wantErr: "Invalid value many for configuration num.io.threads: Not a number of type INT"},
		{name: "bad listener override value", configs: map[string]string{"listener.name.x.max.connections": "-1"},
			wantErr: "Invalid value -1 for configuration max.connections: Value must be at least 0"},
		{name: "unknown", configs: map[string]string{"foo.bar": "1"},
			wantErr: "Unknown broker config name: foo.bar"},
		{name: "dynamic only", configs: map[string]string{"follower.replication.throttled.rate": "1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateBrokerDynamic(tt.configs, tt.perBroker)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateBrokerDynamic: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v\nwant %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("error does not unwrap to ErrInvalidRequest")
			}
		})
	}
}

func TestValidateReconfiguration(t *testing.T) {
	base := Layers{Static: map[string]string{"num.io.threads": "8"}}
	tests := []struct {
		name       string
		dynamic    map[string]string
		wantErr    string
		wantDetail string
	}{
		{name: "double", dynamic: map[string]string{"num.io.threads": "16"}},
		{name: "half", dynamic: map[string]string{"num.io.threads": "4"}},
		{name: "more than double", dynamic: map[string]string{"num.io.threads": "17"},
			wantErr: "Invalid dynamic configuration", wantDetail: "Dynamic thread count update validation failed for num.io.threads=17, value should not be greater than double the current value 8"},
		{name: "less than half", dynamic: map[string]string{"num.io.threads": "3"},
			wantErr: "Invalid dynamic configuration", wantDetail: "Dynamic thread count update validation failed for num.io.threads=3, value should be at least half the current value 8"},
		{name: "cleaner threads", dynamic: map[string]string{"log.cleaner.threads": "3"},
			wantErr: "Invalid dynamic configuration", wantDetail: "Log cleaner threads cannot be increased to more than double the current value 1"},
		{name: "max connections zero", dynamic: map[string]string{"max.connections": "0"},
			wantErr: "Invalid dynamic configuration", wantDetail: "Invalid max.connections 0"},
		{name: "retention zero", dynamic: map[string]string{"log.retention.ms": "0"},
			wantErr: "requirement failed: log.retention.ms must be unlimited (-1) or, greater than or equal to 1"},
		{name: "retention negative is unlimited", dynamic: map[string]string{"log.retention.ms": "-7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := base.ValidateReconfiguration(base.WithBrokerDynamic(tt.dynamic))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateReconfiguration: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg != tt.wantErr || e.Detail != tt.wantDetail {
				t.Fatalf("error = %#v\nwant msg %q detail %q", err, tt.wantErr, tt.wantDetail)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("error does not unwrap to ErrInvalidRequest")
			}
		})
	}
}

func TestValidateQuota(t *testing.T) {
	tests := []struct {
		name    string
		entity  QuotaEntity
		key     string
		value   float64
		wantErr string
	}{
		{name: "producer rate", entity: QuotaUser, key: "producer_byte_rate", value: 1024},
		{name: "request percentage fraction", entity: QuotaClient, key: "request_percentage", value: 12.5},
		{name: "ip rate", entity: QuotaIP, key: "connection_creation_rate", value: 10},
		{name: "wrong entity", entity: QuotaIP, key: "producer_byte_rate", value: 1, wantErr: "Invalid configuration key producer_byte_rate"},
		{name: "unknown", entity: QuotaUser, key: "foo", value: 1, wantErr: "Invalid configuration key foo"},
		{name: "zero", entity: QuotaUser, key: "consumer_byte_rate", value: 0, wantErr: "Quota consumer_byte_rate must be greater than 0"},
		{name: "fraction of long", entity: QuotaUser, key: "consumer_byte_rate", value: 1.5, wantErr: "consumer_byte_rate cannot be a fractional value."},
		{name: "too large int", entity: QuotaIP, key: "connection_creation_rate", value: 3e9, wantErr: "Proposed value for connection_creation_rate is too large for an INT."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateQuota(tt.entity, tt.key, tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateQuota: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error = %v, want %q (invalid request)", err, tt.wantErr)
			}
		})
	}
}

func TestValidateLogLevel(t *testing.T) {
	for _, l := range LogLevels() {
		if err := ValidateLogLevel("kafka.server", l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	err := ValidateLogLevel("kafka.server", "OFF")
	want := "Cannot set the log level of kafka.server to OFF as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN"
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestSlogLevels(t *testing.T) {
	for _, name := range LogLevels() {
		l, ok := SlogLevel(name)
		if !ok || KafkaLevel(l) != name {
			t.Errorf("%s → %v (%v) → %s", name, l, ok, KafkaLevel(l))
		}
	}
	if _, ok := SlogLevel("OFF"); ok {
		t.Errorf("OFF accepted")
	}
}

func TestApplyOps(t *testing.T) {
	tests := []struct {
		name    string
		kind    ResourceKind
		current map[string]string
		ops     []AlterOp
		want    map[string]string
		wantErr string
	}{
		{name: "set and delete", kind: TopicResource,
			current: map[string]string{"retention.ms": "1", "segment.ms": "2"},
			ops:     []AlterOp{{Name: "retention.ms", Op: OpSet, Value: "5"}, {Name: "segment.ms", Op: OpDelete}},
			want:    map[string]string{"retention.ms": "5"}},
		{name: "append to default", kind: TopicResource,
			ops:  []AlterOp{{Name: "cleanup.policy", Op: OpAppend, Value: "compact"}},
			want: map[string]string{"cleanup.policy": "delete,compact"}},
		{name: "append present value", kind: TopicResource,
			current: map[string]string{"cleanup.policy": "compact"},
			ops:     []AlterOp{{Name: "cleanup.policy", Op: OpAppend, Value: "compact,delete,"}},
			want:    map[string]string{"cleanup.policy": "compact,delete"}},
		{name: "subtract", kind: TopicResource,
			current: map[string]string{"cleanup.policy": "compact,delete"},
			ops:     []AlterOp{{Name: "cleanup.policy", Op: OpSubtract, Value: "delete"}},
			want:    map[string]string{"cleanup.policy": "compact"}},
		{name: "subtract from empty default", kind: TopicResource,
			ops:  []AlterOp{{Name: "leader.replication.throttled.replicas", Op: OpSubtract, Value: "0:1"}},
			want: map[string]string{"leader.replication.throttled.replicas": ""}},
		{name: "broker list", kind: BrokerResource,
			ops:  []AlterOp{{Name: "sasl.enabled.mechanisms", Op: OpAppend, Value: "PLAIN"}},
			want: map[string]string{"sasl.enabled.mechanisms": "GSSAPI,PLAIN"}},
		{name: "append to non-list", kind: TopicResource,
			ops:     []AlterOp{{Name: "retention.ms", Op: OpAppend, Value: "1"}},
			wantErr: "Can't APPEND to key retention.ms because its type is not LIST."},
		{name: "subtract unknown", kind: TopicResource,
			ops:     []AlterOp{{Name: "nope", Op: OpSubtract, Value: "1"}},
			wantErr: "Can't SUBTRACT to key nope because its type is not LIST."},
		{name: "duplicate keys", kind: TopicResource,
			ops:     []AlterOp{{Name: "retention.ms", Op: OpSet, Value: "1"}, {Name: "retention.ms", Op: OpDelete}},
			wantErr: "Error due to duplicate config keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := copyMap(tt.current)
			got, err := ApplyOps(tt.kind, tt.current, tt.ops)
			if !reflect.DeepEqual(before, tt.current) {
				t.Errorf("current map was modified")
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyOps: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
