package configs

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// parse builds the command and parses args as Main would, without running
// it.
func parse(t *testing.T, args ...string) *Options {
	t.Helper()
	var out, errOut bytes.Buffer
	o, cmd := newCommand(cli.IOStreams{Out: &out, ErrOut: &errOut})
	o.Args = args
	if err := cmd.ParseFlags(cli.NormalizeArgs(cmd.Flags(), args)); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	o.Complete(cmd, cmd.Flags().Args())
	o.LookupHost = func(_ context.Context, host string) ([]string, error) {
		if host == "localhost" {
			return []string{"127.0.0.1"}, nil
		}
		return nil, errors.New("no such host")
	}
	return o
}

// TestValidate pins each check of Kafka 3.9's checkArgs: its message, and
// whether the option table follows it.
func TestValidate(t *testing.T) {
	const bs = "--bootstrap-server=127.0.0.1:1"
	tests := []struct {
		name  string
		args  []string
		want  string // "" for no error
		usage bool
	}{
		{"no arguments", nil, description, true},
		{"no action", []string{bs, "--topic", "t"}, "Command must include exactly one action: --describe, --alter", true},
		{"two actions", []string{bs, "--topic", "t", "--describe", "--alter"}, "Command must include exactly one action: --describe, --alter", true},
		{"describe with add-config", []string{bs, "--describe", "--topic", "t", "--add-config", "a=b"}, `Option "[describe]" can't be used with option "[add-config]"`, true},
		{"describe with delete-config", []string{bs, "--describe", "--topic", "t", "--delete-config", "a"}, `Option "[describe]" can't be used with option "[delete-config]"`, true},
		{"describe with add-config-file is accepted", []string{bs, "--describe", "--topic", "t", "--add-config-file", "x"}, "", false},
		{"duplicate type", []string{bs, "--describe", "--entity-type", "topics", "--entity-type", "topics", "--entity-type", "topics"}, "Duplicate entity type(s) specified: topics,topics", false},
		{"duplicate via shortcut", []string{bs, "--describe", "--entity-type", "users", "--user", "u"}, "Duplicate entity type(s) specified: users", false},
		{"invalid type", []string{bs, "--describe", "--entity-type", "groups"}, "Invalid entity type groups, the entity type must be one of topics, clients, users, brokers, ips, broker-loggers, client-metrics with a --bootstrap-server or --bootstrap-controller argument", false},
		{"invalid type with zookeeper", []string{"--zookeeper", "zk:2181", "--describe", "--entity-type", "topics"}, "Invalid entity type topics, the entity type must be one of users, brokers with a --zookeeper argument", false},
		{"no type", []string{bs, "--describe"}, "At least one entity type must be specified", false},
		{"two types", []string{bs, "--describe", "--entity-type", "topics", "--entity-type", "brokers"}, "Only 'users' and 'clients' entity types may be specified together", false},
		{"users and clients", []string{bs, "--describe", "--entity-type", "users", "--entity-type", "clients"}, "", false},
		{"entity options with shortcuts", []string{bs, "--describe", "--entity-name", "x", "--topic", "t"}, "--entity-{type,name,default} should not be used in conjunction with specific entity flags", false},
		{"entity-default with shortcut", []string{bs, "--describe", "--entity-default", "--user-defaults"}, "--entity-{type,name,default} should not be used in conjunction with specific entity flags", false},
		{"shortcut twice", []string{bs, "--describe", "--topic", "a", "--topic", "b"}, "Found multiple arguments for option topic, but you asked for only one", false},
		{"no connection", []string{"--describe", "--topic", "t"}, "Invalid entity type topics, the entity type must be one of users, brokers with a --zookeeper argument", false},
		{"no connection for brokers", []string{"--describe", "--broker", "1"}, "One of the required --bootstrap-server, --boostrap-controller, or --zookeeper arguments must be specified", false},
		{"two connections", []string{bs, "--bootstrap-controller", "c:9093", "--describe", "--topic", "t"}, "Only one of --bootstrap-server, --boostrap-controller, and --zookeeper can be specified", false},
		{"all with zookeeper", []string{"--zookeeper", "zk", "--describe", "--broker", "1", "--all"}, "--bootstrap-server must be specified for --all", false},
		{"zk tls without zookeeper", []string{bs, "--describe", "--broker", "1", "--zk-tls-config-file", "f"}, "Only the --zookeeper option can be used with the --zk-tls-config-file option.", false},
		{"broker id not a number", []string{bs, "--describe", "--broker", "b1"}, "The entity name for brokers must be a valid integer broker id, but it is: b1", false},
		{"broker logger id not a number", []string{bs, "--describe", "--broker-logger", "x"}, "The entity name for broker-loggers must be a valid integer broker id, but it is: x", false},
		{"broker entity-name not a number", []string{bs, "--describe", "--entity-type", "brokers", "--entity-name", "1x"}, "The entity name for brokers must be a valid integer broker id, but it is: 1x", false},
		{"broker entity-name twice", []string{bs, "--describe", "--entity-type", "brokers", "--entity-name", "1", "--entity-name", "2"}, "Found multiple arguments for option entity-name, but you asked for only one", false},
		{"broker id with sign", []string{bs, "--describe", "--broker", "+1"}, "", false},
		{"broker id too large", []string{bs, "--describe", "--broker", "2147483648"}, "The entity name for brokers must be a valid integer broker id, but it is: 2147483648", false},
		{"ip address", []string{bs, "--describe", "--ip", "10.0.0.1"}, "", false},
		{"ipv6 address", []string{bs, "--describe", "--ip", "::1"}, "", false},
		{"resolvable host", []string{bs, "--describe", "--ip", "localhost"}, "", false},
		{"unresolvable host", []string{bs, "--describe", "--ip", "no.such.host.invalid"}, "The entity name for ips must be a valid IP or resolvable host, but it is: no.such.host.invalid", false},
		{"broker loggers need a name", []string{bs, "--describe", "--entity-type", "broker-loggers"}, "an entity name must be specified with --describe of broker-loggers", false},
		{"describe brokers without name", []string{bs, "--describe", "--entity-type", "brokers"}, "", false},
		{"alter users without name", []string{bs, "--alter", "--entity-type", "users", "--add-config", "a=b"}, "an entity-name or default entity must be specified with --alter of users, clients, brokers or ips", false},
		{"alter topics without name", []string{bs, "--alter", "--entity-type", "topics", "--add-config", "a=b"}, "an entity name must be specified with --alter of topics", false},
		{"alter broker loggers without name", []string{bs, "--alter", "--entity-type", "broker-loggers", "--add-config", "a=b"}, "an entity name must be specified with --alter of broker-loggers", false},
		{"alter topics with default", []string{bs, "--alter", "--entity-type", "topics", "--entity-default", "--add-config", "a=b"}, "an entity name must be specified with --alter of topics", false},
		{"alter with both add options", []string{bs, "--alter", "--topic", "t", "--add-config", "a=b", "--add-config-file", "f"}, "Only one of --add-config or --add-config-file must be specified", false},
		{"alter with nothing", []string{bs, "--alter", "--topic", "t"}, "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter", false},
		{"alter broker defaults", []string{bs, "--alter", "--broker-defaults", "--delete-config", "a"}, "", false},
		{"output json", []string{bs, "--describe", "--topic", "t", "--output", "json"}, "", false},
		{"output unknown", []string{bs, "--describe", "--topic", "t", "--output", "yaml"}, "Invalid value 'yaml' for option output: use one of plain, json", true},
		{"output with alter", []string{bs, "--alter", "--topic", "t", "--add-config", "a=b", "--output", "json"}, `Option "[output]" can only be used with option "[describe]"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parse(t, tt.args...)
			err := o.Validate(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: got %v, want no error", err)
				}
				return
			}
			var ee *cli.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Validate: got %v, want %q", err, tt.want)
			}
			if ee.Msg != tt.want || ee.Usage != tt.usage || ee.Code != cli.ExitFailure {
				t.Errorf("Validate:\ngot  %q usage=%v code=%d\nwant %q usage=%v code=1", ee.Msg, ee.Usage, ee.Code, tt.want, tt.usage)
			}
		})
	}
}

// TestEntityOrder pins how types and names pair up: --entity-type values
// first, then shortcuts in Kafka's order (topic, client, user, broker,
// broker-logger, ip, then the defaults flags); names follow
// --entity-name/--entity-default in command-line order, then the same
// shortcut order.
func TestEntityOrder(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		wantTypes, names []string
	}{
		{"shortcuts", []string{"--user", "alice", "--client", "c1"}, []string{"clients", "users"}, []string{"c1", "alice"}},
		{"defaults last", []string{"--user-defaults", "--client", "c1"}, []string{"clients", "users"}, []string{"c1", ""}},
		{"positional names", []string{"--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-name", "c"}, []string{"users", "clients"}, []string{"", "c"}},
		{"name before type", []string{"--entity-name", "t", "--entity-type", "topics"}, []string{"topics"}, []string{"t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parse(t, tt.args...)
			names, err := o.entityNames()
			if err != nil {
				t.Fatal(err)
			}
			if got := o.entityTypes(); !equal(got, tt.wantTypes) {
				t.Errorf("types: got %q, want %q", got, tt.wantTypes)
			}
			if !equal(names, tt.names) {
				t.Errorf("names: got %q, want %q", names, tt.names)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
