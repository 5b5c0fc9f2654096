package configs

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// quotaEntityType maps an entity type of the command line to the quota
// entity type of the protocol.
func quotaEntityType(t string) (sarama.QuotaEntityType, bool) {
	switch t {
	case typeUsers:
		return sarama.QuotaEntityUser, true
	case typeClients:
		return sarama.QuotaEntityClientID, true
	case typeIPs:
		return sarama.QuotaEntityIP, true
	}
	return "", false
}

// quotaFilter pairs entity types with names as ConfigCommand does: a name
// matches exactly, "" matches the default entity, and a type without a name
// matches any named entity of the type.
func quotaFilter(types, names []string) ([]sarama.QuotaFilterComponent, error) {
	var out []sarama.QuotaFilterComponent
	for i := 0; i < len(types) || i < len(names); i++ {
		if i >= len(types) {
			return nil, cli.Errorf("More entity names specified than entity types")
		}
		et, ok := quotaEntityType(types[i])
		if !ok {
			return nil, cli.Errorf("Unexpected entity type %s", types[i])
		}
		c := sarama.QuotaFilterComponent{EntityType: et, MatchType: sarama.QuotaMatchAny}
		if i < len(names) {
			if names[i] == "" {
				c.MatchType = sarama.QuotaMatchDefault
			} else {
				c.MatchType, c.Match = sarama.QuotaMatchExact, names[i]
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// quotaViews turns DescribeClientQuotas entries into what ConfigCommand
// prints, in the order it prints them: Kafka's admin client collects the
// entities, and each entity's values, in HashMaps.
func quotaViews(entries []sarama.DescribeClientQuotasEntry) []quotaView {
	entityHash := func(e sarama.DescribeClientQuotasEntry) int32 {
		// ClientQuotaEntity.hashCode: Objects.hash(entries), the entries
		// map's hash being the sum of key.hashCode ^ value.hashCode.
		var sum int32
		for _, c := range e.Entity {
			var v int32
			if c.MatchType != sarama.QuotaMatchDefault {
				v = cli.JavaStringHash(c.Name)
			}
			sum += cli.JavaStringHash(string(c.EntityType)) ^ v
		}
		return 31 + sum
	}
	ordered := cli.JavaHashMapOrder(entries, entityHash, len(entries))
	out := make([]quotaView, 0, len(ordered))
	for _, e := range ordered {
		var q quotaView
		for _, typ := range []sarama.QuotaEntityType{sarama.QuotaEntityUser, sarama.QuotaEntityClientID, sarama.QuotaEntityIP} {
			for _, c := range e.Entity {
				if c.EntityType != typ {
					continue
				}
				part := quotaPart{Type: string(typ)}
				if c.MatchType != sarama.QuotaMatchDefault {
					name := c.Name
					part.Name = &name
				}
				q.Entity = append(q.Entity, part)
				break
			}
		}
		// The broker's order is lost in sarama's map; Kafka brokers send
		// the keys sorted, and that is the order they went into the map.
		keys := make([]string, 0, len(e.Values))
		for k := range e.Values {
			keys = append(keys, k)
		}
		keys = sortedStrings(keys)
		keys = cli.JavaHashMapOrder(keys, cli.JavaStringHash, len(keys))
		q.Quotas = []quotaAmount{}
		for _, k := range keys {
			q.Quotas = append(q.Quotas, quotaAmount{Key: k, Value: e.Values[k]})
		}
		out = append(out, q)
	}
	return out
}

// quotaLine is "Quota configs for user-principal 'alice', client-id 'c' are
// k=1024.0, k2=2.0".
func quotaLine(q quotaView) string {
	parts := make([]string, len(q.Entity))
	for i, p := range q.Entity {
		typ := p.Type
		if typ == string(sarama.QuotaEntityUser) {
			typ = "user-principal"
		}
		if p.Name == nil {
			parts[i] = "the default " + typ
		} else {
			parts[i] = typ + " '" + *p.Name + "'"
		}
	}
	values := make([]string, len(q.Quotas))
	for i, a := range q.Quotas {
		values[i] = a.Key + "=" + cli.JavaFloat(a.Value, 64)
	}
	return "Quota configs for " + strings.Join(parts, ", ") + " are " + strings.Join(values, ", ")
}

// scramLine is "SCRAM credential configs for user-principal 'u' are
// SCRAM-SHA-256=iterations=4096", or the error for that user.
func scramLine(s scramView) string {
	if s.Error != "" {
		return "Error retrieving SCRAM credential configs for user-principal '" + s.User + "': " + s.Error
	}
	infos := make([]string, len(s.Credentials))
	for i, c := range s.Credentials {
		infos[i] = c.Mechanism + "=iterations=" + itoa32(c.Iterations)
	}
	return "SCRAM credential configs for user-principal '" + s.User + "' are " + strings.Join(infos, ", ")
}

// scramViews is what DescribeUserScramCredentialsResult.users and
// .description give ConfigCommand: users without credentials
// (RESOURCE_NOT_FOUND) are left out, a per-user error is reported in the
// user's line.
func scramViews(results []*sarama.DescribeUserScramCredentialsResult) []scramView {
	var out []scramView
	for _, r := range results {
		if int16(r.ErrorCode) == kerr.ResourceNotFound.Code {
			continue
		}
		v := scramView{User: r.User}
		if err := newKafkaError(int16(r.ErrorCode), r.ErrorMessage); err != nil {
			v.Error = "ExecutionException: " + javaText(err)
		} else {
			for _, c := range r.CredentialInfos {
				name := "UNKNOWN"
				switch c.Mechanism {
				case sarama.SCRAM_MECHANISM_SHA_256:
					name = "SCRAM-SHA-256"
				case sarama.SCRAM_MECHANISM_SHA_512:
					name = "SCRAM-SHA-512"
				}
				v.Credentials = append(v.Credentials, scramInfoView{Mechanism: name, Iterations: c.Iterations})
			}
		}
		out = append(out, v)
	}
	return out
}

// describeQuotas prints the client quotas of the entities the command line
// selects.
func (o *Options) describeQuotas(ctx context.Context, c *cluster, p *printer, types, names []string) error {
	filter, err := quotaFilter(types, names)
	if err != nil {
		return err
	}
	entries, err := c.describeClientQuotas(ctx, filter)
	if err != nil {
		return err
	}
	for _, q := range quotaViews(entries) {
		p.quota(q)
	}
	return nil
}

// describeQuotasAndScram prints quotas and, for users alone and without
// defaults, their SCRAM credentials.
func (o *Options) describeQuotasAndScram(ctx context.Context, c *cluster, p *printer, types, names []string) error {
	if err := o.describeQuotas(ctx, c, p, types, names); err != nil {
		return err
	}
	for _, n := range names {
		if n == "" {
			return nil
		}
	}
	for _, t := range types {
		if t == typeClients {
			return nil
		}
	}
	results, err := c.describeUserScramCredentials(ctx, names)
	if err != nil {
		return err
	}
	for _, v := range scramViews(results) {
		p.scram(v)
	}
	return nil
}

// alterQuotas is ConfigCommand.alterQuotaConfigs: deleted keys must be set,
// added values must be numbers, and every change goes in one request.
func (o *Options) alterQuotas(ctx context.Context, c *cluster, types, names []string, added addedConfigs, deleted []string) error {
	if len(types) != len(names) {
		return cli.Errorf("Exactly one entity name must be specified for every entity type")
	}
	filter, err := quotaFilter(types, names)
	if err != nil {
		return err
	}
	entries, err := c.describeClientQuotas(ctx, filter)
	if err != nil {
		return err
	}
	current := map[string]bool{}
	if views := quotaViews(entries); len(views) > 0 {
		for _, q := range views[0].Quotas {
			current[q.Key] = true
		}
	}
	if err := invalidConfigs(deleted, func(k string) bool { return current[k] }); err != nil {
		return err
	}
	var entity []sarama.QuotaEntityComponent
	for i, t := range types {
		et, ok := quotaEntityType(t)
		if !ok {
			return cli.Errorf("Unexpected entity type: %s", t)
		}
		ec := sarama.QuotaEntityComponent{EntityType: et, MatchType: sarama.QuotaMatchExact, Name: names[i]}
		if names[i] == "" {
			ec.MatchType = sarama.QuotaMatchDefault
		}
		entity = append(entity, ec)
	}
	var ops []sarama.ClientQuotasOp
	for _, k := range added.keys.items {
		v, ok := parseJavaDouble(added.values[k])
		if !ok {
			return cli.Errorf("Cannot parse quota configuration value for %s: %s", k, added.values[k])
		}
		ops = append(ops, sarama.ClientQuotasOp{Key: k, Value: v})
	}
	for _, k := range deleted {
		ops = append(ops, sarama.ClientQuotasOp{Key: k, Remove: true})
	}
	return c.alterClientQuotas(ctx, entity, ops)
}

// alterScram is ConfigCommand.alterUserScramCredentialConfigs.
func (o *Options) alterScram(ctx context.Context, c *cluster, user string, added addedConfigs, deleted []string) error {
	var deletes []sarama.AlterUserScramCredentialsDelete
	for _, k := range deleted {
		deletes = append(deletes, sarama.AlterUserScramCredentialsDelete{Name: user, Mechanism: scramMechanism(k)})
	}
	var upserts []sarama.AlterUserScramCredentialsUpsert
	for _, k := range added.keys.items {
		if !isScram(k) {
			continue
		}
		cred, err := parseScram(k, added.values[k])
		if err != nil {
			return err
		}
		salt, err := scramSalt()
		if err != nil {
			return err
		}
		upserts = append(upserts, sarama.AlterUserScramCredentialsUpsert{
			Name: user, Mechanism: scramMechanism(k), Iterations: cred.iterations,
			Salt: salt, Password: []byte(cred.password),
		})
	}
	return c.alterUserScramCredentials(ctx, upserts, deletes)
}

func scramMechanism(k string) sarama.ScramMechanismType {
	if k == "SCRAM-SHA-512" {
		return sarama.SCRAM_MECHANISM_SHA_512
	}
	return sarama.SCRAM_MECHANISM_SHA_256
}

// scramSalt makes a salt the way Kafka's ScramFormatter does: the base-36
// text of a random 130-bit number.
func scramSalt() ([]byte, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 130))
	if err != nil {
		return nil, err
	}
	return []byte(n.Text(36)), nil
}
