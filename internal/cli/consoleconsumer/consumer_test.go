package consoleconsumer

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
)

func parseOptions(t *testing.T, args []string) *Options {
	return clitest.ParseOptions(t, newCommand, args)
}

func TestValidate(t *testing.T) {
	const bs = "--bootstrap-server=b:1"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "This tool helps to read data from Kafka topics and outputs it to standard output."},
		{"neither topic nor include", []string{bs}, "Exactly one of --include/--topic is required. "},
		{"both", []string{bs, "--topic", "t", "--include", "x"}, "Exactly one of --include/--topic is required. "},
		{"whitelist and topic", []string{bs, "--topic", "t", "--whitelist", "x"},
			"Exactly one of --include/--topic is required. --whitelist is DEPRECATED use --include instead; ignored if --include specified."},
		{"partition without topic", []string{bs, "--include", "x", "--partition", "0"}, "The topic is required when partition is specified."},
		{"from-beginning and offset", []string{bs, "--topic", "t", "--partition", "0", "--from-beginning", "--offset", "1"}, "Options from-beginning and offset cannot be specified together."},
		{"offset without partition", []string{bs, "--topic", "t", "--offset", "1"}, "The partition is required when offset is specified."},
		{"no bootstrap", []string{"--topic", "t"}, `Missing required argument "[bootstrap-server]"`},
		{"bad partition", []string{bs, "--topic", "t", "--partition", "x"},
			`Exception in thread "main" joptsimple.OptionArgumentConversionException: Cannot parse argument 'x' of option partition`},
		{"topic", []string{bs, "--topic", "t"}, ""},
		{"include", []string{bs, "--include", "t.*", "--group", "g"}, ""},
		{"whitelist alone", []string{bs, "--whitelist", "t.*"}, ""},
		{"partition and offset", []string{bs, "--topic", "t", "--partition", "1", "--offset", "earliest"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseOptions(t, tt.args).Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ee *cli.ExitError
			if !errors.As(err, &ee) || ee.Msg != tt.want {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStartOffset(t *testing.T) {
	tests := []struct {
		args    []string
		want    int64
		wantErr string
	}{
		{[]string{"--offset", "earliest"}, offsetEarliest, ""},
		{[]string{"--offset", "LaTeSt"}, offsetLatest, ""},
		{[]string{"--offset", "42"}, 42, ""},
		{[]string{"--offset", "-1"}, 0, "The provided offset value '-1' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{[]string{"--offset", "1.5"}, 0, "The provided offset value '1.5' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{[]string{"--from-beginning"}, offsetEarliest, ""},
		{nil, offsetLatest, ""},
	}
	for _, tt := range tests {
		got, err := parseOptions(t, append([]string{"--topic", "t", "--partition", "0"}, tt.args...)).startOffset()
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("startOffset(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("startOffset(%q) = %d, %v, want %d", tt.args, got, err, tt.want)
		}
	}
}

// TestDefaultFormatter follows the sequence of Kafka's
// DefaultMessageFormatterTest, each step adding a property.
func TestDefaultFormatter(t *testing.T) {
	noTimestamp := &record{Topic: "topic", Partition: 0, Offset: 123, Key: []byte("key"), Value: []byte("value")}
	withHeaders := &record{Topic: "topic", Partition: 0, Offset: 123, TimestampType: "CreateTime", Timestamp: 123,
		Key: []byte("key"), Value: []byte("value"), Headers: []header{{"h1", []byte("v1")}, {"h2", []byte("v2")}}}
	nullValue := *withHeaders
	nullValue.Value = nil
	steps := []struct {
		set  []string
		rec  *record
		want string
	}{
		{nil, noTimestamp, "value\n"},
		{[]string{"print.key", "true"}, noTimestamp, "key\tvalue\n"},
		{[]string{"print.partition", "true"}, noTimestamp, "Partition:0\tkey\tvalue\n"},
		{[]string{"print.timestamp", "true"}, noTimestamp, "NO_TIMESTAMP\tPartition:0\tkey\tvalue\n"},
		{[]string{"print.offset", "true"}, noTimestamp, "NO_TIMESTAMP\tPartition:0\tOffset:123\tkey\tvalue\n"},
		{[]string{"print.headers", "true"}, noTimestamp, "NO_TIMESTAMP\tPartition:0\tOffset:123\tNO_HEADERS\tkey\tvalue\n"},
		{nil, withHeaders, "CreateTime:123\tPartition:0\tOffset:123\th1:v1,h2:v2\tkey\tvalue\n"},
		{[]string{"print.value", "false"}, withHeaders, "CreateTime:123\tPartition:0\tOffset:123\th1:v1,h2:v2\tkey\n"},
		{[]string{"key.separator", "<sep>"}, withHeaders, "CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1,h2:v2<sep>key\n"},
		{[]string{"line.separator", "<end>"}, withHeaders, "CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1,h2:v2<sep>key<end>"},
		{[]string{"headers.separator", "|"}, withHeaders, "CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1|h2:v2<sep>key<end>"},
		{[]string{"key.deserializer", "org.apache.kafka.common.serialization.BytesDeserializer"}, withHeaders,
			"CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1|h2:v2<sep>key<end>"},
		{[]string{"print.value", "true", "null.literal", "<null>"}, &nullValue,
			"CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:v1|h2:v2<sep>key<sep><null><end>"},
	}
	props := cli.NewProperties()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, st := range steps {
		for j := 0; j+1 < len(st.set); j += 2 {
			props.Set(st.set[j], st.set[j+1])
		}
		f := newDefaultFormatter(props, log)
		got, err := f.format(nil, st.rec)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if string(got) != st.want {
			t.Errorf("step %d (%v): got %q, want %q", i, st.set, got, st.want)
		}
	}
}

func TestDeserializers(t *testing.T) {
	tests := []struct {
		class   string
		in      []byte
		want    string
		wantErr string
	}{
		{"org.apache.kafka.common.serialization.StringDeserializer", []byte("a\xffb"), "a\uFFFDb", ""},
		{"org.apache.kafka.common.serialization.IntegerDeserializer", []byte{0, 0, 1, 0}, "256", ""},
		{"org.apache.kafka.common.serialization.IntegerDeserializer", []byte{0xff, 0xff, 0xff, 0xfe}, "-2", ""},
		{"org.apache.kafka.common.serialization.IntegerDeserializer", []byte("null"), "1853189228", ""},
		{"org.apache.kafka.common.serialization.IntegerDeserializer", []byte{1}, "", "org.apache.kafka.common.errors.SerializationException: Size of data received by IntegerDeserializer is not 4"},
		{"org.apache.kafka.common.serialization.LongDeserializer", []byte{0, 0, 0, 0, 0, 0, 0, 7}, "7", ""},
		{"org.apache.kafka.common.serialization.ShortDeserializer", []byte{0x80, 0}, "-32768", ""},
		{"org.apache.kafka.common.serialization.DoubleDeserializer", []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, "1.0", ""},
		{"org.apache.kafka.common.serialization.FloatDeserializer", []byte{0x3f, 0xc0, 0, 0}, "1.5", ""},
		{"org.apache.kafka.common.serialization.BytesDeserializer", []byte("a\\\x00~\x7f"), `a\x5C\x00~\x7F`, ""},
		{"org.apache.kafka.common.serialization.UUIDDeserializer", []byte("0F8FAD5B-D9CB-469F-A165-70867728950E"), "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
		{"org.apache.kafka.common.serialization.UUIDDeserializer", []byte("nope"), "", "org.apache.kafka.common.errors.SerializationException: Error parsing data into UUID"},
	}
	for _, tt := range tests {
		got, err := deserializers[tt.class](tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s(%q) error = %v, want %q", tt.class, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s(%q) = %q, %v, want %q", tt.class, tt.in, got, err, tt.want)
		}
	}
}

func TestJSONFormatter(t *testing.T) {
	r := &record{Topic: "t", Partition: 1, Offset: 2, TimestampType: "CreateTime", Timestamp: 3,
		Key: []byte("k"), Value: []byte{0xff}, Headers: []header{{"h", nil}}}
	got, err := jsonFormatter{}.format(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"t","partition":1,"offset":2,"timestamp":3,"timestamp_type":"CreateTime","headers":[{"key":"h","value":null}],"key":"k","value":null,"value_base64":"/w=="}` + "\n"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
