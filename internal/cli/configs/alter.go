package configs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// alter is ConfigCommand.alterConfig: it parses the configs to add and
// delete, checks them against the entity's current configs, sends the
// change and prints Kafka's completion line.
func (o *Options) alter(ctx context.Context, c *cluster, types, names []string) error {
	head, name := types[0], names[0]
	added, err := o.parseAdded()
	if err != nil {
		return err
	}
	deleted := o.parseDeleted()

	switch head {
	case typeTopics, typeClientMetrics:
		views, _, err := c.resourceConfigs(ctx, head, name, false, false)
		if err != nil {
			return err
		}
		if err := invalidConfigs(deleted, hasConfig(views)); err != nil {
			return err
		}
		if err := c.incrementalSetDelete(ctx, resourceType(head), name, added, deleted); err != nil {
			return err
		}

	case typeBrokers:
		views, _, err := c.resourceConfigs(ctx, head, name, false, false)
		if err != nil {
			return err
		}
		if err := invalidConfigs(deleted, hasConfig(views)); err != nil {
			return err
		}
		// The legacy API replaces the whole set: the current dynamic
		// configs, plus the added ones, minus the deleted ones.
		values := map[string]*string{}
		var oldNames []string
		for _, v := range views {
			values[v.Name] = v.Value
			oldNames = append(oldNames, v.Name)
		}
		for _, k := range added.keys.items {
			v := added.values[k]
			values[k] = &v
		}
		keys := newScalaSet(oldNames...).concat(added.keys.items...).
			filter(func(k string) bool { return !slices.Contains(deleted, k) })
		if missing := keys.filter(func(k string) bool { return values[k] == nil }); !missing.empty() {
			return cli.Errorf("All sensitive broker config entries must be specified for --alter, missing entries: %s", missing.keySetString())
		}
		configs := map[string]*string{}
		for _, k := range keys.items {
			configs[k] = values[k]
		}
		if err := c.alterConfigs(ctx, resourceBroker, name, configs); err != nil {
			return err
		}

	case typeBrokerLoggers:
		views, _, err := c.resourceConfigs(ctx, head, name, true, false)
		if err != nil {
			return err
		}
		valid := hasConfig(views)
		var invalid []string
		for _, k := range deleted {
			if !valid(k) {
				invalid = append(invalid, k)
			}
		}
		for _, k := range added.keys.items {
			if !valid(k) {
				invalid = append(invalid, k)
			}
		}
		if len(invalid) > 0 {
			return cli.Errorf("Invalid broker logger(s): %s", strings.Join(invalid, ","))
		}
		if err := c.incrementalSetDelete(ctx, resourceBrokerLogger, name, added, deleted); err != nil {
			return err
		}

	case typeUsers, typeClients:
		if err := o.alterUsersOrClients(ctx, c, types, names, added, deleted); err != nil {
			return err
		}

	case typeIPs:
		unknown := newScalaSet(added.keys.items...).concat(deleted...).filter(func(k string) bool { return !isIPQuota(k) })
		if !unknown.empty() {
			return cli.Errorf("Only connection quota configs can be added for '%s' using --bootstrap-server. Unexpected config names: %s", typeIPs, strings.Join(unknown.items, ","))
		}
		if err := o.alterQuotas(ctx, c, types, names, added, deleted); err != nil {
			return err
		}

	default:
		return cli.Errorf("Unsupported entity type: %s", head)
	}

	if name != "" {
		fmt.Fprintf(o.IO.Out, "Completed updating config for %s %s.\n", head[:len(head)-1], name)
	} else {
		fmt.Fprintf(o.IO.Out, "Completed updating default config for %s in the cluster.\n", head)
	}
	return nil
}

// alterUsersOrClients checks which configs users and client ids may take
// (quotas; SCRAM credentials for users alone) and alters them.
func (o *Options) alterUsersOrClients(ctx context.Context, c *cluster, types, names []string, added addedConfigs, deleted []string) error {
	addKeys := added.keys
	hasQuotaToAdd := slices.ContainsFunc(addKeys.items, isUserOrClientQuota)
	scramToAdd := addKeys.filter(isScram)
	unknownToAdd := addKeys.filter(func(k string) bool { return !isScram(k) && !isUserOrClientQuota(k) })
	hasQuotaToDelete := slices.ContainsFunc(deleted, isUserOrClientQuota)
	var scramToDelete, unknownToDelete []string
	for _, k := range deleted {
		switch {
		case isScram(k):
			scramToDelete = append(scramToDelete, k)
		case !isUserOrClientQuota(k):
			unknownToDelete = append(unknownToDelete, k)
		}
	}

	if types[0] == typeClients || len(types) == 2 {
		if !unknownToAdd.empty() || !scramToAdd.empty() {
			return cli.Errorf("Only quota configs can be added for '%s' using --bootstrap-server. Unexpected config names: %s", typeClients, unknownToAdd.concat(scramToAdd.items...))
		}
		if len(unknownToDelete) > 0 || len(scramToDelete) > 0 {
			return cli.Errorf("Only quota configs can be deleted for '%s' using --bootstrap-server. Unexpected config names: %s", typeClients, scalaBufferString(append(unknownToDelete, scramToDelete...)))
		}
	} else {
		if !unknownToAdd.empty() {
			return cli.Errorf("Only quota and SCRAM credential configs can be added for '%s' using --bootstrap-server. Unexpected config names: %s", typeUsers, unknownToAdd)
		}
		if len(unknownToDelete) > 0 {
			return cli.Errorf("Only quota and SCRAM credential configs can be deleted for '%s' using --bootstrap-server. Unexpected config names: %s", typeUsers, scalaBufferString(unknownToDelete))
		}
		if !scramToAdd.empty() || len(scramToDelete) > 0 {
			if slices.Contains(names, "") {
				return cli.Errorf("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.")
			}
			if hasQuotaToAdd || hasQuotaToDelete {
				return cli.Errorf("Cannot alter both quota and SCRAM credential configs simultaneously for '%s' using --bootstrap-server.", typeUsers)
			}
		}
	}

	if hasQuotaToAdd || hasQuotaToDelete {
		return o.alterQuotas(ctx, c, types, names, added, deleted)
	}
	if len(names) != 1 {
		return &javaError{class: "java.lang.IllegalStateException",
			msg: "Altering user SCRAM credentials should never occur for more zero or multiple users: List(" + strings.Join(names, ", ") + ")"}
	}
	if scramToAdd.empty() && len(scramToDelete) == 0 {
		return nil
	}
	return o.alterScram(ctx, c, names[0], added, scramToDelete)
}

// incrementalSetDelete sends SET for every added config and DELETE for
// every deleted one. Kafka sends each as its own operation, so a name given
// twice reaches the broker twice and the broker refuses the request;
// sarama's request holds one operation per name, so that answer is given
// here.
func (c *cluster) incrementalSetDelete(ctx context.Context, typ sarama.ConfigResourceType, name string, added addedConfigs, deleted []string) error {
	ops := map[string]sarama.IncrementalAlterConfigsEntry{}
	duplicate := false
	for _, k := range added.keys.items {
		v := added.values[k]
		ops[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}
	}
	for _, k := range deleted {
		if _, ok := ops[k]; ok {
			duplicate = true
		}
		ops[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationDelete}
	}
	if duplicate {
		msg := "Error due to duplicate config keys"
		return c.call(ctx, "incrementalAlterConfigs", alterWait, func() error {
			return newKafkaError(kerr.InvalidRequest.Code, &msg)
		})
	}
	return c.incrementalAlterConfigs(ctx, typ, name, ops)
}

// hasConfig reports whether a described config is among views.
func hasConfig(views []configView) func(string) bool {
	return func(k string) bool {
		return slices.ContainsFunc(views, func(v configView) bool { return v.Name == k })
	}
}

// invalidConfigs is ConfigCommand's check that every deleted config is
// currently set: "Invalid config(s): k1,k2".
func invalidConfigs(deleted []string, set func(string) bool) error {
	var invalid []string
	for _, k := range deleted {
		if !set(k) {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return cli.Errorf("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	return nil
}

func sortedStrings(xs []string) []string {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b string) int {
		if javaLess(a, b) {
			return -1
		}
		if javaLess(b, a) {
			return 1
		}
		return 0
	})
	return out
}

func itoa32(n int32) string { return strconv.Itoa(int(n)) }
