package config

import (
	"fmt"
	"io"
	"strings"
)

// RenderMarkdown writes the registry as Markdown: one table each for
// broker, topic, client quota, IP quota and client-metrics configs, and
// the broker logger levels. docs/configs.md is this output; a test keeps
// it current.
func RenderMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from `internal/config` (the one config registry of kafkakit) by\n")
	b.WriteString("`go test ./internal/config -run TestConfigsDoc -update`; do not edit by hand.\n")
	b.WriteString("Names, types, defaults, valid values, importance and update modes are those of\n")
	b.WriteString("Apache Kafka 3.9.\n\n")

	b.WriteString("## Broker configs\n\n")
	b.WriteString("Set in `server.properties` or with `--override key=value`. Configs whose mode is\n")
	b.WriteString("not read-only can also be changed at run time with `kafka-configs --alter\n")
	b.WriteString("--entity-type brokers`: per-broker ones for one broker (`--entity-name <id>`),\n")
	b.WriteString("cluster-wide ones for one broker or as the cluster default (`--entity-default`).\n")
	b.WriteString("Listener settings may also be given per listener as\n")
	b.WriteString("`listener.name.<listener>.<config>`.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Update mode | Importance | Description |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, d := range BrokerDefs() {
		mode := d.Mode.String()
		if d.DynamicOnly {
			mode += " (dynamic only)"
		}
		row(&b, code(d.Name), d.Type.DocName(), defaultText(d), d.ValidValues(), mode, d.Importance.String(), d.Doc)
	}

	b.WriteString("\n## Topic configs\n\n")
	b.WriteString("Set per topic with `kafka-topics --create --config key=value` or `kafka-configs\n")
	b.WriteString("--alter --entity-type topics`. A topic without an override takes the value of\n")
	b.WriteString("its server default property (the first of the listed broker configs that is\n")
	b.WriteString("set); the default column is the value when nothing is set anywhere.\n\n")
	b.WriteString("| Name | Type | Default | Valid values | Server default property | Importance | Description |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, d := range TopicDefs() {
		var syn []string
		for _, s := range d.Synonyms {
			syn = append(syn, code(s.Name))
		}
		row(&b, code(d.Name), d.Type.DocName(), defaultText(d), d.ValidValues(), strings.Join(syn, ", "), d.Importance.String(), d.Doc)
	}

	b.WriteString("\n## Client quotas (users and client ids)\n\n")
	b.WriteString("Set with `kafka-configs --alter --entity-type users|clients`. Users also accept\n")
	b.WriteString("SCRAM credentials (`" + strings.Join(scramMechanisms, "`, `") + "`).\n\n")
	quotaTable(&b, QuotaDefs(QuotaUser))
	b.WriteString("\n## IP quotas\n\n")
	b.WriteString("Set with `kafka-configs --alter --entity-type ips`.\n\n")
	quotaTable(&b, QuotaDefs(QuotaIP))
	b.WriteString("\n## Client metrics subscriptions\n\n")
	b.WriteString("Set with `kafka-configs --alter --entity-type client-metrics` (KIP-714).\n\n")
	quotaTable(&b, ClientMetricsDefs())

	b.WriteString("\n## Broker loggers\n\n")
	b.WriteString("`kafka-configs --alter --entity-type broker-loggers --entity-name <id>` sets a\n")
	b.WriteString("logger's level to one of " + code(strings.Join(logLevels, "`, `")) + ".\n")

	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write config docs: %w", err)
	}
	return nil
}

func quotaTable(b *strings.Builder, defs []Def) {
	b.WriteString("| Name | Type | Default | Valid values | Description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, d := range defs {
		row(b, code(d.Name), d.Type.DocName(), defaultText(d), d.ValidValues(), d.Doc)
	}
}

func code(s string) string { return "`" + s + "`" }

func defaultText(d Def) string {
	switch {
	case d.NullDefault:
		return "null"
	case d.Default == "":
		return `""`
	}
	return d.Default
}

func row(b *strings.Builder, cells ...string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
	}
	b.WriteString("\n")
}
