package consumergroups

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// offsetAt is one planned offset.
type offsetAt struct {
	tp     topicPartition
	offset int64
}

// groupReset is the plan of one group: the offsets to commit in the order
// Kafka prints them, or the reason the group was left alone.
type groupReset struct {
	group   string
	state   string
	err     string
	offsets []offsetAt
}

func (o *Options) resetOffsets(ctx context.Context, c *cluster) error {
	ids, err := o.groupIDs(ctx, c)
	if err != nil {
		return err
	}
	ids = unique(ids)
	groups, err := c.describeGroups(ctx, ids)
	if err != nil {
		return wrapped(err)
	}
	// Dry-run is the default when --execute is not given.
	execute := o.has("execute")
	var plans []groupReset
	for _, id := range stringMapOrder(ids) {
		state := "Dead"
		if g := groups[id]; g != nil {
			state = stateName(g.State)
		}
		gr := groupReset{group: id, state: state}
		switch state {
		case "Empty", "Dead":
			tps, err := o.partitionsToReset(ctx, c, id)
			if err != nil {
				return err
			}
			if gr.offsets, err = o.prepare(ctx, c, id, tps); err != nil {
				return err
			}
			if execute {
				want := make(map[topicPartition]int64, len(gr.offsets))
				for _, p := range gr.offsets {
					want[p.tp] = p.offset
				}
				if err := c.alterOffsets(ctx, id, want); err != nil {
					return wrapped(err)
				}
			}
		default:
			gr.err = fmt.Sprintf("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", id, state)
			printError(o.notes(), "%s", gr.err)
		}
		plans = append(plans, gr)
	}

	switch {
	case o.json():
		return o.printResetJSON(plans, execute)
	case o.has("export"):
		single := len(o.Group.Values()) == 1
		var b strings.Builder
		for _, gr := range plans {
			for _, p := range gr.offsets {
				if !single {
					b.WriteString(csvField(gr.group) + ",")
				}
				fmt.Fprintf(&b, "%s,%d,%d\n", csvField(p.tp.Topic), p.tp.Partition, p.offset)
			}
		}
		fmt.Fprintln(o.IO.Out, b.String())
	default:
		var b strings.Builder
		line := func(group, topic, partition, offset string) {
			b.WriteString("\n" + pad(group, 30) + " " + pad(topic, 30) + " " + pad(partition, 10) + " " + pad(offset, 15))
		}
		if len(plans) > 0 {
			line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
		}
		for _, gr := range plans {
			for _, p := range gr.offsets {
				line(gr.group, p.tp.Topic, strconv.Itoa(int(p.tp.Partition)), strconv.FormatInt(p.offset, 10))
			}
		}
		b.WriteByte('\n')
		fmt.Fprint(o.IO.Out, b.String())
	}
	return nil
}

type resetJSON struct {
	Executed bool             `json:"executed"`
	Groups   []groupResetJSON `json:"groups"`
}

type groupResetJSON struct {
	Group      string          `json:"group"`
	State      string          `json:"state"`
	Error      *string         `json:"error"`
	Partitions []newOffsetJSON `json:"partitions"`
}

type newOffsetJSON struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	NewOffset int64  `json:"new_offset"`
}

func (o *Options) printResetJSON(plans []groupReset, executed bool) error {
	out := resetJSON{Executed: executed, Groups: []groupResetJSON{}}
	for _, gr := range plans {
		gj := groupResetJSON{Group: gr.group, State: gr.state, Partitions: []newOffsetJSON{}}
		if gr.err != "" {
			e := gr.err
			gj.Error = &e
		}
		for _, p := range gr.offsets {
			gj.Partitions = append(gj.Partitions, newOffsetJSON{Topic: p.tp.Topic, Partition: p.tp.Partition, NewOffset: p.offset})
		}
		out.Groups = append(out.Groups, gj)
	}
	// JSON readers want a stable order: groups and partitions sorted.
	for _, g := range out.Groups {
		slices.SortFunc(g.Partitions, func(a, b newOffsetJSON) int {
			if a.Topic != b.Topic {
				return strings.Compare(a.Topic, b.Topic)
			}
			return cmp.Compare(a.Partition, b.Partition)
		})
	}
	slices.SortFunc(out.Groups, func(a, b groupResetJSON) int {
		if javaLess(a.Group, b.Group) {
			return -1
		}
		if javaLess(b.Group, a.Group) {
			return 1
		}
		return 0
	})
	return cli.WriteJSON(o.IO.Out, out)
}

// partitionsToReset is the scope of the reset: --all-topics (every
// partition the group has an offset for), --topic (named partitions first,
// then every partition of the topics named without partitions), or none
// with --from-file.
func (o *Options) partitionsToReset(ctx context.Context, c *cluster, group string) ([]topicPartition, error) {
	switch {
	case o.has("all-topics"):
		committed, err := c.committed(ctx, group)
		if err != nil {
			return nil, wrapped(err)
		}
		tps := make([]topicPartition, 0, len(committed))
		for tp := range committed {
			tps = append(tps, tp)
		}
		sortPartitions(tps)
		return tps, nil
	case o.has("topic"):
		var whole []string
		var tps []topicPartition
		for _, arg := range o.Topic.Values() {
			if strings.Contains(arg, ":") {
				parsed, err := parseTopicArg(arg)
				if err != nil {
					return nil, err
				}
				tps = append(tps, parsed...)
				continue
			}
			whole = append(whole, arg)
		}
		if len(whole) > 0 {
			whole = unique(whole)
			parts, failedTopics, err := c.partitions(ctx, whole)
			if err != nil {
				return nil, wrapped(err)
			}
			for _, t := range stringMapOrder(whole) {
				if err := failedTopics[t]; err != nil {
					return nil, wrapped(err)
				}
			}
			for _, t := range stringMapOrder(whole) {
				for _, p := range parts[t] {
					tps = append(tps, topicPartition{t, p})
				}
			}
		}
		return uniquePartitions(tps), nil
	case !o.has("from-file"):
		return nil, cli.UsageErrorf("One of the reset scopes should be defined: --all-topics, --topic.")
	}
	return nil, nil
}

func uniquePartitions(tps []topicPartition) []topicPartition {
	seen := map[topicPartition]bool{}
	out := tps[:0:0]
	for _, tp := range tps {
		if !seen[tp] {
			seen[tp] = true
			out = append(out, tp)
		}
	}
	return out
}

// inOrder lists offsets in the iteration order of the HashMap Kafka builds
// from partitions taken in the given order.
func inOrder(tps []topicPartition, offsets map[topicPartition]int64) []offsetAt {
	var out []offsetAt
	for _, tp := range partitionMapOrder(tps) {
		out = append(out, offsetAt{tp, offsets[tp]})
	}
	return out
}

// logOffsets asks for one offset spec of every partition; like Kafka's
// listOffsets(...).all().get(), it fails if any partition fails.
func logOffsets(ctx context.Context, c *cluster, tps []topicPartition, spec int64) (map[topicPartition]int64, error) {
	offsets, failedParts, err := c.listOffsets(ctx, tps, spec)
	if err != nil {
		return nil, wrapped(err)
	}
	for _, tp := range tps {
		if e, ok := failedParts[tp]; ok {
			if e == nil {
				e = fmt.Errorf("no offset for %s", tp)
			}
			return nil, wrapped(e)
		}
	}
	return offsets, nil
}

// prepare computes the new offsets of one group for the chosen scenario.
func (o *Options) prepare(ctx context.Context, c *cluster, group string, tps []topicPartition) ([]offsetAt, error) {
	switch {
	case o.has("to-offset"):
		n, err := o.ToOffset.Int64()
		if err != nil {
			return nil, optionFailure(err)
		}
		requested := map[topicPartition]int64{}
		for _, tp := range tps {
			requested[tp] = n
		}
		return o.checkRange(ctx, c, tps, requested)

	case o.has("to-earliest"), o.has("to-latest"):
		spec := specEarliest
		if o.has("to-latest") {
			spec = specLatest
		}
		offsets, err := logOffsets(ctx, c, tps, spec)
		if err != nil {
			return nil, err
		}
		return inOrder(tps, offsets), nil

	case o.has("shift-by"):
		committed, err := c.committed(ctx, group)
		if err != nil {
			return nil, wrapped(err)
		}
		requested := map[topicPartition]int64{}
		for _, tp := range tps {
			shift, err := o.ShiftBy.Int64()
			if err != nil {
				return nil, optionFailure(err)
			}
			cur, ok := committed[tp]
			if !ok {
				return nil, cli.UsageErrorf("Cannot shift offset for partition %s since there is no current committed offset", tp)
			}
			requested[tp] = cur + shift
		}
		return o.checkRange(ctx, c, tps, requested)

	case o.has("to-datetime"):
		v, err := o.ToDatetime.Get()
		if err != nil {
			return nil, optionFailure(err)
		}
		ts, err := parseDateTime(v)
		if err != nil {
			return nil, runtime("java.text.ParseException", err.Error())
		}
		return o.byTimestamp(ctx, c, tps, ts)

	case o.has("by-duration"):
		v, err := o.ByDuration.Get()
		if err != nil {
			return nil, optionFailure(err)
		}
		d, err := parseDuration(v)
		if err != nil {
			return nil, failed("java.time.format.DateTimeParseException", err.Error())
		}
		ts, err := minusDuration(time.Now(), d)
		if err != nil {
			return nil, err
		}
		return o.byTimestamp(ctx, c, tps, ts)

	case o.has("from-file"):
		path, err := o.FromFile.Get()
		if err != nil {
			return nil, optionFailure(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, runtime("java.io.IOException", "Unable to read file "+path)
		}
		single := ""
		if gs := o.Group.Values(); len(gs) == 1 {
			single = gs[0]
		}
		plan, err := parseResetPlan(string(data), single)
		if err != nil {
			return nil, runtime("java.io.IOException", "Invalid reset plan in "+path+": "+err.Error())
		}
		requested, ok := plan[group]
		if !ok {
			printError(o.notes(), "No reset plan for group %s found", group)
			return nil, nil
		}
		order := make([]topicPartition, 0, len(requested))
		for tp := range requested {
			order = append(order, tp)
		}
		sortPartitions(order)
		return o.checkRange(ctx, c, order, requested)

	case o.has("to-current"):
		committed, err := c.committed(ctx, group)
		if err != nil {
			return nil, wrapped(err)
		}
		var without []topicPartition
		offsets := map[topicPartition]int64{}
		for _, tp := range tps {
			if off, ok := committed[tp]; ok {
				offsets[tp] = off
			} else {
				without = append(without, tp)
			}
		}
		ends, err := logOffsets(ctx, c, without, specLatest)
		if err != nil {
			return nil, err
		}
		for tp, off := range ends {
			offsets[tp] = off
		}
		return inOrder(tps, offsets), nil
	}
	names := make([]string, len(scenarioSet))
	for i, s := range scenarioSet {
		names[i] = "[" + s + "]"
	}
	return nil, cli.UsageErrorf("Option '[reset-offsets]' requires one of the following scenarios: [%s]", strings.Join(names, ", "))
}

// checkRange clamps requested offsets to each partition's log: above the
// log end offset to the end, below the log start offset to the start, with
// Kafka's WARN line for each.
func (o *Options) checkRange(ctx context.Context, c *cluster, tps []topicPartition, requested map[topicPartition]int64) ([]offsetAt, error) {
	starts, err := logOffsets(ctx, c, tps, specEarliest)
	if err != nil {
		return nil, err
	}
	ends, err := logOffsets(ctx, c, tps, specLatest)
	if err != nil {
		return nil, err
	}
	out := map[topicPartition]int64{}
	for _, tp := range partitionMapOrder(tps) {
		off := requested[tp]
		end, start := ends[tp], starts[tp]
		switch {
		case off > end:
			o.Logger.Warn(fmt.Sprintf("New offset (%d) is higher than latest offset for topic partition %s. Value will be set to %d", off, tp, end))
			off = end
		case off < start:
			o.Logger.Warn(fmt.Sprintf("New offset (%d) is lower than earliest offset for topic partition %s. Value will be set to %d", off, tp, start))
			off = start
		}
		out[tp] = off
	}
	return inOrder(tps, out), nil
}

// byTimestamp resets to the first offset at or after ts; partitions with no
// such record fall back to their log end offset, with Kafka's warning.
func (o *Options) byTimestamp(ctx context.Context, c *cluster, tps []topicPartition, ts int64) ([]offsetAt, error) {
	found, err := logOffsets(ctx, c, tps, ts)
	if err != nil {
		return nil, err
	}
	var empty []topicPartition
	for _, tp := range tps {
		if found[tp] == -1 {
			empty = append(empty, tp)
		}
	}
	for _, tp := range partitionMapOrder(empty) {
		fmt.Fprintf(o.notes(), "\nWarn: Partition %d from topic %s is empty. Falling back to latest known offset.\n", tp.Partition, tp.Topic)
	}
	ends, err := logOffsets(ctx, c, empty, specLatest)
	if err != nil {
		return nil, err
	}
	for tp, off := range ends {
		found[tp] = off
	}
	return inOrder(tps, found), nil
}

// Instant's range, in seconds since the epoch.
const (
	instantMinSeconds = -31557014167219200
	instantMaxSeconds = 31556889864403199
)

// minusDuration is Instant.now().minus(d).toEpochMilli() with Java's
// failures: an instant out of range, a millisecond count out of a long.
func minusDuration(now time.Time, d *big.Int) (int64, error) {
	nanos := new(big.Int).Mul(big.NewInt(now.Unix()), big.NewInt(int64(time.Second)))
	nanos.Add(nanos, big.NewInt(int64(now.Nanosecond())))
	nanos.Sub(nanos, d)
	second := big.NewInt(int64(time.Second))
	secs, _ := new(big.Int).DivMod(nanos, second, new(big.Int))
	if secs.Cmp(big.NewInt(instantMinSeconds)) < 0 || secs.Cmp(big.NewInt(instantMaxSeconds)) > 0 {
		return 0, failed("java.time.DateTimeException", "Instant exceeds minimum or maximum instant")
	}
	ms, _ := new(big.Int).DivMod(nanos, big.NewInt(int64(time.Millisecond)), new(big.Int))
	if !ms.IsInt64() {
		return 0, failed("java.lang.ArithmeticException", "long overflow")
	}
	return ms.Int64(), nil
}
