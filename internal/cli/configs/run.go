package configs

import (
	"context"
	"errors"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// Run performs the action against the cluster. Errors come back as
// *cli.ExitError carrying the text ConfigCommand prints.
func (o *Options) Run(ctx context.Context) error {
	err := o.run(ctx)
	if code, ok := cli.SignalExitCode(ctx); ok && err != nil {
		// Stopped by a signal: the JVM exits 128+signal without a word.
		return &cli.ExitError{Code: code, Err: err}
	}
	return o.commandError(err)
}

func (o *Options) run(ctx context.Context) error {
	if o.Zookeeper.Given() {
		return cli.Errorf("--zookeeper is not supported: kafkakit has no ZooKeeper mode; use --bootstrap-server (dynamic broker configs and SCRAM credentials are altered through the brokers)")
	}
	props := cli.NewProperties()
	if o.CommandConfig.Given() {
		path, err := o.CommandConfig.Get()
		if err != nil {
			return cli.Errorf("%s", err)
		}
		if props, err = loadProps(path); err != nil {
			return err
		}
	}
	if o.BootstrapController.Given() {
		return cli.Errorf("--bootstrap-controller is not supported: this kafka-configs talks to brokers; use --bootstrap-server")
	}
	bootstrap, err := o.Bootstrap.Get()
	if err != nil {
		return cli.Errorf("%s", err)
	}
	cfg, err := client.New(bootstrap, props, client.Admin)
	if err != nil {
		var ue *client.UnsupportedError
		if errors.As(err, &ue) {
			return cli.Errorf("%s", ue.Msg)
		}
		// A property with a bad value fails AdminClientConfig itself; a
		// problem found while building the client (no usable bootstrap
		// address) comes wrapped.
		cause := &javaError{class: "org.apache.kafka.common.config.ConfigException", msg: err.Error()}
		var ce *client.ConfigError
		if errors.As(err, &ce) && ce.Key != "" {
			return cause
		}
		return &javaError{class: "org.apache.kafka.common.KafkaException", msg: "Failed to create new KafkaAdminClient", cause: cause}
	}

	types := o.entityTypes()
	names, err := o.entityNames()
	if err != nil {
		return err
	}
	if *o.Alter && len(types) != len(names) {
		return cli.Errorf("An entity name must be specified for every entity type")
	}

	c := newCluster(cfg)
	defer c.close()
	if *o.Alter {
		return o.alter(ctx, c, types, names)
	}
	return o.describe(ctx, c, types, names)
}
