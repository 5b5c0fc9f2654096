package config

import (
	"errors"
	"math"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		name    string
		typ     Type
		raw     string
		want    string
		wantErr string
	}{
		{name: "int", typ: TypeInt, raw: "42", want: "42"},
		{name: "int trimmed", typ: TypeInt, raw: " \t42 \n", want: "42"},
		{name: "int plus sign", typ: TypeInt, raw: "+7", want: "7"},
		{name: "int negative", typ: TypeInt, raw: "-1", want: "-1"},
		{name: "int not a number", typ: TypeInt, raw: "abc", wantErr: "Invalid value abc for configuration x: Not a number of type INT"},
		{name: "int empty", typ: TypeInt, raw: "", wantErr: "Invalid value  for configuration x: Not a number of type INT"},
		{name: "int overflow", typ: TypeInt, raw: "2147483648", wantErr: "Invalid value 2147483648 for configuration x: Not a number of type INT"},
		{name: "int underscores", typ: TypeInt, raw: "1_000", wantErr: "Invalid value 1_000 for configuration x: Not a number of type INT"},
		{name: "int hex", typ: TypeInt, raw: "0x10", wantErr: "Invalid value 0x10 for configuration x: Not a number of type INT"},
		{name: "int shows raw value", typ: TypeInt, raw: " 1.5 ", wantErr: "Invalid value  1.5  for configuration x: Not a number of type INT"},
		{name: "short max", typ: TypeShort, raw: "32767", want: "32767"},
		{name: "short overflow", typ: TypeShort, raw: "32768", wantErr: "Invalid value 32768 for configuration x: Not a number of type SHORT"},
		{name: "long max", typ: TypeLong, raw: "9223372036854775807", want: "9223372036854775807"},
		{name: "long overflow", typ: TypeLong, raw: "9223372036854775808", wantErr: "Invalid value 9223372036854775808 for configuration x: Not a number of type LONG"},
		{name: "bool upper", typ: TypeBoolean, raw: "TRUE", want: "true"},
		{name: "bool mixed", typ: TypeBoolean, raw: " False ", want: "false"},
		{name: "bool yes", typ: TypeBoolean, raw: "yes", wantErr: "Invalid value yes for configuration x: Expected value to be either true or false"},
		{name: "bool 1", typ: TypeBoolean, raw: "1", wantErr: "Invalid value 1 for configuration x: Expected value to be either true or false"},
		{name: "string trimmed", typ: TypeString, raw: "  a b  ", want: "a b"},
		{name: "password trimmed", typ: TypePassword, raw: " s3cret ", want: "s3cret"},
		{name: "list spaces", typ: TypeList, raw: " compact , delete ", want: "compact,delete"},
		{name: "list empty", typ: TypeList, raw: "  ", want: ""},
		{name: "list keeps empty items", typ: TypeList, raw: "a,,b,", want: "a,,b,"},
		{name: "list inner spaces kept", typ: TypeList, raw: "a b, c", want: "a b,c"},
		{name: "double", typ: TypeDouble, raw: "0.5", want: "0.5"},
		{name: "double integer", typ: TypeDouble, raw: "5", want: "5.0"},
		{name: "double exponent", typ: TypeDouble, raw: "1e7", want: "1.0E7"},
		{name: "double suffix", typ: TypeDouble, raw: "1.5d", want: "1.5"},
		{name: "double hex", typ: TypeDouble, raw: "0x1p3", want: "8.0"},
		{name: "double leading point", typ: TypeDouble, raw: ".25", want: "0.25"},
		{name: "double trailing point", typ: TypeDouble, raw: "3.", want: "3.0"},
		{name: "double NaN", typ: TypeDouble, raw: "NaN", want: "NaN"},
		{name: "double infinity", typ: TypeDouble, raw: "-Infinity", want: "-Infinity"},
		{name: "double too big", typ: TypeDouble, raw: "1e400", want: "Infinity"},
		{name: "double go inf", typ: TypeDouble, raw: "inf", wantErr: "Invalid value inf for configuration x: Not a number of type DOUBLE"},
		{name: "double junk", typ: TypeDouble, raw: "1.2.3", wantErr: "Invalid value 1.2.3 for configuration x: Not a number of type DOUBLE"},
		{name: "double underscore", typ: TypeDouble, raw: "1_0.5", wantErr: "Invalid value 1_0.5 for configuration x: Not a number of type DOUBLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseValue("x", tt.raw, tt.typ)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("parseValue(%q) = %q, want error %q", tt.raw, v.String(), tt.wantErr)
				}
				if got := err.Error(); got != tt.wantErr {
					t.Fatalf("error = %q, want %q", got, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("errors.Is(err, ErrInvalidConfig) = false")
				}
				return
			}
			if err != nil {
				t.Fatalf("parseValue(%q): %v", tt.raw, err)
			}
			if got := v.String(); got != tt.want {
				t.Errorf("parseValue(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestJavaDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.9, "0.9"},
		{0.5, "0.5"},
		{100, "100.0"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1234567, "1234567.0"},
		{1e7, "1.0E7"},
		{12345678.9, "1.23456789E7"},
		{2147483647, "2.147483647E9"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{-2.5, "-2.5"},
		{math.Inf(1), "Infinity"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := javaDouble(tt.in); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestValidationMessages pins Kafka's exact messages for the validators
// of real configs.
func TestValidationMessages(t *testing.T) {
	tests := []struct {
		name    string
		topic   bool // a topic config, else a broker config
		config  string
		raw     string
		want    string // canonical value when valid
		wantErr string
	}{
		{name: "not a number", config: "num.partitions", raw: "abc",
			wantErr: "Invalid value abc for configuration num.partitions: Not a number of type INT"},
		{name: "below minimum", config: "num.partitions", raw: "0",
			wantErr: "Invalid value 0 for configuration num.partitions: Value must be at least 1"},
		{name: "above maximum", topic: true, config: "min.cleanable.dirty.ratio", raw: "1.5",
			wantErr: "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{name: "ratio in range", topic: true, config: "min.cleanable.dirty.ratio", raw: "1", want: "1.0"},
		{name: "retention below -1", topic: true, config: "retention.ms", raw: "-2",
			wantErr: "Invalid value -2 for configuration retention.ms: Value must be at least -1"},
		{name: "cleanup policy list", topic: true, config: "cleanup.policy", raw: "compact, delete", want: "compact,delete"},
		{name: "cleanup policy empty", topic: true, config: "cleanup.policy", raw: "", want: ""},
		{name: "cleanup policy bad item", topic: true, config: "cleanup.policy", raw: "compact,foo",
			wantErr: "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete"},
		{name: "cleanup policy case", topic: true, config: "cleanup.policy", raw: "Delete",
			wantErr: "Invalid value Delete for configuration cleanup.policy: String must be one of: compact, delete"},
		{name: "compression type", topic: true, config: "compression.type", raw: "brotli",
			wantErr: "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{name: "timestamp type", topic: true, config: "message.timestamp.type", raw: "createtime",
			wantErr: "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{name: "gzip level", topic: true, config: "compression.gzip.level", raw: "0",
			wantErr: "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1"},
		{name: "gzip default level", topic: true, config: "compression.gzip.level", raw: "-1", want: "-1"},
		{name: "zstd level", topic: true, config: "compression.zstd.level", raw: "23",
			wantErr: "Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22"},
		{name: "format version bad", topic: true, config: "message.format.version", raw: "9.9",
			wantErr: "Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version"},
		{name: "format version release", topic: true, config: "message.format.version", raw: "2.8", want: "2.8"},
		{name: "format version patch", topic: true, config: "message.format.version", raw: "0.10.0.1", want: "0.10.0.1"},
		{name: "format version unreleased", topic: true, config: "message.format.version", raw: "4.0",
			wantErr: "Invalid value 4.0 for configuration message.format.version: Version 4.0 is not a valid version"},
		{name: "format version full", topic: true, config: "message.format.version", raw: "4.0-IV1", want: "4.0-IV1"},
		{name: "throttled replicas", topic: true, config: "leader.replication.throttled.replicas", raw: "0:1, 1:2", want: "0:1,1:2"},
		{name: "throttled all", topic: true, config: "leader.replication.throttled.replicas", raw: "*", want: "*"},
		{name: "throttled bad", topic: true, config: "follower.replication.throttled.replicas", raw: "0:1,foo",
			wantErr: "Invalid value [0:1, foo] for configuration follower.replication.throttled.replicas: follower.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{name: "voters", config: "controller.quorum.voters", raw: "1@localhost:9093,2@[::1]:9094", want: "1@localhost:9093,2@[::1]:9094"},
		{name: "voters no at", config: "controller.quorum.voters", raw: "localhost:9093",
			wantErr: "Invalid configuration value for controller.quorum.voters. Each entry should be in the form `{id}@{host}:{port}`."},
		{name: "voters bad id", config: "controller.quorum.voters", raw: "x@localhost:9093",
			wantErr: "Failed to parse voter ID as an integer from x"},
		{name: "voters no port", config: "controller.quorum.voters", raw: "1@localhost",
			wantErr: "Failed to parse host name from entry 1@localhost for the configuration controller.quorum.voters. Each entry should be in the form `{id}@{host}:{port}`."},
		{name: "bootstrap servers", config: "controller.quorum.bootstrap.servers", raw: "host:1",
			want: "host:1"},
		{name: "bootstrap servers bad", config: "controller.quorum.bootstrap.servers", raw: "host",
			wantErr: "Failed to parse host name from host for the configuration controller.quorum.bootstrap.servers. Each entry should be in the form \"{host}:{port}\""},
		{name: "process roles", config: "process.roles", raw: "broker,controller", want: "broker,controller"},
		{name: "process roles bad", config: "process.roles", raw: "broker,admin",
			wantErr: "Invalid value admin for configuration process.roles: String must be one of: broker, controller"},
		{name: "security protocol", config: "security.inter.broker.protocol", raw: "TLS",
			wantErr: "Invalid value TLS for configuration security.inter.broker.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"},
		{name: "fetch max bytes", config: "fetch.max.bytes", raw: "1023",
			wantErr: "Invalid value 1023 for configuration fetch.max.bytes: Value must be at least 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Def
			var ok bool
			if tt.topic {
				d, ok = LookupTopic(tt.config)
			} else {
				d, ok = LookupBroker(tt.config)
			}
			if !ok {
				t.Fatalf("config %s not defined", tt.config)
			}
			got, err := d.Parse(tt.raw)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %q, want error %q", tt.raw, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("error = %q\nwant    %q", err.Error(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// FuzzParseValue feeds arbitrary text to every config's parser: no panic,
// errors are *Error values naming the config, and an accepted value's
// canonical form parses to itself.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"", "1", " 42 ", "-1", "9223372036854775808", "true", "compact,delete", "0.5",
		"1e400", "0x1p-2d", "1@localhost:9093", "3.0-IV1", "0:1,*", "PLAINTEXT://:9092\x00\xff"} {
		f.Add(s)
	}
	var defs []Def
	defs = append(defs, brokerDefs...)
	defs = append(defs, topicDefs...)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, d := range defs {
			canon, err := d.Parse(raw)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Name != d.Name {
					t.Fatalf("%s: error %v does not name the config", d.Name, err)
				}
				continue
			}
			again, err := d.Parse(canon)
			if err != nil || again != canon {
				t.Fatalf("%s: %q → %q → %q, %v", d.Name, raw, canon, again, err)
			}
		}
	})
}
