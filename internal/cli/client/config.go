// Package client turns the client properties of Kafka's tools
// (--command-config files, --producer-property, --consumer.config, ...) into
// a connection configuration for IBM/sarama, connects with Kafka's timeout
// behaviour, and renders client and broker errors the way Kafka's Java
// clients word them.
//
// Supported properties: bootstrap.servers, client.id, request.timeout.ms,
// default.api.timeout.ms, retry.backoff.ms, metadata.max.age.ms,
// security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
// sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with credentials from
// sasl.jaas.config or sasl.username/sasl.password, and TLS material in PEM
// form: ssl.truststore.type=PEM with ssl.truststore.location or
// ssl.truststore.certificates, ssl.keystore.type=PEM with
// ssl.keystore.location or ssl.keystore.certificate.chain and
// ssl.keystore.key, ssl.endpoint.identification.algorithm, ssl.protocol and
// ssl.enabled.protocols; librdkafka's ssl.ca.location,
// ssl.certificate.location and ssl.key.location are accepted too. Settings
// that cannot be honoured (JKS or PKCS12 stores, GSSAPI, OAUTHBEARER,
// encrypted private keys) are refused with one clear line rather than
// ignored. Properties this package does not know are left to the tool.
package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Role selects the defaults of the Java client a tool stands in for.
type Role int

const (
	Admin Role = iota
	Producer
	Consumer
)

// Security protocols, as Kafka names them.
const (
	Plaintext     = "PLAINTEXT"
	SSL           = "SSL"
	SASLPlaintext = "SASL_PLAINTEXT"
	SASLSSL       = "SASL_SSL"
)

// SASL mechanisms supported.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// Config is everything needed to open connections to a cluster.
type Config struct {
	Bootstrap []string
	ClientID  string
	// RequestTimeout bounds each request (request.timeout.ms).
	RequestTimeout time.Duration
	// APITimeout bounds a whole operation, including waiting for a broker
	// to talk to (default.api.timeout.ms; max.block.ms for producers).
	APITimeout     time.Duration
	RetryBackoff   time.Duration
	MetadataMaxAge time.Duration
	Protocol       string
	TLS            *TLS
	SASL           *SASL
	Role           Role
	// OnRetry, when set, is called by Connect after each failed attempt to
	// reach the cluster (Kafka's clients log a warning there).
	OnRetry func(error)
}

// SASL holds the mechanism and credentials.
type SASL struct {
	Mechanism string
	User      string
	Password  string
}

// ConfigError is a property Kafka's client would reject, worded as Kafka's
// ConfigException is: "Invalid value x for configuration k: reason".
type ConfigError struct {
	Key, Value, Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == "" && e.Key == "" {
		return e.Reason
	}
	s := fmt.Sprintf("Invalid value %s for configuration %s", e.Value, e.Key)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// UnsupportedError is a valid Kafka setting this implementation cannot
// honour.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

// New builds a Config from client properties. bootstrap, when not empty,
// overrides bootstrap.servers, as --bootstrap-server does in Kafka's tools.
func New(bootstrap string, props *cli.Properties, role Role) (*Config, error) {
	if props == nil {
		props = cli.NewProperties()
	}
	c := &Config{Role: role, Protocol: Plaintext}
	if bootstrap == "" {
		bootstrap = props.Value("bootstrap.servers", "")
	}
	for _, s := range strings.Split(bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Bootstrap = append(c.Bootstrap, s)
		}
	}
	if len(c.Bootstrap) == 0 {
		return nil, &ConfigError{Reason: "No resolvable bootstrap urls given in bootstrap.servers"}
	}

	c.ClientID = props.Value("client.id", "")
	var err error
	if c.RequestTimeout, err = durationMs(props, "request.timeout.ms", 30*time.Second); err != nil {
		return nil, err
	}
	apiKey := "default.api.timeout.ms"
	if role == Producer {
		apiKey = "max.block.ms"
	}
	if c.APITimeout, err = durationMs(props, apiKey, 60*time.Second); err != nil {
		return nil, err
	}
	if c.RetryBackoff, err = durationMs(props, "retry.backoff.ms", 100*time.Millisecond); err != nil {
		return nil, err
	}
	if c.MetadataMaxAge, err = durationMs(props, "metadata.max.age.ms", 5*time.Minute); err != nil {
		return nil, err
	}

	if v, ok := props.Get("security.protocol"); ok {
		p := strings.ToUpper(strings.TrimSpace(v))
		switch p {
		case Plaintext, SSL, SASLPlaintext, SASLSSL:
			c.Protocol = p
		default:
			return nil, &ConfigError{Key: "security.protocol", Value: v,
				Reason: "String must be one of (case insensitive): PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"}
		}
	}
	if c.Protocol == SSL || c.Protocol == SASLSSL {
		if c.TLS, err = newTLS(props); err != nil {
			return nil, err
		}
	}
	if c.Protocol == SASLPlaintext || c.Protocol == SASLSSL {
		if c.SASL, err = newSASL(props); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// durationMs reads a millisecond property as a Java long.
func durationMs(props *cli.Properties, key string, def time.Duration) (time.Duration, error) {
	v, ok := props.Get(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, &ConfigError{Key: key, Value: v, Reason: "Not a number of type LONG"}
	}
	if n < 0 {
		return 0, &ConfigError{Key: key, Value: v, Reason: "Value must be at least 0"}
	}
	return time.Duration(n) * time.Millisecond, nil
}

func newSASL(props *cli.Properties) (*SASL, error) {
	mech := strings.TrimSpace(props.Value("sasl.mechanism", "GSSAPI"))
	switch mech {
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
	case "GSSAPI":
		return nil, &UnsupportedError{"sasl.mechanism=GSSAPI (Kerberos) is not supported: set sasl.mechanism to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"}
	default:
		return nil, &UnsupportedError{fmt.Sprintf("sasl.mechanism=%s is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", mech)}
	}
	s := &SASL{Mechanism: mech}
	if jaas, ok := props.Get("sasl.jaas.config"); ok {
		opts, err := ParseJAAS(jaas)
		if err != nil {
			return nil, &ConfigError{Key: "sasl.jaas.config", Value: "[hidden]", Reason: err.Error()}
		}
		s.User, s.Password = opts["username"], opts["password"]
	}
	if u, ok := props.Get("sasl.username"); ok {
		s.User = u
	}
	if p, ok := props.Get("sasl.password"); ok {
		s.Password = p
	}
	if s.User == "" {
		return nil, &ConfigError{Reason: "No username for SASL " + mech + ": set username=\"...\" password=\"...\" in sasl.jaas.config (or sasl.username and sasl.password)"}
	}
	return s, nil
}

// ParseJAAS reads the options of a JAAS login configuration as Kafka's
// sasl.jaas.config takes it:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";
//
// Values may be quoted (with backslash escapes) or bare. Only one login
// module may be given.
func ParseJAAS(s string) (map[string]string, error) {
	toks, err := jaasTokens(s)
	if err != nil {
		return nil, err
	}
	if len(toks) < 2 || !toks[len(toks)-1].is(";") {
		return nil, errors.New("JAAS config entry not terminated by semi-colon")
	}
	switch toks[1].text {
	case "required", "requisite", "sufficient", "optional":
	default:
		return nil, fmt.Errorf("Invalid control flag %s", toks[1].text)
	}
	opts := map[string]string{}
	rest := toks[2 : len(toks)-1]
	for i := 0; i < len(rest); i += 3 {
		if rest[i].is(";") {
			return nil, errors.New("multiple login modules are not supported in sasl.jaas.config")
		}
		if i+2 >= len(rest) || !rest[i+1].is("=") {
			return nil, fmt.Errorf("Value not specified for key '%s' in JAAS config", rest[i].text)
		}
		opts[rest[i].text] = rest[i+2].text
	}
	return opts, nil
}

type jaasToken struct {
	text   string
	quoted bool
}

// is reports whether t is the unquoted punctuation p.
func (t jaasToken) is(p string) bool { return !t.quoted && t.text == p }

// jaasTokens splits a JAAS entry into words, "=", ";" and quoted strings
// (returned unquoted).
func jaasTokens(s string) ([]jaasToken, error) {
	var toks []jaasToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '=' || c == ';':
			toks = append(toks, jaasToken{text: string(c)})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated quoted string in JAAS config")
			}
			toks = append(toks, jaasToken{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r=;\"'", rune(s[j])) {
				j++
			}
			toks = append(toks, jaasToken{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// Int reads an integer client property as Kafka's ConfigDef does (INT for
// bits 32, LONG for 64; trimmed; at least least), returning def's value
// when the property is absent.
func Int(props *cli.Properties, key, def string, bits int, least int64) (int64, error) {
	raw := props.Value(key, def)
	typ := "INT"
	if bits == 64 {
		typ = "LONG"
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, bits)
	if err != nil {
		return 0, &ConfigError{Key: key, Value: raw, Reason: "Not a number of type " + typ}
	}
	if n < least {
		return 0, &ConfigError{Key: key, Value: raw, Reason: fmt.Sprintf("Value must be at least %d", least)}
	}
	return n, nil
}

// Bool reads a boolean client property as Kafka's ConfigDef does.
func Bool(props *cli.Properties, key string, def bool) (bool, error) {
	raw, ok := props.Get(key)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &ConfigError{Key: key, Value: raw, Reason: "Expected value to be either true or false"}
}

// OneOf reads a string property that must be one of choices, with
// ConfigDef.ValidString's message.
func OneOf(props *cli.Properties, key, def string, choices ...string) (string, error) {
	raw := props.Value(key, def)
	v := strings.TrimSpace(raw)
	for _, c := range choices {
		if v == c {
			return v, nil
		}
	}
	return "", &ConfigError{Key: key, Value: raw, Reason: "String must be one of: " + strings.Join(choices, ", ")}
}
