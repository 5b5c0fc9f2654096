package metadata

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// ConfigOpType is an IncrementalAlterConfigs operation, with Kafka's ids.
type ConfigOpType int8

// Config operations.
const (
	ConfigSet      ConfigOpType = 0
	ConfigDelete   ConfigOpType = 1
	ConfigAppend   ConfigOpType = 2
	ConfigSubtract ConfigOpType = 3
)

func (t ConfigOpType) String() string {
	switch t {
	case ConfigSet:
		return "SET"
	case ConfigDelete:
		return "DELETE"
	case ConfigAppend:
		return "APPEND"
	case ConfigSubtract:
		return "SUBTRACT"
	}
	return "UNKNOWN"
}

// ConfigOp is one operation on one config key.
type ConfigOp struct {
	Name  string
	Op    ConfigOpType
	Value string // ignored by ConfigDelete
}

// IncrementalAlterConfigs changes some dynamic configs of one resource
// (KIP-339) with KRaft's ConfigurationControlManager rules: the resulting
// config set is validated as a whole, then the resource must exist (a
// topic, a registered broker or controller, or "" for the cluster default).
// Only changed keys are written, except for broker resources, which always
// get a record so that brokers reload them (KAFKA-14136).
func (c *Controller) IncrementalAlterConfigs(ctx context.Context, res ConfigResource, ops []ConfigOp, validateOnly bool) error {
	_, err := mIncrementalAlterConfigs.call(ctx, c, incrementalAlterConfigsRequest{Resource: res, Ops: ops, ValidateOnly: validateOnly})
	return err
}

func (c *Controller) incrementalAlterConfigs(ctx context.Context, req incrementalAlterConfigsRequest) (struct{}, error) {
	return struct{}{}, c.incrementalAlterConfigsLocal(ctx, req.Resource, req.Ops, req.ValidateOnly)
}

func (c *Controller) incrementalAlterConfigsLocal(ctx context.Context, res ConfigResource, ops []ConfigOp, validateOnly bool) error {
	img, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer c.end()
	if err := checkResourceType(res); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.Name] {
			return newError(kerr.InvalidRequest, "Error due to duplicate config keys")
		}
		seen[op.Name] = true
		if op.Op < ConfigSet || op.Op > ConfigSubtract {
			return newError(kerr.InvalidRequest, "Unknown operations type %d", op.Op)
		}
	}
	current := img.Configs[res]
	next := cloneMap(current)
	var records []Record
	for _, op := range ops {
		old, had := current[op.Name]
		var val *string
		switch op.Op {
		case ConfigSet:
			v := op.Value
			val = &v
		case ConfigDelete:
		case ConfigAppend, ConfigSubtract:
			isList, def := false, ""
			if c.cfg.ListConfig != nil {
				isList, def = c.cfg.ListConfig(res.Type, op.Name)
			}
			if !isList {
				return newError(kerr.InvalidConfig, "Can't %s to key %s because its type is not LIST.", op.Op, op.Name)
			}
			base := def
			if had {
				base = old
			}
			v := strings.Join(alterList(base, op.Value, op.Op == ConfigAppend), ",")
			val = &v
		}
		if val == nil {
			delete(next, op.Name)
		} else {
			next[op.Name] = *val
		}
		changed := had != (val != nil) || (val != nil && *val != old)
		if changed || res.Type == ConfigBroker {
			records = append(records, ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: op.Name, Value: val})
		}
	}
	return c.commitConfigChange(ctx, img, res, next, records, validateOnly)
}

// AlterConfigs replaces all dynamic configs of one resource (the legacy
// AlterConfigs API): keys not in configs are deleted.
func (c *Controller) AlterConfigs(ctx context.Context, res ConfigResource, configs map[string]string, validateOnly bool) error {
	_, err := mAlterConfigs.call(ctx, c, alterConfigsRequest{Resource: res, Configs: configs, ValidateOnly: validateOnly})
	return err
}

func (c *Controller) alterConfigs(ctx context.Context, req alterConfigsRequest) (struct{}, error) {
	return struct{}{}, c.alterConfigsLocal(ctx, req.Resource, req.Configs, req.ValidateOnly)
}

func (c *Controller) alterConfigsLocal(ctx context.Context, res ConfigResource, configs map[string]string, validateOnly bool) error {
	img, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer c.end()
	if err := checkResourceType(res); err != nil {
		return err
	}
	current := img.Configs[res]
	var records []Record
	for _, k := range sortedKeys(configs) {
		v := configs[k]
		if old, had := current[k]; !had || old != v || res.Type == ConfigBroker {
			records = append(records, ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: k, Value: &v})
		}
	}
	for _, k := range sortedKeys(current) {
		if _, keep := configs[k]; !keep {
			records = append(records, ConfigRecord{ResourceType: res.Type, ResourceName: res.Name, Name: k})
		}
	}
	return c.commitConfigChange(ctx, img, res, configs, records, validateOnly)
}

func checkResourceType(res ConfigResource) error {
	if res.Type != ConfigTopic && res.Type != ConfigBroker {
		return newError(kerr.InvalidRequest, "Unknown resource type %d", res.Type)
	}
	return nil
}

// commitConfigChange checks the config set res would have (next) with
// checkConfigChange and, unless validateOnly, proposes the records that
// make the change.
func (c *Controller) commitConfigChange(ctx context.Context, img *Image, res ConfigResource, next map[string]string, records []Record, validateOnly bool) error {
	if err := c.checkConfigChange(img, res, next); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	_, err := c.propose(ctx, records)
	return err
}

// checkConfigChange validates the resulting config set, then checks that
// the resource exists, in KRaft's order.
func (c *Controller) checkConfigChange(img *Image, res ConfigResource, next map[string]string) error {
	if err := c.validateConfigs(res, next); err != nil {
		return err
	}
	switch res.Type {
	case ConfigTopic:
		if img.Topics[res.Name] == nil {
			return newError(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", res.Name)
		}
	case ConfigBroker:
		if res.Name == "" {
			return nil
		}
		id, err := strconv.ParseInt(res.Name, 10, 32)
		if err != nil {
			return newError(kerr.InvalidRequest, "Invalid broker name %s", res.Name)
		}
		if img.Brokers[int32(id)] == nil && !c.isControllerID(int32(id)) {
			return newError(kerr.BrokerIDNotRegistered, "No node with id %d found.", id)
		}
	}
	return nil
}

func (c *Controller) isControllerID(id int32) bool {
	if _, ok := c.n.cfg.Voters[id]; ok {
		return true
	}
	return id == c.n.cfg.NodeID
}

// alterList appends or subtracts the comma-separated values of change to or
// from the list in base, as ConfigurationControlManager does: empty parts of
// base are dropped, APPEND skips values already present, SUBTRACT removes
// the first occurrence of each value.
func alterList(base, change string, appendValues bool) []string {
	var parts []string
	for _, p := range javaSplit(base) {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, v := range javaSplit(change) {
		if appendValues {
			if !slices.Contains(parts, v) {
				parts = append(parts, v)
			}
		} else if i := slices.Index(parts, v); i >= 0 {
			parts = slices.Delete(parts, i, i+1)
		}
	}
	return parts
}

// javaSplit splits on commas like Java's String.split(","): trailing empty
// strings are dropped, and a string without a comma is returned whole.
func javaSplit(s string) []string {
	if !strings.Contains(s, ",") {
		return []string{s}
	}
	parts := strings.Split(s, ",")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// QuotaOp sets or removes one quota key.
type QuotaOp struct {
	Key    string
	Value  float64
	Remove bool
}

// QuotaAlteration is the set of operations on one quota entity.
type QuotaAlteration struct {
	Entity QuotaEntity
	Ops    []QuotaOp
}

// quotaKind is the type of a quota key's value.
type quotaKind int

const (
	quotaDouble quotaKind = iota
	quotaLong
	quotaInt
)

// userClientQuotas and ipQuotas are the keys Kafka accepts for user/client-id
// entities and for IP entities (QuotaConfigs).
var (
	userClientQuotas = map[string]quotaKind{
		"producer_byte_rate":       quotaLong,
		"consumer_byte_rate":       quotaLong,
		"request_percentage":       quotaDouble,
		"controller_mutation_rate": quotaDouble,
	}
	ipQuotas = map[string]quotaKind{
		"connection_creation_rate": quotaInt,
	}
)

// AlterClientQuotas applies quota changes (KIP-546) with KRaft's
// ClientQuotaControlManager checks, returning one error (or nil) per
// alteration. The changes of all valid alterations are one entry. Unlike
// Kafka, an IP entity must be a literal address: the controller resolves no
// host names, so that its decisions do not depend on DNS.
func (c *Controller) AlterClientQuotas(ctx context.Context, alts []QuotaAlteration, validateOnly bool) []error {
	errs, err := mAlterClientQuotas.call(ctx, c, alterClientQuotasRequest{Alterations: alts, ValidateOnly: validateOnly})
	if got := len(errs); got != len(alts) {
		errs = make(errorList, len(alts))
		for i := range errs {
			errs[i] = resultsError(err, got, len(alts))
		}
	}
	return errs
}

// alterClientQuotas is AlterClientQuotas on the active controller; the
// error is the request-level failure, as for createTopics.
func (c *Controller) alterClientQuotas(ctx context.Context, req alterClientQuotasRequest) (errorList, error) {
	alts, validateOnly := req.Alterations, req.ValidateOnly
	errs := make(errorList, len(alts))
	img, err := c.begin(ctx)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs, err
	}
	defer c.end()
	seen := map[QuotaEntity]bool{}
	var records []Record
	var ok []int
	for i, a := range alts {
		if seen[a.Entity] {
			errs[i] = newError(kerr.InvalidRequest, "Ignoring duplicate entity %s", a.Entity)
			continue
		}
		seen[a.Entity] = true
		recs, err := quotaRecords(img, a)
		if err != nil {
			errs[i] = err
			continue
		}
		records = append(records, recs...)
		ok = append(ok, i)
	}
	if validateOnly {
		return errs, nil
	}
	if _, err := c.propose(ctx, records); err != nil {
		for _, i := range ok {
			errs[i] = err
		}
		return errs, err
	}
	return errs, nil
}

func quotaRecords(img *Image, a QuotaAlteration) ([]Record, error) {
	e := a.Entity
	keys := map[string]bool{}
	for _, op := range a.Ops {
		if keys[op.Key] {
			return nil, newError(kerr.InvalidRequest, "Duplicate quota key %s not updating quota for this entity %s", op.Key, e)
		}
		keys[op.Key] = true
	}
	var valid map[string]quotaKind
	switch {
	case e.IP.Present && (e.User.Present || e.ClientID.Present):
		return nil, newError(kerr.InvalidRequest, "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId")
	case e.IP.Present:
		if !e.IP.Default && net.ParseIP(e.IP.Name) == nil {
			return nil, newError(kerr.InvalidRequest, "%s is not a valid IP or resolvable host.", e.IP.Name)
		}
		valid = ipQuotas
	case e.User.Present || e.ClientID.Present:
		valid = userClientQuotas
	default:
		return nil, newError(kerr.InvalidRequest, "Invalid empty client quota entity")
	}
	current := img.ClientQuotas[e]
	var records []Record
	for _, op := range a.Ops {
		if op.Remove {
			if _, had := current[op.Key]; had {
				records = append(records, ClientQuotaRecord{Entity: e, Key: op.Key, Remove: true})
			}
			continue
		}
		if err := validateQuotaValue(valid, op.Key, op.Value); err != nil {
			return nil, err
		}
		if old, had := current[op.Key]; !had || old != op.Value {
			records = append(records, ClientQuotaRecord{Entity: e, Key: op.Key, Value: op.Value})
		}
	}
	return records, nil
}

func validateQuotaValue(valid map[string]quotaKind, key string, v float64) error {
	kind, ok := valid[key]
	if !ok {
		return newError(kerr.InvalidRequest, "Invalid configuration key %s", key)
	}
	if math.IsNaN(v) || v <= 0 {
		return newError(kerr.InvalidRequest, "Quota %s must be greater than 0", key)
	}
	switch kind {
	case quotaInt:
		if v > math.MaxInt32 {
			return newError(kerr.InvalidRequest, "Proposed value for %s is too large for an INT.", key)
		}
	case quotaLong:
		if v > math.MaxInt64 {
			return newError(kerr.InvalidRequest, "Proposed value for %s is too large for a LONG.", key)
		}
	default:
		if math.IsInf(v, 0) {
			return newError(kerr.InvalidRequest, "Quota %s must be finite", key)
		}
		return nil
	}
	if math.Abs(math.Mod(v, 1)) > 1e-6 {
		return newError(kerr.InvalidRequest, "%s cannot be a fractional value.", key)
	}
	return nil
}

// String renders the entity like Kafka's ClientQuotaEntity, e.g.
// "ClientQuotaEntity(entries={user=alice, client-id=null})".
func (e QuotaEntity) String() string {
	var parts []string
	add := func(typ string, n EntityName) {
		if !n.Present {
			return
		}
		name := n.Name
		if n.Default {
			name = "null"
		}
		parts = append(parts, typ+"="+name)
	}
	add("user", e.User)
	add("client-id", e.ClientID)
	add("ip", e.IP)
	return fmt.Sprintf("ClientQuotaEntity(entries={%s})", strings.Join(parts, ", "))
}
