package faultproxy

import (
	"bufio"
	"encoding/binary"
	"errors"
)

// kafkaHeaderPrefix is the fixed part of a Kafka request before the client
// id: size (4), api key (2), api version (2), correlation id (4) and the
// client id's int16 length (2).
const kafkaHeaderPrefix = 14

// errNotKafka means the bytes cannot start a Kafka request.
var errNotKafka = errors.New("not a Kafka request header")

// KafkaClientID is a Classifier for proxies in front of Kafka brokers: it
// names the link after the client id of the connection's first request,
// for example "broker-2-fetcher-0" for broker 2's replica fetcher (Kafka's
// naming, which kafka-server follows). Connections whose first bytes are
// not a Kafka request header, or that send nothing in time, are on link "".
func KafkaClientID(r *bufio.Reader) string {
	need := kafkaHeaderPrefix
	for {
		b, err := r.Peek(need)
		id, more, perr := parseClientID(b)
		switch {
		case perr != nil:
			return ""
		case more == 0:
			return id
		case err != nil || more > r.Size():
			return ""
		}
		need = more
	}
}

// parseClientID reads the client id from the start of a Kafka request
// frame. Request header versions 1 and 2, which every API but
// ControlledShutdown v0 uses, carry it as a nullable int16-length string
// right after the correlation id, never in compact form. It returns the id
// (null is ""), or more > 0, the number of bytes it needs to see, or an
// error when b cannot be the start of a request.
func parseClientID(b []byte) (id string, more int, err error) {
	if len(b) < kafkaHeaderPrefix {
		return "", kafkaHeaderPrefix, nil
	}
	size := int32(binary.BigEndian.Uint32(b))
	if size < kafkaHeaderPrefix-4 {
		return "", 0, errNotKafka
	}
	n := int16(binary.BigEndian.Uint16(b[12:]))
	switch {
	case n == -1:
		return "", 0, nil
	case n < -1:
		return "", 0, errNotKafka
	case int64(n) > int64(size)-(kafkaHeaderPrefix-4):
		return "", 0, errNotKafka
	}
	end := kafkaHeaderPrefix + int(n)
	if len(b) < end {
		return "", end, nil
	}
	return string(b[kafkaHeaderPrefix:end]), 0, nil
}
