package configs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/IBM/sarama"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/config"
)

// resourceView is one described config resource: a topic, a broker, the
// cluster-wide broker default, a broker's loggers or a client-metrics
// subscription.
type resourceView struct {
	// EntityType is Kafka's entity type (topics, brokers, broker-loggers,
	// client-metrics).
	EntityType string `json:"entity_type"`
	// Name is the entity's name; "" with Default for the cluster default.
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// All is set when every config is listed (--all), not only dynamic
	// ones.
	All     bool         `json:"all"`
	Configs []configView `json:"configs"`
}

// configView is one config entry. Value is nil where Kafka reports null.
type configView struct {
	Name      string        `json:"name"`
	Value     *string       `json:"value"`
	Sensitive bool          `json:"sensitive"`
	ReadOnly  bool          `json:"read_only"`
	Source    string        `json:"source"`
	Synonyms  []synonymView `json:"synonyms"`
}

type synonymView struct {
	Name   string  `json:"name"`
	Value  *string `json:"value"`
	Source string  `json:"source"`
}

// quotaView is the client quotas of one entity.
type quotaView struct {
	Entity []quotaPart   `json:"entity"`
	Quotas []quotaAmount `json:"quotas"`
}

// quotaPart is one part of a quota entity; a nil Name is the default
// entity of its type.
type quotaPart struct {
	Type string  `json:"type"` // user, client-id or ip
	Name *string `json:"name"`
}

type quotaAmount struct {
	Key   string  `json:"key"`
	Value float64 `json:"value"`
}

// scramView is one user's SCRAM credentials, or why they could not be
// described.
type scramView struct {
	User        string          `json:"user"`
	Credentials []scramInfoView `json:"credentials,omitempty"`
	// Error is the exception Kafka prints for this user, as
	// "<simple class name>: <message>".
	Error string `json:"error,omitempty"`
}

type scramInfoView struct {
	Mechanism  string `json:"mechanism"`
	Iterations int32  `json:"iterations"`
}

// describeOutput is what --describe --output json prints: the section of
// the entity kind described, empty or not; the others are left out.
type describeOutput struct {
	Resources        *[]resourceView `json:"resources,omitempty"`
	Quotas           *[]quotaView    `json:"quotas,omitempty"`
	ScramCredentials *[]scramView    `json:"scram_credentials,omitempty"`
}

// printer writes describe results: Kafka's lines as they come, or one JSON
// document at the end.
type printer struct {
	w    io.Writer
	json bool
	out  describeOutput
}

func (p *printer) header(r resourceView) {
	if p.json {
		*p.out.Resources = append(*p.out.Resources, r)
		return
	}
	fmt.Fprintln(p.w, resourceHeader(r))
}

func (p *printer) configs(cs []configView) {
	if p.json {
		rs := *p.out.Resources
		rs[len(rs)-1].Configs = cs
		return
	}
	for _, c := range cs {
		fmt.Fprintln(p.w, configLine(c))
	}
}

func (p *printer) quota(q quotaView) {
	if p.json {
		*p.out.Quotas = append(*p.out.Quotas, q)
		return
	}
	fmt.Fprintln(p.w, quotaLine(q))
}

func (p *printer) scram(s scramView) {
	if p.json {
		*p.out.ScramCredentials = append(*p.out.ScramCredentials, s)
		return
	}
	fmt.Fprintln(p.w, scramLine(s))
}

func (p *printer) flush() error {
	if !p.json {
		return nil
	}
	if p.out.Resources != nil {
		for i, r := range *p.out.Resources {
			if r.Configs == nil {
				(*p.out.Resources)[i].Configs = []configView{}
			}
		}
	}
	return cli.WriteJSON(p.w, p.out)
}

// resourceHeader is the line above a resource's configs:
// "Dynamic configs for topic t are:", "All configs for broker 1 are:",
// "Default configs for brokers in the cluster are:".
func resourceHeader(r resourceView) string {
	if r.Default {
		return "Default configs for " + r.EntityType + " in the cluster are:"
	}
	kind := "Dynamic"
	if r.All {
		kind = "All"
	}
	return kind + " configs for " + strings.TrimSuffix(r.EntityType, "s") + " " + r.Name + " are:"
}

// configLine is "  name=value sensitive=false synonyms={SOURCE:name=value, ...}".
func configLine(c configView) string {
	syns := make([]string, len(c.Synonyms))
	for i, s := range c.Synonyms {
		syns[i] = s.Source + ":" + s.Name + "=" + nullable(s.Value)
	}
	return "  " + c.Name + "=" + nullable(c.Value) + " sensitive=" + strconv.FormatBool(c.Sensitive) +
		" synonyms={" + strings.Join(syns, ", ") + "}"
}

func nullable(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// configViews turns described entries into what ConfigCommand prints: only
// the entries from source (every entry when source is nil), sorted by name.
func configViews(typ sarama.ConfigResourceType, entries []sarama.ConfigEntry, source *sarama.ConfigSource) []configView {
	out := []configView{}
	for _, e := range entries {
		if source != nil && e.Source != *source {
			continue
		}
		c := configView{
			Name:      e.Name,
			Value:     entryValue(typ, e.Name, e.Value, e.Sensitive, e.Source, e.Type),
			Sensitive: e.Sensitive,
			ReadOnly:  e.ReadOnly,
			Source:    config.Source(e.Source).String(),
			Synonyms:  []synonymView{},
		}
		for _, s := range e.Synonyms {
			c.Synonyms = append(c.Synonyms, synonymView{
				Name:   s.ConfigName,
				Value:  entryValue(typ, s.ConfigName, s.ConfigValue, e.Sensitive, s.Source, sarama.UnknownConfigType),
				Source: config.Source(s.Source).String(),
			})
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return javaLess(out[i].Name, out[j].Name) })
	return out
}

// entryValue recovers the null values sarama reads as "" (see the package
// doc): sensitive values are always null; an empty value is null when its
// type cannot be empty, or when it comes from a default that the config
// registry says is null.
func entryValue(typ sarama.ConfigResourceType, name, value string, sensitive bool, source sarama.ConfigSource, ct sarama.ConfigType) *string {
	if sensitive {
		return nil
	}
	if value != "" {
		return &value
	}
	switch ct {
	case sarama.BooleanConfigType, sarama.IntConfigType, sarama.ShortConfigType, sarama.LongConfigType, sarama.DoubleConfigType:
		return nil
	}
	if source != sarama.SourceDefault {
		return &value
	}
	def, ok := config.LookupBroker(name)
	if typ == resourceTopic {
		if d, found := config.LookupTopic(name); found {
			def, ok = d, true
		}
	}
	if ok && !def.NullDefault {
		return &value
	}
	return nil
}

// javaLess is String.compareTo's order (UTF-16 code units).
func javaLess(a, b string) bool {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) < 0
}

// dynamicSource is the source ConfigCommand keeps without --all.
func dynamicSource(entityType, name string) *sarama.ConfigSource {
	var s sarama.ConfigSource
	switch entityType {
	case typeTopics:
		s = sarama.SourceTopic
	case typeBrokers:
		if name == "" {
			s = sarama.SourceDynamicDefaultBroker
		} else {
			s = sarama.SourceDynamicBroker
		}
	case typeClientMetrics:
		s = sarama.ConfigSource(config.ClientMetrics)
	default:
		return nil // broker-loggers: every logger
	}
	return &s
}

func resourceType(entityType string) sarama.ConfigResourceType {
	switch entityType {
	case typeTopics:
		return resourceTopic
	case typeBrokers:
		return resourceBroker
	case typeBrokerLoggers:
		return resourceBrokerLogger
	}
	return resourceClientMetrics
}

// resourceConfigs is ConfigCommand's getResourceConfig: it checks the name,
// describes the resource and keeps the entries to print.
func (c *cluster) resourceConfigs(ctx context.Context, entityType, name string, synonyms, all bool) ([]configView, []sarama.ConfigEntry, error) {
	switch entityType {
	case typeTopics:
		if name != "" {
			if err := validateTopic(name); err != nil {
				return nil, nil, err
			}
		}
	case typeBrokers:
		if name != "" {
			if _, err := strconv.ParseInt(name, 10, 32); err != nil {
				return nil, nil, cli.Errorf("The entity name for %s must be a valid integer broker id, found: %s", entityType, name)
			}
		}
	case typeBrokerLoggers:
		if name != "" {
			if _, err := strconv.ParseInt(name, 10, 32); err != nil {
				return nil, nil, cli.Errorf("The entity name for %s must be a valid integer broker id, found: %s", entityType, name)
			}
		}
	}
	typ := resourceType(entityType)
	entries, err := c.describeConfigs(ctx, typ, name, synonyms)
	if err != nil {
		return nil, nil, err
	}
	source := dynamicSource(entityType, name)
	if all {
		source = nil
	}
	return configViews(typ, entries, source), entries, nil
}

// validateTopic is Kafka's Topic.validate, which ConfigCommand runs before
// describing a topic.
func validateTopic(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "the empty string is not allowed"
	case name == ".":
		reason = "'.' is not allowed"
	case name == "..":
		reason = "'..' is not allowed"
	case len(utf16.Encode([]rune(name))) > 249:
		reason = "the length of '" + name + "' is longer than the max allowed length 249"
	default:
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				reason = "'" + name + "' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return &javaError{class: "org.apache.kafka.common.errors.InvalidTopicException", msg: "Topic name is invalid: " + reason}
}

// describe is ConfigCommand.describeConfig.
func (o *Options) describe(ctx context.Context, c *cluster, types, names []string) error {
	p := &printer{w: o.IO.Out, json: *o.Output == cli.OutputJSON}
	var err error
	switch types[0] {
	case typeTopics, typeBrokers, typeBrokerLoggers, typeClientMetrics:
		p.out.Resources = &[]resourceView{}
		err = o.describeResources(ctx, c, p, types[0], names)
	case typeUsers, typeClients:
		p.out.Quotas = &[]quotaView{}
		if !slices.Contains(types, typeClients) && !slices.Contains(names, "") {
			p.out.ScramCredentials = &[]scramView{}
		}
		err = o.describeQuotasAndScram(ctx, c, p, types, names)
	case typeIPs:
		p.out.Quotas = &[]quotaView{}
		err = o.describeQuotas(ctx, c, p, types, names)
	default:
		err = cli.Errorf("Invalid entity type: %s", types[0])
	}
	if err != nil {
		return err
	}
	return p.flush()
}

// describeResources prints the configs of the named resource, or of every
// resource of the type: all topics (internal ones included), every broker
// and then the cluster default.
func (o *Options) describeResources(ctx context.Context, c *cluster, p *printer, entityType string, names []string) error {
	var entities []string
	if len(names) > 0 {
		entities = names[:1]
	} else {
		switch entityType {
		case typeTopics:
			topics, err := c.listTopics(ctx)
			if err != nil {
				return err
			}
			// Admin.listTopics collects the names in a HashMap.
			entities = cli.JavaHashMapOrder(topics, cli.JavaStringHash, 16)
		case typeBrokers, typeBrokerLoggers:
			ids, err := c.describeCluster(ctx)
			if err != nil {
				return err
			}
			for _, id := range ids {
				entities = append(entities, strconv.Itoa(int(id)))
			}
			entities = append(entities, "")
		case typeClientMetrics:
			return c.listClientMetricsResources(ctx)
		}
	}
	for _, name := range entities {
		p.header(resourceView{EntityType: entityType, Name: name, Default: name == "", All: *o.All})
		views, _, err := c.resourceConfigs(ctx, entityType, name, true, *o.All)
		if err != nil {
			return err
		}
		p.configs(views)
	}
	return nil
}
