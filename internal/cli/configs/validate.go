package configs

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// entityFlag is one of the shortcut options that name an entity
// (--topic t is --entity-type topics --entity-name t).
type entityFlag struct {
	value *cli.Value
	typ   string
}

// defaultsFlag is one of the shortcut options that select a default entity
// (--user-defaults is --entity-type users --entity-default).
type defaultsFlag struct {
	given *bool
	typ   string
}

// entityFlags are the shortcut options in Kafka's order, which decides the
// order of entity types and names.
func (o *Options) entityFlags() []entityFlag {
	return []entityFlag{
		{o.Topic, typeTopics}, {o.Client, typeClients}, {o.User, typeUsers},
		{o.Broker, typeBrokers}, {o.BrokerLogger, typeBrokerLoggers}, {o.IP, typeIPs},
	}
}

func (o *Options) defaultsFlags() []defaultsFlag {
	return []defaultsFlag{
		{o.ClientDefaults, typeClients}, {o.UserDefaults, typeUsers},
		{o.BrokerDefaults, typeBrokers}, {o.IPDefaults, typeIPs},
	}
}

// entityTypes lists the entity types given: --entity-type values in
// command-line order, then the shortcut options in Kafka's order.
func (o *Options) entityTypes() []string {
	types := slices.Clone(o.EntityType.Values())
	for _, f := range o.entityFlags() {
		if f.value.Given() {
			types = append(types, f.typ)
		}
	}
	for _, f := range o.defaultsFlags() {
		if *f.given {
			types = append(types, f.typ)
		}
	}
	return types
}

// entityNames lists the entity names given, "" standing for a default
// entity: --entity-name and --entity-default in command-line order, then
// the shortcut options in Kafka's order. A shortcut option given twice is
// jopt-simple's "Found multiple arguments" error.
func (o *Options) entityNames() ([]string, error) {
	names := slices.Clone(o.nameOrder)
	for _, f := range o.entityFlags() {
		if f.value.Given() {
			v, err := f.value.Get()
			if err != nil {
				return nil, cli.Errorf("%s", err)
			}
			names = append(names, v)
		}
	}
	for _, f := range o.defaultsFlags() {
		if *f.given {
			names = append(names, "")
		}
	}
	return names, nil
}

func (o *Options) anyShortcut() bool {
	for _, f := range o.entityFlags() {
		if f.value.Given() {
			return true
		}
	}
	for _, f := range o.defaultsFlags() {
		if *f.given {
			return true
		}
	}
	return false
}

// Validate checks the options in the order of Kafka 3.9's
// ConfigCommandOptions.checkArgs, with its messages. Its only I/O is the
// host name lookup Kafka does for --ip names that are not addresses.
func (o *Options) Validate(ctx context.Context) error {
	if o.noArgs {
		return cli.UsageErrorf("%s", description)
	}
	if n := boolCount(*o.Alter, *o.Describe); n != 1 {
		return cli.UsageErrorf("Command must include exactly one action: --describe, --alter")
	}
	if *o.Describe {
		for _, other := range []*cli.Value{o.AddConfig, o.DeleteConfig} {
			if other.Given() {
				return cli.UsageErrorf("Option \"%s\" can't be used with option \"%s\"", cli.Spec("describe"), cli.Spec(other.Name()))
			}
		}
	}

	types := o.entityTypes()
	if dups := duplicates(types); len(dups) > 0 {
		return cli.Errorf("Duplicate entity type(s) specified: %s", strings.Join(dups, ","))
	}
	allowed, connect := zkSupportedTypes, "--zookeeper"
	if o.Bootstrap.Given() || o.BootstrapController.Given() {
		allowed, connect = brokerSupportedTypes, "--bootstrap-server or --bootstrap-controller"
	}
	for _, t := range types {
		if !slices.Contains(allowed, t) {
			return cli.Errorf("Invalid entity type %s, the entity type must be one of %s with a %s argument", t, strings.Join(allowed, ", "), connect)
		}
	}
	if len(types) == 0 {
		return cli.Errorf("At least one entity type must be specified")
	}
	if len(types) > 1 && !sameSet(types, []string{typeUsers, typeClients}) {
		return cli.Errorf("Only '%s' and '%s' entity types may be specified together", typeUsers, typeClients)
	}
	if (o.EntityName.Given() || o.EntityType.Given() || *o.EntityDefault) && o.anyShortcut() {
		return cli.Errorf("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
	}

	names, err := o.entityNames()
	if err != nil {
		return err
	}
	hasName := slices.ContainsFunc(names, func(n string) bool { return n != "" })
	hasDefault := slices.Contains(names, "")

	switch boolCount(o.Bootstrap.Given(), o.BootstrapController.Given(), o.Zookeeper.Given()) {
	case 0:
		return cli.Errorf("One of the required --bootstrap-server, --boostrap-controller, or --zookeeper arguments must be specified")
	case 1:
	default:
		return cli.Errorf("Only one of --bootstrap-server, --boostrap-controller, and --zookeeper can be specified")
	}
	if *o.All && o.Zookeeper.Given() {
		return cli.Errorf("--bootstrap-server must be specified for --all")
	}
	if o.ZkTLSConfigFile.Given() && !o.Zookeeper.Given() {
		return cli.Errorf("Only the --zookeeper option can be used with the --zk-tls-config-file option.")
	}
	if hasName && (slices.Contains(types, typeBrokers) || slices.Contains(types, typeBrokerLoggers)) {
		for _, v := range []*cli.Value{o.EntityName, o.Broker, o.BrokerLogger} {
			if !v.Given() {
				continue
			}
			id, err := v.Get()
			if err != nil {
				return cli.Errorf("%s", err)
			}
			if _, err := strconv.ParseInt(id, 10, 32); err != nil {
				return cli.Errorf("The entity name for %s must be a valid integer broker id, but it is: %s", types[0], id)
			}
		}
	}
	if hasName && slices.Contains(types, typeIPs) {
		for _, v := range []*cli.Value{o.EntityName, o.IP} {
			if !v.Given() {
				continue
			}
			ip, err := v.Get()
			if err != nil {
				return cli.Errorf("%s", err)
			}
			if !o.validIPEntity(ctx, ip) {
				return cli.Errorf("The entity name for %s must be a valid IP or resolvable host, but it is: %s", types[0], ip)
			}
		}
	}
	if *o.Describe && slices.Contains(types, typeBrokerLoggers) && !hasName {
		return cli.Errorf("an entity name must be specified with --describe of %s", strings.Join(types, ","))
	}
	if *o.Alter {
		if slices.Contains(types, typeUsers) || slices.Contains(types, typeClients) ||
			slices.Contains(types, typeBrokers) || slices.Contains(types, typeIPs) {
			if !hasName && !hasDefault {
				return cli.Errorf("an entity-name or default entity must be specified with --alter of users, clients, brokers or ips")
			}
		} else if !hasName {
			return cli.Errorf("an entity name must be specified with --alter of %s", strings.Join(types, ","))
		}
		if o.AddConfig.Given() && o.AddConfigFile.Given() {
			return cli.Errorf("Only one of --add-config or --add-config-file must be specified")
		}
		if !o.AddConfig.Given() && !o.AddConfigFile.Given() && !o.DeleteConfig.Given() {
			return cli.Errorf("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
		}
	}

	// kafkakit's own option comes last, after every check Kafka makes.
	if err := cli.CheckOutput(*o.Output, cli.OutputPlain, cli.OutputJSON); err != nil {
		return err
	}
	if *o.Output != cli.OutputPlain && !*o.Describe {
		return cli.UsageErrorf("Option \"%s\" can only be used with option \"%s\"", cli.Spec("output"), cli.Spec("describe"))
	}
	return nil
}

// validIPEntity is Kafka's DynamicConfig.Ip.isValidIpEntity: an address, or
// a host name that resolves (InetAddress.getByName).
func (o *Options) validIPEntity(ctx context.Context, ip string) bool {
	if ip == "<default>" || net.ParseIP(ip) != nil {
		return true
	}
	// Java also takes a bracketed IPv6 literal.
	if strings.HasPrefix(ip, "[") && strings.HasSuffix(ip, "]") && net.ParseIP(ip[1:len(ip)-1]) != nil {
		return true
	}
	if ip == "" {
		// getByName("") is the loopback address.
		return true
	}
	lookup := o.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := lookup(ctx, ip)
	return err == nil && len(addrs) > 0
}

func boolCount(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// duplicates is Scala's xs.diff(xs.distinct): every occurrence after the
// first of each value, in order.
func duplicates(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if seen[x] {
			out = append(out, x)
		}
		seen[x] = true
	}
	return out
}

func sameSet(a, b []string) bool {
	in := func(xs []string, x string) bool { return slices.Contains(xs, x) }
	for _, x := range a {
		if !in(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !in(a, x) {
			return false
		}
	}
	return true
}
