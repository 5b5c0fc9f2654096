package config

import (
	"regexp"
	"strconv"
	"strings"
)

// Validator checks a parsed value beyond its type, like Kafka's
// ConfigDef.Validator. String describes the valid values for the
// documentation in Kafka's notation ("[1,...]", "[compact, delete]").
// Validators never see null values.
type Validator interface {
	check(name string, v value) error
	String() string
}

// Range is Kafka's ConfigDef.Range: numeric bounds, inclusive. Bounds are
// integers in every config Kafka 3.9 defines, doubles included.
type Range struct {
	Min, Max       int64
	HasMin, HasMax bool
}

func atLeast(min int64) Range      { return Range{Min: min, HasMin: true} }
func between(min, max int64) Range { return Range{Min: min, Max: max, HasMin: true, HasMax: true} }
func (r Range) numeric(v value) float64 {
	if v.t == TypeDouble {
		return v.f
	}
	return float64(v.i)
}

func (r Range) check(name string, v value) error {
	n := r.numeric(v)
	if r.HasMin && n < float64(r.Min) {
		return invalidValue(name, v.String(), "Value must be at least "+strconv.FormatInt(r.Min, 10))
	}
	if r.HasMax && n > float64(r.Max) {
		return invalidValue(name, v.String(), "Value must be no more than "+strconv.FormatInt(r.Max, 10))
	}
	return nil
}

func (r Range) String() string {
	switch {
	case !r.HasMin && !r.HasMax:
		return "[...]"
	case !r.HasMin:
		return "[...," + strconv.FormatInt(r.Max, 10) + "]"
	case !r.HasMax:
		return "[" + strconv.FormatInt(r.Min, 10) + ",...]"
	}
	return "[" + strconv.FormatInt(r.Min, 10) + ",...," + strconv.FormatInt(r.Max, 10) + "]"
}

// OneOf is Kafka's ValidString: the value must be one of the listed
// strings, case-sensitively. On a LIST config every element is checked
// (Kafka's ValidList).
type OneOf []string

func oneOf(s ...string) OneOf { return OneOf(s) }

func (o OneOf) check(name string, v value) error {
	if v.t == TypeList {
		for _, e := range v.l {
			if err := o.checkOne(name, e); err != nil {
				return err
			}
		}
		return nil
	}
	return o.checkOne(name, v.s)
}

func (o OneOf) checkOne(name, s string) error {
	for _, ok := range o {
		if s == ok {
			return nil
		}
	}
	return invalidValue(name, s, "String must be one of: "+strings.Join(o, ", "))
}

func (o OneOf) String() string { return "[" + strings.Join(o, ", ") + "]" }

// nonNull is Kafka's NonNullValidator; parsed values are never null, so it
// only shows up in the documentation.
type nonNull struct{}

func (nonNull) check(string, value) error { return nil }
func (nonNull) String() string            { return "non-null string" }

// gzipLevel accepts Deflater's levels 1..9 or -1 for the library default.
type gzipLevel struct{}

func (gzipLevel) check(name string, v value) error {
	if v.i > 9 || (v.i < 1 && v.i != -1) {
		return invalidValue(name, v.String(), "Value must be between 1 and 9 or equal to -1")
	}
	return nil
}
func (gzipLevel) String() string { return "[1,...,9] or -1" }

// metadataVersions lists Kafka 3.9's MetadataVersion values (release and
// sub-version) in order; the ones up to 3.9-IV0 are production versions.
var metadataVersions = []string{
	"0.8.0", "0.8.1", "0.8.2", "0.9.0",
	"0.10.0-IV0", "0.10.0-IV1", "0.10.1-IV0", "0.10.1-IV1", "0.10.1-IV2", "0.10.2-IV0",
	"0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "1.0-IV0", "1.1-IV0",
	"2.0-IV0", "2.0-IV1", "2.1-IV0", "2.1-IV1", "2.1-IV2", "2.2-IV0", "2.2-IV1",
	"2.3-IV0", "2.3-IV1", "2.4-IV0", "2.4-IV1", "2.5-IV0", "2.6-IV0",
	"2.7-IV0", "2.7-IV1", "2.7-IV2", "2.8-IV0", "2.8-IV1",
	"3.0-IV0", "3.0-IV1", "3.1-IV0", "3.2-IV0", "3.3-IV0", "3.3-IV1", "3.3-IV2", "3.3-IV3",
	"3.4-IV0", "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2",
	"3.7-IV0", "3.7-IV1", "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0",
	"4.0-IV0", "4.0-IV1",
}

// latestProductionVersion is MetadataVersion.LATEST_PRODUCTION in 3.9.
const latestProductionVersion = "3.9-IV0"

// resolveMetadataVersion is MetadataVersion.fromVersionString: it keeps the
// first three dot-separated parts of a 0.x version and two of any other,
// then accepts a full version ("3.0-IV1") or a production release name
// ("3.0"), which means that release's newest sub-version.
func resolveMetadataVersion(s string) (string, bool) {
	parts := strings.Split(s, ".")
	keep := 2
	if strings.HasPrefix(s, "0.") {
		keep = 3
	}
	key := s
	if keep < len(parts) {
		key = strings.Join(parts[:keep], ".")
	}
	best := ""
	for _, mv := range metadataVersions {
		release, _, _ := strings.Cut(mv, "-")
		if release == key {
			best = mv // the newest production sub-version of that release
		}
		if mv == latestProductionVersion {
			break
		}
	}
	if best != "" {
		return best, true
	}
	for _, mv := range metadataVersions {
		if mv == key {
			return mv, true
		}
	}
	return "", false
}

type metadataVersion struct{}

func (metadataVersion) check(name string, v value) error {
	if _, ok := resolveMetadataVersion(v.s); !ok {
		return invalidValue(name, v.s, "Version "+v.s+" is not a valid version")
	}
	return nil
}

func (metadataVersion) String() string { return "[" + strings.Join(metadataVersions, ", ") + "]" }

// throttledReplicas is Kafka's ThrottledReplicaListValidator: "*" or a
// list of partitionId:brokerId pairs.
type throttledReplicas struct{}

var replicaPair = regexp.MustCompile(`^([0-9]+:[0-9]+)?$`)

func (throttledReplicas) check(name string, v value) error {
	all := true
	joined := ""
	for _, e := range v.l {
		e = javaTrim(e)
		joined += e
		if !replicaPair.MatchString(e) {
			all = false
		}
	}
	if all || joined == "*" {
		return nil
	}
	return invalidValue(name, "["+strings.Join(v.l, ", ")+"]", name+
		" must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")
}

func (throttledReplicas) String() string {
	return "[partitionId]:[brokerId],[partitionId]:[brokerId],..."
}

// hostPort is Kafka's Utils HOST_PORT_PATTERN: an optional scheme, a host
// (optionally in brackets) and a port.
var hostPort = regexp.MustCompile(`^(?:[0-9a-zA-Z\-%._]*://)?\[?([0-9a-zA-Z\-%._:]*)]?:([0-9]+)$`)

// splitHostPort applies hostPort; ok is false when the address does not
// match or its port does not fit an int.
func splitHostPort(addr string) (host string, port int, ok bool) {
	m := hostPort.FindStringSubmatch(addr)
	if m == nil {
		return "", 0, false
	}
	p, err := strconv.ParseInt(m[2], 10, 32)
	if err != nil {
		return m[1], 0, false
	}
	return m[1], int(p), true
}

// quorumVoters validates controller.quorum.voters entries "{id}@{host}:{port}".
type quorumVoters struct{}

func (quorumVoters) check(name string, v value) error {
	_, err := parseVoters(v.l)
	return err
}

func (quorumVoters) String() string { return "non-empty list" }

// Voter is one controller.quorum.voters entry.
type Voter struct {
	ID   int32
	Host string
	Port int
}

// parseVoters parses controller.quorum.voters entries with Kafka's
// QuorumConfig rules and messages.
func parseVoters(entries []string) ([]Voter, error) {
	const name = "controller.quorum.voters"
	var out []Voter
	for _, e := range entries {
		parts := strings.Split(e, "@")
		for len(parts) > 0 && parts[len(parts)-1] == "" { // Java's split drops trailing empties
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			return nil, configError(name, "Invalid configuration value for %s. Each entry should be in the form `{id}@{host}:{port}`.", name)
		}
		id, ok := parseJavaInt(parts[0], 32)
		if !ok {
			return nil, configError(name, "Failed to parse voter ID as an integer from %s", parts[0])
		}
		m := hostPort.FindStringSubmatch(parts[1])
		if m == nil {
			return nil, configError(name, "Failed to parse host name from entry %s for the configuration %s. Each entry should be in the form `{id}@{host}:{port}`.", e, name)
		}
		host, port, ok := splitHostPort(parts[1])
		if !ok {
			return nil, configError(name, "Failed to parse host port from entry %s for the configuration %s. Each entry should be in the form `{id}@{host}:{port}`.", e, name)
		}
		out = append(out, Voter{ID: int32(id), Host: host, Port: port})
	}
	return out, nil
}

// quorumBootstrap validates controller.quorum.bootstrap.servers entries "{host}:{port}".
type quorumBootstrap struct{}

func (quorumBootstrap) check(name string, v value) error {
	for _, e := range v.l {
		if hostPort.FindStringSubmatch(e) == nil {
			return configError(name, "Failed to parse host name from %s for the configuration %s. Each entry should be in the form \"{host}:{port}\"", e, name)
		}
		if _, _, ok := splitHostPort(e); !ok {
			return configError(name, "Failed to parse host port from %s for the configuration %s. Each entry should be in the form \"{host}:{port}\"", e, name)
		}
	}
	return nil
}

func (quorumBootstrap) String() string { return "non-empty list" }
