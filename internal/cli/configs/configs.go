// Package configs is kafka-configs: describe and alter the dynamic configs
// of topics, brokers (one broker or the cluster-wide default), broker
// loggers and client-metrics subscriptions, the client quotas of users,
// client ids and IPs, and users' SCRAM credentials, with the options,
// validation order, messages, output bytes and exit codes of Apache Kafka
// 3.9.0's ConfigCommand (so "an entity name must be specified ..." keeps
// 3.9's lower case, and groups are not an entity type yet).
//
// Exit codes and streams follow Kafka: option and validation errors print
// one line on stderr (plus the option table where Kafka's CommandLineUtils
// prints it) and exit 1; a failure while talking to the cluster prints
// "Error while executing config command with args '<args>'" and the first
// line of the Java stack trace Kafka would print, and exits 1. Data goes to
// stdout only. Collections Kafka prints in JVM hash order (listed topics,
// quota entities and values, "Set(...)" in messages) are printed in that
// order.
//
// Requests go through IBM/sarama: DescribeConfigs, IncrementalAlterConfigs
// (topics, broker loggers, client-metrics: SET and DELETE) and the legacy
// AlterConfigs (brokers, after reading their current dynamic configs)
// through its ClusterAdmin; DescribeClientQuotas, AlterClientQuotas, the
// SCRAM credential APIs and Metadata through its Broker type, because
// ClusterAdmin drops their error codes, sends one quota operation per
// request, or loses the order of listed topics.
//
// Known departures, each forced by the client library or by having no
// ZooKeeper:
//   - sarama reads null config values as empty strings, so an empty value
//     is printed as "null" where Kafka would print null: for sensitive
//     entries, for numeric and boolean types, and for entries whose
//     definition (internal/config) has a null default and that come from
//     the default;
//   - sarama keys a resource's config operations by name, so a key cannot be
//     both added and deleted in one request; the tool reports what a Kafka
//     broker answers such a request ("Error due to duplicate config keys");
//   - --zookeeper and --bootstrap-controller are accepted by the option
//     checks, as Kafka's are, and then refused with a clear message;
//   - sarama has no ListClientMetricsResources, so --describe of every
//     client-metrics resource works only as far as Kafka's client would
//     against a broker without that API;
//   - a broker id the cluster does not have fails at once with Kafka's
//     node-assignment timeout message, instead of after the timeout.
//
// Beyond Kafka, --output json prints --describe as one JSON document.
package configs

import (
	"context"
	"net"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/config"
)

// description is the line Kafka prints above the option table (no
// arguments, --help).
const description = "This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip or client-metrics"

// Entity types, as Kafka's ConfigType names them.
const (
	typeTopics        = "topics"
	typeClients       = "clients"
	typeUsers         = "users"
	typeBrokers       = "brokers"
	typeIPs           = "ips"
	typeBrokerLoggers = "broker-loggers"
	typeClientMetrics = "client-metrics"
)

// brokerSupportedTypes are the entity types allowed with --bootstrap-server,
// in Kafka's order (ConfigType.ALL, then broker-loggers and client-metrics).
var brokerSupportedTypes = []string{typeTopics, typeClients, typeUsers, typeBrokers, typeIPs, typeBrokerLoggers, typeClientMetrics}

// zkSupportedTypes are the entity types allowed with --zookeeper.
var zkSupportedTypes = []string{typeUsers, typeBrokers}

// Options are kafka-configs' command-line options.
type Options struct {
	IO cli.IOStreams
	// Args is the command line as given, for the runtime error message.
	Args []string
	// LookupHost resolves host names for --ip validation; nil uses the
	// system resolver.
	LookupHost func(ctx context.Context, host string) ([]string, error)

	Bootstrap, BootstrapController, Zookeeper, ZkTLSConfigFile, CommandConfig *cli.Value

	Describe, Alter, All, Force *bool

	EntityType, EntityName *cli.Value
	EntityDefault          *bool

	AddConfig, AddConfigFile, DeleteConfig *cli.Value

	Topic, Client, User, Broker, BrokerLogger, IP            *cli.Value
	ClientDefaults, UserDefaults, BrokerDefaults, IPDefaults *bool

	Output *string

	// nameOrder holds, in command-line order, one entry per --entity-name
	// (its value) or --entity-default ("") occurrence: jopt-simple's
	// OptionSet.specs() order, which pairs names with types.
	nameOrder []string
	noArgs    bool
}

// NewCommand returns the kafka-configs command.
func NewCommand(io cli.IOStreams) *cobra.Command {
	_, cmd := newCommand(io)
	return cmd
}

// Main runs kafka-configs with args and returns the exit code.
func Main(ctx context.Context, args []string, io cli.IOStreams) int {
	o, cmd := newCommand(io)
	o.Args = args
	return cli.Main(ctx, cmd, args, io)
}

func newCommand(io cli.IOStreams) (*Options, *cobra.Command) {
	cmd := cli.NewRoot("kafka-configs", description, io)
	o := &Options{IO: io}
	fs := cmd.Flags()
	str := func(name, usage, arg string) *cli.Value {
		return cli.Option{Name: name, Usage: usage, Arg: arg}.Value(fs)
	}
	flag := func(name, usage string) *bool { return cli.Option{Name: name, Usage: usage}.Bool(fs) }

	o.Zookeeper = str("zookeeper", "DEPRECATED. The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over. Required when configuring SCRAM credentials for users or dynamic broker configs when the relevant broker(s) are down. Not allowed otherwise.", "urls")
	o.Bootstrap = str("bootstrap-server", "The Kafka servers to connect to.", "server to connect to")
	o.BootstrapController = str("bootstrap-controller", "The Kafka controllers to connect to.", "controller to connect to")
	o.CommandConfig = str("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.", "command config property file")
	o.Alter = flag("alter", "Alter the configuration for the entity.")
	o.Describe = flag("describe", "List configs for the given entity.")
	o.All = flag("all", "List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)")
	o.EntityType = str("entity-type", "Type of entity (topics/clients/users/brokers/broker-loggers/ips/client-metrics)", "")
	o.EntityName = str("entity-name", "Name of entity (topic name/client id/user principal name/broker id/ip/client metrics)", "")
	o.EntityDefault = flag("entity-default", "Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)")
	o.AddConfig = str("add-config", config.AddConfigHelp(), "")
	o.AddConfigFile = str("add-config-file", "Path to a properties file with configs to add. See add-config for a list of valid configurations.", "")
	o.DeleteConfig = str("delete-config", "config keys to remove 'k1,k2'", "")
	o.Force = flag("force", "Suppress console prompts")
	o.Topic = str("topic", "The topic's name.", "")
	o.Client = str("client", "The client's ID.", "")
	o.ClientDefaults = flag("client-defaults", "The config defaults for all clients.")
	o.User = str("user", "The user's principal name.", "")
	o.UserDefaults = flag("user-defaults", "The config defaults for all users.")
	o.Broker = str("broker", "The broker's ID.", "")
	o.BrokerDefaults = flag("broker-defaults", "The config defaults for all brokers.")
	o.BrokerLogger = str("broker-logger", "The broker's ID for its logger config.", "")
	o.IPDefaults = flag("ip-defaults", "The config defaults for all IPs.")
	o.IP = str("ip", "The IP address.", "")
	o.ZkTLSConfigFile = str("zk-tls-config-file", "Identifies the file where ZooKeeper client TLS connectivity properties are defined.  Any properties other than zookeeper.clientCnxnSocket, zookeeper.ssl.cipher.suites, zookeeper.ssl.client.enable, zookeeper.ssl.crl.enable, zookeeper.ssl.enabled.protocols, zookeeper.ssl.endpoint.identification.algorithm, zookeeper.ssl.keystore.location, zookeeper.ssl.keystore.password, zookeeper.ssl.keystore.type, zookeeper.ssl.ocsp.enable, zookeeper.ssl.protocol, zookeeper.ssl.truststore.location, zookeeper.ssl.truststore.password, zookeeper.ssl.truststore.type are ignored.", "ZooKeeper TLS configuration")
	o.Output = cli.OutputOption(fs, cli.OutputPlain, cli.OutputJSON)

	// --entity-name and --entity-default pair with --entity-type by
	// position, so their occurrences are recorded in one ordered list.
	o.recordOrder(fs, "entity-name", func(v string) string { return v })
	o.recordOrder(fs, "entity-default", func(string) string { return "" })

	// Kafka's ConfigCommand prints option parse errors alone, without the
	// option table.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cli.ExitError{Code: cli.ExitFailure, Msg: cli.FlagErrorText(err), Err: err}
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		o.Complete(cmd, args)
		if err := o.Validate(cmd.Context()); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
	return o, cmd
}

// recordOrder wraps a registered flag's value so that every occurrence also
// appends name(value) to o.nameOrder.
func (o *Options) recordOrder(fs *pflag.FlagSet, flag string, name func(string) string) {
	f := fs.Lookup(flag)
	f.Value = &orderedValue{Value: f.Value, add: func(v string) { o.nameOrder = append(o.nameOrder, name(v)) }}
}

// orderedValue is a flag value that reports each Set.
type orderedValue struct {
	pflag.Value
	add func(string)
}

func (v *orderedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		return err
	}
	v.add(s)
	return nil
}

// IsBoolFlag keeps bool options argument-less once wrapped.
func (v *orderedValue) IsBoolFlag() bool { return v.Value.Type() == "bool" }

// Complete records what Validate needs from the command line itself.
func (o *Options) Complete(cmd *cobra.Command, args []string) {
	o.noArgs = cli.NoArgs(cmd, args)
	if o.LookupHost == nil {
		o.LookupHost = net.DefaultResolver.LookupHost
	}
}
