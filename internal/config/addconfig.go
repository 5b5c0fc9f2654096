package config

import (
	"regexp"
	"strings"
)

// ParseAddConfig parses the value of kafka-configs' --add-config option the
// way Kafka 3.9's ConfigCommand does: items are separated by commas that
// are not inside square brackets, and each item is split at every '='
// outside brackets (with the whitespace after it), which must give exactly
// a key and a value, so "k=a=b" is refused while "k=[a=b]" is accepted.
// Brackets are then removed from values ("k=[a,b]" sets k to "a,b"), keys
// and values are trimmed, and keys may only use [a-zA-Z0-9._-]. Entries
// come back in order, duplicates included. Error messages are Kafka's.
func ParseAddConfig(s string) ([]Property, error) {
	items := splitOutsideBrackets(s, func(s string, i int) (int, bool) {
		if s[i] == ',' {
			return i + 1, true
		}
		return 0, false
	})
	// Java's String.split drops trailing empty strings when it split at all.
	if len(items) > 1 {
		for len(items) > 0 && items[len(items)-1] == "" {
			items = items[:len(items)-1]
		}
	}
	var out []Property
	for _, item := range items {
		kv := splitOutsideBrackets(item, func(s string, i int) (int, bool) {
			if s[i] != '=' {
				return 0, false
			}
			end := i + 1
			for end < len(s) && isJavaSpace(s[end]) {
				end++
			}
			return end, true
		})
		if len(kv) != 2 {
			return nil, configError("", "requirement failed: Invalid entity config: all configs to be added must be in the format \"key=val\".")
		}
		out = append(out, Property{Key: javaTrim(kv[0]), Value: javaTrim(strings.NewReplacer("[", "", "]", "").Replace(kv[1]))})
	}
	for _, p := range out {
		if !configKeyChars.MatchString(p.Key) {
			return nil, configError(p.Key, "Invalid character found for config key: %s", p.Key)
		}
	}
	return out, nil
}

var configKeyChars = regexp.MustCompile(`^[a-zA-Z0-9._-]*$`)

// splitOutsideBrackets splits s at separators found by sep (which returns
// where the separator ends) whose end is not inside square brackets: from
// there, a '[' or the end of s comes before any ']'. This is the lookahead
// (?=[^\]]*(?:\[|$)) of Kafka's ConfigCommand.
func splitOutsideBrackets(s string, sep func(s string, i int) (int, bool)) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		end, ok := sep(s, i)
		if !ok || !outsideBrackets(s, end) {
			continue
		}
		parts = append(parts, s[start:i])
		start = end
		i = end - 1
	}
	return append(parts, s[start:])
}

func outsideBrackets(s string, p int) bool {
	r := strings.IndexByte(s[p:], ']')
	if r < 0 {
		return true
	}
	return strings.IndexByte(s[p:p+r], '[') >= 0
}
