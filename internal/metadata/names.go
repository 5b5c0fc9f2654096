package metadata

import (
	"strings"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kerr"
)

// maxTopicNameLength is Kafka's limit (Topic.MAX_NAME_LENGTH): 249, so that
// "<name>-<partition>" and the ".deleted"/"-delete" suffixes stay within a
// 255-byte file name.
const maxTopicNameLength = 249

// clusterMetadataTopic is the name of KRaft's metadata log; no client may
// create a topic of that name.
const clusterMetadataTopic = "__cluster_metadata"

// validateTopicName applies Kafka's Topic.validate: 1 to 249 characters from
// [a-zA-Z0-9._-], and neither "." nor "..". The messages are Kafka's. The
// length is counted in UTF-16 units as Java does, which only matters for
// the message of a name that is invalid anyway.
func validateTopicName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "the empty string is not allowed"
	case name == ".":
		reason = "'.' is not allowed"
	case name == "..":
		reason = "'..' is not allowed"
	case javaLength(name) > maxTopicNameLength:
		reason = "the length of '" + name + "' is longer than the max allowed length 249"
	case !legalTopicChars(name):
		reason = "'" + name + "' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
	default:
		return nil
	}
	return &Error{Code: kerr.InvalidTopicException, Message: "Topic name is invalid: " + reason}
}

func legalTopicChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func javaLength(s string) int {
	if len(s) <= maxTopicNameLength {
		return len(s) // UTF-16 length never exceeds the UTF-8 length
	}
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// collisionName folds '.' into '_': Kafka refuses a topic whose folded name
// equals another topic's, because the two would share metric names
// (Topic.unifyCollisionChars).
func collisionName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// hasCollisionChars reports whether name contains '.' or '_'.
func hasCollisionChars(name string) bool { return strings.ContainsAny(name, "._") }
