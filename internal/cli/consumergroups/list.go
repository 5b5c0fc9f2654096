package consumergroups

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// groupStates are Kafka's ConsumerGroupState names, Unknown aside, in enum
// order.
var groupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling"}

// groupTypes are Kafka's GroupType names, Unknown aside, in enum order.
var groupTypes = []string{"Consumer", "Classic", "Share"}

// stateName is ConsumerGroupState.parse(s).toString(): the state's
// canonical name, matched case-insensitively, or "Unknown".
func stateName(s string) string {
	for _, st := range groupStates {
		if strings.EqualFold(st, s) {
			return st
		}
	}
	return "Unknown"
}

// typeName is GroupType.parse(s).toString().
func typeName(s string) string {
	for _, t := range groupTypes {
		if strings.EqualFold(t, s) {
			return t
		}
	}
	return "Unknown"
}

// parseStates reads the --state filter of --list: a comma-separated list of
// state names, any case. An empty value means no filter.
func parseStates(input string) ([]string, error) {
	if input == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range javaSplit(input, ",") {
		st := stateName(cli.JavaTrim(s))
		if st == "Unknown" {
			return nil, cli.UsageErrorf("Invalid state list '%s'. Valid states are: %s", input, strings.Join(groupStates, ", "))
		}
		if !seen[st] {
			seen[st] = true
			out = append(out, st)
		}
	}
	return out, nil
}

// parseTypes reads the --type filter of --list.
func parseTypes(input string) ([]string, error) {
	if input == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range javaSplit(strings.ToLower(input), ",") {
		t := typeName(cli.JavaTrim(s))
		if t == "Unknown" {
			return nil, cli.UsageErrorf("Invalid types list '%s'. Valid types are: %s", input, strings.Join(groupTypes, ", "))
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// listFailure is how a failed ListGroups reaches the tool: Kafka's admin
// client reports a broker it could not reach as "Failed to find brokers to
// send ListGroups".
func listFailure(err error) error {
	var nt *client.NodeTimeoutError
	if errors.As(err, &nt) {
		return &javaException{class: "org.apache.kafka.common.KafkaException", msg: "Failed to find brokers to send ListGroups", err: err}
	}
	return err
}

type listJSON struct {
	Groups []listedGroupJSON `json:"groups"`
}

type listedGroupJSON struct {
	Group string `json:"group"`
	State string `json:"state"`
	Type  string `json:"type"`
}

func (o *Options) list(ctx context.Context, c *cluster) error {
	includeType, includeState := o.has("type"), o.has("state")
	if !includeType && !includeState && !o.json() {
		ids, err := c.listGroupIDs(ctx)
		if err != nil {
			return wrapped(listFailure(err))
		}
		for _, id := range ids {
			fmt.Fprintln(o.IO.Out, id)
		}
		return nil
	}

	types, err := parseTypes(o.Type.String())
	if err != nil {
		return err
	}
	states, err := parseStates(o.State.String())
	if err != nil {
		return err
	}
	groups, err := c.listGroups(ctx, states, types)
	if err != nil {
		return execution(listFailure(err))
	}
	if o.json() {
		out := listJSON{Groups: []listedGroupJSON{}}
		for _, g := range groups {
			out.Groups = append(out.Groups, listedGroupJSON{Group: g.ID, State: stateName(g.State), Type: typeName(g.Type)})
		}
		return cli.WriteJSON(o.IO.Out, out)
	}

	width := 15
	for _, g := range groups {
		width = max(width, utf16Len(g.ID))
	}
	width += 10
	row := func(id, typ, state string) {
		var b strings.Builder
		b.WriteString(pad(id, width))
		if includeType {
			b.WriteString(" " + pad(typ, 20))
		}
		if includeState {
			b.WriteString(" " + pad(state, 20))
		}
		b.WriteByte('\n')
		fmt.Fprint(o.IO.Out, b.String())
	}
	row("GROUP", "TYPE", "STATE")
	for _, g := range groups {
		row(g.ID, typeName(g.Type), stateName(g.State))
	}
	return nil
}
