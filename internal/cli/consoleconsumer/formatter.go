package consoleconsumer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// record is one consumed record as the formatters see it.
type record struct {
	Topic     string
	Partition int32
	Offset    int64
	// TimestampType is "CreateTime", "LogAppendTime", or "" for a record
	// without timestamp (magic 0).
	TimestampType string
	Timestamp     int64
	Key, Value    []byte // nil: null
	Headers       []header
}

type header struct {
	Key   string
	Value []byte // nil: null
}

// formatter renders a record; an error is a formatting failure (Kafka's
// exception from writeTo), never an output failure.
type formatter interface {
	format(dst []byte, r *record) ([]byte, error)
}

// defaultFormatter is Kafka's DefaultMessageFormatter.
type defaultFormatter struct {
	printTimestamp, printKey, printValue  bool
	printPartition, printOffset, printHdr bool
	keySeparator, lineSeparator           []byte
	headersSeparator, nullLiteral         []byte
	keyDeser, valueDeser, headersDeser    deserializer
}

// newDefaultFormatter configures the formatter from its properties, as
// DefaultMessageFormatter.configure does. A deserializer that cannot be
// made is logged and left out, as in Kafka.
func newDefaultFormatter(props *cli.Properties, log *slog.Logger) *defaultFormatter {
	f := &defaultFormatter{
		printValue:       true,
		keySeparator:     []byte("\t"),
		lineSeparator:    []byte("\n"),
		headersSeparator: []byte(","),
		nullLiteral:      []byte("null"),
	}
	boolProp := func(key string, dst *bool) {
		if v, ok := props.Get(key); ok {
			*dst = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	byteProp := func(key string, dst *[]byte) {
		if v, ok := props.Get(key); ok {
			*dst = []byte(v)
		}
	}
	boolProp("print.timestamp", &f.printTimestamp)
	boolProp("print.key", &f.printKey)
	boolProp("print.offset", &f.printOffset)
	boolProp("print.partition", &f.printPartition)
	boolProp("print.headers", &f.printHdr)
	boolProp("print.value", &f.printValue)
	byteProp("key.separator", &f.keySeparator)
	byteProp("line.separator", &f.lineSeparator)
	byteProp("headers.separator", &f.headersSeparator)
	byteProp("null.literal", &f.nullLiteral)
	deser := func(key string) deserializer {
		name, ok := props.Get(key)
		if !ok {
			return nil
		}
		d, ok := deserializers[name]
		if !ok {
			log.Error("Unable to instantiate a deserializer from "+name, "err", "java.lang.ClassNotFoundException: "+name)
			return nil
		}
		return d
	}
	f.keyDeser = deser("key.deserializer")
	f.valueDeser = deser("value.deserializer")
	f.headersDeser = deser("headers.deserializer")
	return f
}

func (f *defaultFormatter) format(b []byte, r *record) ([]byte, error) {
	sep := func(column bool) {
		if column {
			b = append(b, f.keySeparator...)
		} else {
			b = append(b, f.lineSeparator...)
		}
	}
	if f.printTimestamp {
		if r.TimestampType != "" {
			b = append(b, r.TimestampType...)
			b = append(b, ':')
			b = strconv.AppendInt(b, r.Timestamp, 10)
		} else {
			b = append(b, "NO_TIMESTAMP"...)
		}
		sep(f.printOffset || f.printPartition || f.printHdr || f.printKey || f.printValue)
	}
	if f.printPartition {
		b = append(b, "Partition:"...)
		b = strconv.AppendInt(b, int64(r.Partition), 10)
		sep(f.printOffset || f.printHdr || f.printKey || f.printValue)
	}
	if f.printOffset {
		b = append(b, "Offset:"...)
		b = strconv.AppendInt(b, r.Offset, 10)
		sep(f.printHdr || f.printKey || f.printValue)
	}
	if f.printHdr {
		if len(r.Headers) == 0 {
			b = append(b, "NO_HEADERS"...)
		}
		for i, h := range r.Headers {
			b = append(b, h.Key...)
			b = append(b, ':')
			v, err := f.deserialize(f.headersDeser, h.Value)
			if err != nil {
				return nil, err
			}
			b = append(b, v...)
			if i < len(r.Headers)-1 {
				b = append(b, f.headersSeparator...)
			}
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		v, err := f.deserialize(f.keyDeser, r.Key)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
		sep(f.printValue)
	}
	if f.printValue {
		v, err := f.deserialize(f.valueDeser, r.Value)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
		b = append(b, f.lineSeparator...)
	}
	return b, nil
}

// deserialize gives a null value the null literal, then runs it through
// the deserializer, if any (so a deserializer sees the literal's bytes, as
// in Kafka).
func (f *defaultFormatter) deserialize(d deserializer, data []byte) ([]byte, error) {
	if data == nil {
		data = f.nullLiteral
	}
	if d == nil {
		return data, nil
	}
	s, err := d(data)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// noopFormatter is Kafka's NoOpMessageFormatter: it prints nothing.
type noopFormatter struct{}

func (noopFormatter) format(b []byte, _ *record) ([]byte, error) { return b, nil }

// jsonFormatter prints one JSON object per record (a kafkakit extension).
// Keys, values and header values that are not valid UTF-8 are given as
// base64 in key_base64, value_base64 and value_base64 of the header.
type jsonFormatter struct{}

type jsonRecord struct {
	Topic         string       `json:"topic"`
	Partition     int32        `json:"partition"`
	Offset        int64        `json:"offset"`
	Timestamp     *int64       `json:"timestamp"`
	TimestampType *string      `json:"timestamp_type"`
	Headers       []jsonHeader `json:"headers"`
	Key           *string      `json:"key"`
	KeyBase64     string       `json:"key_base64,omitempty"`
	Value         *string      `json:"value"`
	ValueBase64   string       `json:"value_base64,omitempty"`
}

type jsonHeader struct {
	Key         string  `json:"key"`
	Value       *string `json:"value"`
	ValueBase64 string  `json:"value_base64,omitempty"`
}

func jsonBytes(b []byte) (*string, string) {
	if b == nil {
		return nil, ""
	}
	if utf8.Valid(b) {
		s := string(b)
		return &s, ""
	}
	return nil, base64.StdEncoding.EncodeToString(b)
}

func (jsonFormatter) format(b []byte, r *record) ([]byte, error) {
	j := jsonRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Headers: []jsonHeader{}}
	if r.TimestampType != "" {
		ts, typ := r.Timestamp, r.TimestampType
		j.Timestamp, j.TimestampType = &ts, &typ
	}
	j.Key, j.KeyBase64 = jsonBytes(r.Key)
	j.Value, j.ValueBase64 = jsonBytes(r.Value)
	for _, h := range r.Headers {
		jh := jsonHeader{Key: h.Key}
		jh.Value, jh.ValueBase64 = jsonBytes(h.Value)
		j.Headers = append(j.Headers, jh)
	}
	out, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	b = append(b, out...)
	return append(b, '\n'), nil
}

// deserializer turns bytes into the text a Java deserializer's result
// prints as (its toString).
type deserializer func([]byte) (string, error)

// serializationError is Kafka's SerializationException.
type serializationError struct{ msg string }

func (e *serializationError) Error() string {
	return "org.apache.kafka.common.errors.SerializationException: " + e.msg
}

// deserializers are the Kafka deserializers this tool knows, by class name.
var deserializers = map[string]deserializer{
	"org.apache.kafka.common.serialization.StringDeserializer": func(b []byte) (string, error) {
		return cli.DecodeUTF8(b), nil
	},
	"org.apache.kafka.common.serialization.ByteArrayDeserializer": func(b []byte) (string, error) {
		return string(b), nil
	},
	"org.apache.kafka.common.serialization.BytesDeserializer":   bytesToString,
	"org.apache.kafka.common.serialization.IntegerDeserializer": fixed(4, "IntegerDeserializer", func(b []byte) string { return strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(b))), 10) }),
	"org.apache.kafka.common.serialization.LongDeserializer":    fixed(8, "LongDeserializer", func(b []byte) string { return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10) }),
	"org.apache.kafka.common.serialization.ShortDeserializer":   fixed(2, "ShortDeserializer", func(b []byte) string { return strconv.FormatInt(int64(int16(binary.BigEndian.Uint16(b))), 10) }),
	"org.apache.kafka.common.serialization.FloatDeserializer": fixed(4, "Deserializer", func(b []byte) string {
		return cli.JavaFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32)
	}),
	"org.apache.kafka.common.serialization.DoubleDeserializer": fixed(8, "Deserializer", func(b []byte) string {
		return cli.JavaFloat(math.Float64frombits(binary.BigEndian.Uint64(b)), 64)
	}),
	"org.apache.kafka.common.serialization.UUIDDeserializer": uuidString,
}

func fixed(size int, name string, f func([]byte) string) deserializer {
	return func(b []byte) (string, error) {
		if len(b) != size {
			return "", &serializationError{fmt.Sprintf("Size of data received by %s is not %d", name, size)}
		}
		return f(b), nil
	}
}

// bytesToString is Kafka's Bytes.toString: printable ASCII as is, other
// bytes and the backslash as \xNN.
func bytesToString(b []byte) (string, error) {
	var sb strings.Builder
	for _, c := range b {
		if c >= ' ' && c <= '~' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String(), nil
}

func uuidString(b []byte) (string, error) {
	s := cli.DecodeUTF8(b)
	parts := strings.Split(s, "-")
	valid := len(parts) == 5
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 16, 64); err != nil || len(p) == 0 || len(p) > 16 {
			valid = false
		}
	}
	if !valid {
		return "", &serializationError{"Error parsing data into UUID"}
	}
	return strings.ToLower(s), nil
}
