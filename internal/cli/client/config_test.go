package client

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func props(kv ...string) *cli.Properties {
	p := cli.NewProperties()
	for i := 0; i+1 < len(kv); i += 2 {
		p.Set(kv[i], kv[i+1])
	}
	return p
}

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		bootstrap string
		props     *cli.Properties
		role      Role
		check     func(t *testing.T, c *Config)
		wantErr   string
	}{
		{
			name:      "defaults",
			bootstrap: "a:9092, b:9093",
			props:     props(),
			check: func(t *testing.T, c *Config) {
				if got, want := c.Bootstrap, []string{"a:9092", "b:9093"}; !reflect.DeepEqual(got, want) {
					t.Errorf("Bootstrap = %v, want %v", got, want)
				}
				if c.RequestTimeout != 30*time.Second || c.APITimeout != time.Minute {
					t.Errorf("timeouts = %v, %v, want 30s, 1m", c.RequestTimeout, c.APITimeout)
				}
				if c.Protocol != Plaintext || c.TLS != nil || c.SASL != nil {
					t.Errorf("security = %s %v %v, want plaintext", c.Protocol, c.TLS, c.SASL)
				}
			},
		},
		{
			name:      "flag overrides bootstrap.servers",
			bootstrap: "flag:1",
			props:     props("bootstrap.servers", "file:2"),
			check: func(t *testing.T, c *Config) {
				if got := c.Bootstrap; !reflect.DeepEqual(got, []string{"flag:1"}) {
					t.Errorf("Bootstrap = %v, want [flag:1]", got)
				}
			},
		},
		{
			name:  "bootstrap from file",
			props: props("bootstrap.servers", "file:2"),
			check: func(t *testing.T, c *Config) {
				if got := c.Bootstrap; !reflect.DeepEqual(got, []string{"file:2"}) {
					t.Errorf("Bootstrap = %v, want [file:2]", got)
				}
			},
		},
		{
			name:    "no bootstrap",
			props:   props(),
			wantErr: "No resolvable bootstrap urls given in bootstrap.servers",
		},
		{
			name:      "timeouts and client id",
			bootstrap: "a:1",
			props:     props("request.timeout.ms", "1500", "default.api.timeout.ms", "2000", "client.id", "me"),
			check: func(t *testing.T, c *Config) {
				if c.RequestTimeout != 1500*time.Millisecond || c.APITimeout != 2*time.Second || c.ClientID != "me" {
					t.Errorf("got %v %v %q", c.RequestTimeout, c.APITimeout, c.ClientID)
				}
			},
		},
		{
			name:      "producer api timeout is max.block.ms",
			bootstrap: "a:1",
			role:      Producer,
			props:     props("max.block.ms", "700", "default.api.timeout.ms", "2000"),
			check: func(t *testing.T, c *Config) {
				if c.APITimeout != 700*time.Millisecond {
					t.Errorf("APITimeout = %v, want 700ms", c.APITimeout)
				}
			},
		},
		{
			name:      "bad timeout",
			bootstrap: "a:1",
			props:     props("request.timeout.ms", "soon"),
			wantErr:   "Invalid value soon for configuration request.timeout.ms: Not a number of type LONG",
		},
		{
			name:      "bad protocol",
			bootstrap: "a:1",
			props:     props("security.protocol", "TLS"),
			wantErr:   "Invalid value TLS for configuration security.protocol: String must be one of (case insensitive): PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
		},
		{
			name:      "sasl plain from jaas",
			bootstrap: "a:1",
			props: props("security.protocol", "sasl_plaintext", "sasl.mechanism", "PLAIN",
				"sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t;";`),
			check: func(t *testing.T, c *Config) {
				if got, want := *c.SASL, (SASL{MechanismPlain, "alice", "s3cr=t;"}); got != want {
					t.Errorf("SASL = %+v, want %+v", got, want)
				}
			},
		},
		{
			name:      "sasl scram from librdkafka keys",
			bootstrap: "a:1",
			props:     props("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.username", "bob", "sasl.password", "pw"),
			check: func(t *testing.T, c *Config) {
				if got, want := *c.SASL, (SASL{MechanismScramSHA512, "bob", "pw"}); got != want {
					t.Errorf("SASL = %+v, want %+v", got, want)
				}
			},
		},
		{
			name:      "gssapi default refused",
			bootstrap: "a:1",
			props:     props("security.protocol", "SASL_PLAINTEXT"),
			wantErr:   "sasl.mechanism=GSSAPI (Kerberos) is not supported: set sasl.mechanism to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
		},
		{
			name:      "oauthbearer refused",
			bootstrap: "a:1",
			props:     props("security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER"),
			wantErr:   "sasl.mechanism=OAUTHBEARER is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
		},
		{
			name:      "sasl without user",
			bootstrap: "a:1",
			props:     props("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN"),
			wantErr:   "No username for SASL PLAIN",
		},
		{
			name:      "jks truststore refused",
			bootstrap: "a:1",
			props:     props("security.protocol", "SSL", "ssl.truststore.type", "JKS", "ssl.truststore.location", "testdata/store.jks"),
			wantErr:   "ssl.truststore.type=JKS is not supported: convert the store to PEM",
		},
		{
			name:      "pkcs12 keystore refused",
			bootstrap: "a:1",
			props:     props("security.protocol", "SSL", "ssl.keystore.type", "PKCS12", "ssl.keystore.location", "testdata/store.jks"),
			wantErr:   "ssl.keystore.type=PKCS12 is not supported",
		},
		{
			name:      "binary truststore without type refused",
			bootstrap: "a:1",
			props:     props("security.protocol", "SSL", "ssl.truststore.location", "testdata/store.jks"),
			wantErr:   "ssl.truststore.type=JKS is not supported",
		},
		{
			name:      "ssl without truststore uses system roots",
			bootstrap: "a:1",
			props:     props("security.protocol", "SSL"),
			check: func(t *testing.T, c *Config) {
				if c.TLS == nil || c.TLS.Config.RootCAs != nil {
					t.Errorf("TLS = %+v, want system roots", c.TLS)
				}
			},
		},
		{
			name:      "bad tls protocol",
			bootstrap: "a:1",
			props:     props("security.protocol", "SSL", "ssl.enabled.protocols", "TLSv1.2,SSLv3"),
			wantErr:   `TLS protocol "SSLv3" is not supported`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.bootstrap, tt.props, tt.role)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseJAAS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"plain", `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`,
			map[string]string{"username": "alice", "password": "alice-secret"}, ""},
		{"scram with spaces and newlines", "org.apache.kafka.common.security.scram.ScramLoginModule required\n  username = \"u\"\n  password = 'p w';",
			map[string]string{"username": "u", "password": "p w"}, ""},
		{"escaped quote", `M required password="a\"b";`, map[string]string{"password": `a"b`}, ""},
		{"bare values", `M optional username=u password=p;`, map[string]string{"username": "u", "password": "p"}, ""},
		{"no options", `M required;`, map[string]string{}, ""},
		{"missing semicolon", `M required username="u"`, nil, "JAAS config entry not terminated by semi-colon"},
		{"bad flag", `M mandatory username="u";`, nil, "Invalid control flag mandatory"},
		{"missing value", `M required username;`, nil, "Value not specified for key 'username' in JAAS config"},
		{"two modules", `M required a=b; N required c=d;`, nil, "multiple login modules are not supported"},
		{"unterminated quote", `M required a="b;`, nil, "unterminated quoted string"},
		{"empty", ``, nil, "JAAS config entry not terminated by semi-colon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJAAS(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseJAAS(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJAAS(%q) error = %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseJAAS(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseJAAS(f *testing.F) {
	valid := `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`
	f.Add("")
	f.Add(valid[:40])
	f.Add(valid)
	f.Add(valid + " garbage=\"")
	f.Add(`M required a='x\'y' b=c;`)
	f.Fuzz(func(t *testing.T, s string) {
		opts, err := ParseJAAS(s)
		if err == nil && opts == nil {
			t.Fatal("nil options without error")
		}
	})
}

func TestConfigErrorText(t *testing.T) {
	var err error = &ConfigError{Key: "acks", Value: "2", Reason: "String must be one of: all, -1, 0, 1"}
	if got, want := err.Error(), "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Error("errors.As failed")
	}
}
