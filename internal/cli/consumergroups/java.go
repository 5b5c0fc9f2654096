package consumergroups

import (
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Kafka's ConsumerGroupCommand prints several collections straight out of
// java.util.HashMap and HashSet instances, so the order of its output is the
// iteration order of those tables. The helpers here reproduce that order from
// the keys' Java hash codes.

// specHash is the hash code of a jopt-simple option spec with one name: the
// hash of the one-element list of its names.
func specHash(name string) int32 { return 31 + cli.JavaStringHash(name) }

// hash is the hash code of Kafka's TopicPartition.
func (tp topicPartition) hash() int32 { return cli.TopicPartitionHash(tp.Topic, tp.Partition) }

// hashSetCapacity is the initial capacity "new HashSet<>(collection)" gives
// its table for n elements.
func hashSetCapacity(n int) int { return max(int(float32(n)/0.75)+1, 16) }

// specSetOrder orders option names as a HashSet of their specs built from
// them (new HashSet<>(Arrays.asList(...))) iterates.
func specSetOrder(names ...string) []string {
	return cli.JavaHashMapOrder(names, specHash, hashSetCapacity(len(names)))
}

// specList renders option names as Kafka's messages join OptionSpec
// toString values: "[a], [b]".
func specList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "[" + n + "]"
	}
	return strings.Join(parts, ", ")
}

// stringMapOrder orders keys as a default java.util.HashMap<String, ?> (or
// HashSet<String>) filled with them in the given order iterates them.
func stringMapOrder(keys []string) []string { return cli.JavaHashOrder(keys, 16) }

// partitionMapOrder orders topic-partitions as a default java.util.HashMap
// keyed by TopicPartition and filled in the given order iterates them.
func partitionMapOrder(tps []topicPartition) []topicPartition {
	return cli.JavaHashMapOrder(tps, topicPartition.hash, 16)
}

// javaSplit is String.split with a literal, single-character separator: the
// pieces between separators, with trailing empty pieces removed (a string
// without the separator is one piece, even when empty).
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt is Integer.parseInt for ASCII input: an optional sign and
// decimal digits that fit in 32 bits.
func javaParseInt(s string) (int32, bool) {
	if s == "" || s == "+" || s == "-" {
		return 0, false
	}
	body := s
	if s[0] == '+' || s[0] == '-' {
		body = s[1:]
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}
