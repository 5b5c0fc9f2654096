package consumergroups

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/fatih/color"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// groupIDs are the groups an action works on: --all-groups lists them,
// otherwise every --group in order (duplicates included, as Kafka keeps
// them in its option list).
func (o *Options) groupIDs(ctx context.Context, c *cluster) ([]string, error) {
	if o.has("all-groups") {
		ids, err := c.listGroupIDs(ctx)
		if err != nil {
			return nil, wrapped(listFailure(err))
		}
		return ids, nil
	}
	return o.Group.Values(), nil
}

func unique(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// javaLess is String.compareTo: UTF-16 code unit order, the order of
// Kafka's TreeMap of groups.
func javaLess(a, b string) bool {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) < 0
}

func sortedIDs(groups map[string]*groupInfo) []string {
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return javaLess(ids[i], ids[j]) })
	return ids
}

func (o *Options) describe(ctx context.Context, c *cluster) error {
	ids, err := o.groupIDs(ctx, c)
	if err != nil {
		return err
	}
	groups, err := c.describeGroups(ctx, unique(ids))
	if err != nil {
		return execution(err)
	}
	switch {
	case o.has("members"):
		return o.printMembers(groups)
	case o.has("state"):
		return o.describeStates(ctx, c, groups)
	}
	return o.describeOffsets(ctx, c, groups)
}

// checkState is Kafka's shouldPrintMemberState: it reports a group that
// does not exist (stdout), is empty or rebalancing (stderr), and says
// whether the group's table has rows to print.
func (o *Options) checkState(g *groupInfo, rows int) (bool, error) {
	state := stateName(g.State)
	if o.json() {
		return state != "Dead" && rows > 0, nil
	}
	switch state {
	case "Dead":
		printError(o.IO.Out, "Consumer group '%s' does not exist.", g.ID)
	case "Empty":
		fmt.Fprintf(o.IO.ErrOut, "\nConsumer group '%s' has no active members.\n", g.ID)
	case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
		fmt.Fprintf(o.IO.ErrOut, "\nWarning: Consumer group '%s' is rebalancing.\n", g.ID)
	case "Stable":
	default:
		return false, failed("org.apache.kafka.common.KafkaException", fmt.Sprintf("Expected a valid consumer group state, but found '%s'.", state))
	}
	return state != "Dead" && rows > 0, nil
}

// groupError is the per-group error of the JSON documents: Kafka's message
// for a group that does not exist.
func groupError(g *groupInfo) *string {
	if stateName(g.State) == "Dead" {
		s := fmt.Sprintf("Consumer group '%s' does not exist.", g.ID)
		return &s
	}
	return nil
}

// offsetRow is one row of the offsets table (Kafka's
// PartitionAssignmentState).
type offsetRow struct {
	Topic     string
	Partition int32
	Current   *int64
	LogEnd    *int64
	Lag       *int64
	// ConsumerID, Host and ClientID are "-" for a partition no member owns.
	ConsumerID, Host, ClientID string
}

// describeOrder is the order Kafka prints one member's (or the unowned)
// partitions in: it copies them into a HashSet (setCapacity), sorts them by
// partition number, and then iterates the HashMap of their log end offsets.
func describeOrder(tps []topicPartition, setCapacity int) []topicPartition {
	set := cli.JavaHashMapOrder(tps, topicPartition.hash, setCapacity)
	slices.SortStableFunc(set, func(a, b topicPartition) int { return int(a.Partition) - int(b.Partition) })
	return partitionMapOrder(set)
}

// collectOffsets builds the rows of one group: partitions of members with
// an assignment, members with more partitions first, then partitions with a
// committed offset that no member owns.
func collectOffsets(g *groupInfo, committed, logEnd map[topicPartition]int64) []offsetRow {
	members := slices.Clone(g.Members)
	members = slices.DeleteFunc(members, func(m memberInfo) bool { return len(m.Assignment) == 0 })
	slices.SortStableFunc(members, func(a, b memberInfo) int { return len(b.Assignment) - len(a.Assignment) })

	rowFor := func(tp topicPartition, consumer, host, clientID string) offsetRow {
		r := offsetRow{Topic: tp.Topic, Partition: tp.Partition, ConsumerID: consumer, Host: host, ClientID: clientID}
		if o, ok := committed[tp]; ok {
			r.Current = &o
		}
		if e, ok := logEnd[tp]; ok {
			r.LogEnd = &e
		}
		if r.Current != nil && r.LogEnd != nil {
			lag := *r.LogEnd - *r.Current
			r.Lag = &lag
		}
		return r
	}
	var rows []offsetRow
	assigned := map[topicPartition]bool{}
	for _, m := range members {
		for _, tp := range m.Assignment {
			assigned[tp] = true
		}
		for _, tp := range describeOrder(m.Assignment, hashSetCapacity(len(m.Assignment))) {
			rows = append(rows, rowFor(tp, m.ID, m.Host, m.ClientID))
		}
	}
	var unowned []topicPartition
	for tp := range committed {
		if !assigned[tp] {
			unowned = append(unowned, tp)
		}
	}
	sortPartitions(unowned)
	for _, tp := range describeOrder(unowned, 16) {
		rows = append(rows, rowFor(tp, missing, missing, missing))
	}
	return rows
}

type offsetsJSON struct {
	Groups []groupOffsetsJSON `json:"groups"`
}

type groupOffsetsJSON struct {
	Group      string          `json:"group"`
	State      string          `json:"state"`
	Error      *string         `json:"error"`
	TotalLag   *int64          `json:"total_lag"`
	Partitions []partitionJSON `json:"partitions"`
}

type partitionJSON struct {
	Topic         string  `json:"topic"`
	Partition     int32   `json:"partition"`
	CurrentOffset *int64  `json:"current_offset"`
	LogEndOffset  *int64  `json:"log_end_offset"`
	Lag           *int64  `json:"lag"`
	ConsumerID    *string `json:"consumer_id"`
	Host          *string `json:"host"`
	ClientID      *string `json:"client_id"`
}

func (o *Options) describeOffsets(ctx context.Context, c *cluster, groups map[string]*groupInfo) error {
	// Collect every group before printing, as Kafka does: a failure
	// prints no table at all.
	rows := map[string][]offsetRow{}
	for _, id := range stringMapOrder(sortedIDs(groups)) {
		g := groups[id]
		committed, err := c.committed(ctx, id)
		if err != nil {
			return wrapped(err)
		}
		var tps []topicPartition
		for _, m := range g.Members {
			tps = append(tps, m.Assignment...)
		}
		for tp := range committed {
			tps = append(tps, tp)
		}
		sortPartitions(tps)
		tps = slices.Compact(tps)
		logEnd, _, err := c.listOffsets(ctx, tps, specLatest)
		if err != nil {
			return wrapped(err)
		}
		rows[id] = collectOffsets(g, committed, logEnd)
	}

	if o.json() {
		out := offsetsJSON{Groups: []groupOffsetsJSON{}}
		for _, id := range sortedIDs(groups) {
			g := groups[id]
			gj := groupOffsetsJSON{Group: id, State: stateName(g.State), Error: groupError(g), Partitions: []partitionJSON{}}
			sorted := slices.Clone(rows[id])
			slices.SortStableFunc(sorted, func(a, b offsetRow) int {
				if a.Topic != b.Topic {
					return strings.Compare(a.Topic, b.Topic)
				}
				return int(a.Partition) - int(b.Partition)
			})
			for _, r := range sorted {
				pj := partitionJSON{Topic: r.Topic, Partition: r.Partition, CurrentOffset: r.Current, LogEndOffset: r.LogEnd, Lag: r.Lag}
				if r.ConsumerID != missing {
					pj.ConsumerID, pj.Host, pj.ClientID = &r.ConsumerID, &r.Host, &r.ClientID
				}
				if r.Lag != nil {
					total := *r.Lag
					if gj.TotalLag != nil {
						total += *gj.TotalLag
					}
					gj.TotalLag = &total
				}
				gj.Partitions = append(gj.Partitions, pj)
			}
			out.Groups = append(out.Groups, gj)
		}
		return cli.WriteJSON(o.IO.Out, out)
	}

	for _, id := range sortedIDs(groups) {
		ok, err := o.checkState(groups[id], len(rows[id]))
		if err != nil {
			return err
		}
		if ok {
			printOffsets(o.IO.Out, id, rows[id], o.Color)
		}
	}
	return nil
}

// printOffsets prints one group's offsets table as Kafka does: each line
// begins with a newline ("\n%-Gs %-Ts %-10s %-15s %-15s %-15s %-Cs %-Hs %s"),
// and a final newline ends the table. G, T, C and H are the longest group,
// topic, consumer id and host, at least 15.
func printOffsets(w io.Writer, group string, rows []offsetRow, paint bool) {
	gw, tw, cw, hw := max(15, utf16Len(group)), 15, 15, 15
	for _, r := range rows {
		tw = max(tw, utf16Len(r.Topic))
		cw = max(cw, utf16Len(r.ConsumerID))
		hw = max(hw, utf16Len(r.Host))
	}
	bold := []color.Attribute{color.Bold}
	var b strings.Builder
	line := func(cells ...cell) {
		b.WriteByte('\n')
		b.WriteString(row(paint, cells...))
	}
	line(cell{"GROUP", gw, bold}, cell{"TOPIC", tw, bold}, cell{"PARTITION", 10, bold}, cell{"CURRENT-OFFSET", 15, bold},
		cell{"LOG-END-OFFSET", 15, bold}, cell{"LAG", 15, bold}, cell{"CONSUMER-ID", cw, bold}, cell{"HOST", hw, bold}, cell{"CLIENT-ID", 0, bold})
	for _, r := range rows {
		line(cell{group, gw, nil}, cell{r.Topic, tw, nil}, cell{strconv.Itoa(int(r.Partition)), 10, nil}, cell{optInt(r.Current), 15, nil},
			cell{optInt(r.LogEnd), 15, nil}, cell{optInt(r.Lag), 15, lagAttrs(r.Lag)}, cell{r.ConsumerID, cw, nil}, cell{r.Host, hw, nil}, cell{r.ClientID, 0, nil})
	}
	b.WriteByte('\n')
	fmt.Fprint(w, b.String())
}

// assignmentString renders a member's partitions for --members --verbose in
// the documented form: "topic(0,1), other(2)", partitions in numeric order,
// entries sorted; "-" when the member has none.
func assignmentString(tps []topicPartition) string {
	if len(tps) == 0 {
		return missing
	}
	byTopic := map[string][]int32{}
	for _, tp := range tps {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	entries := make([]string, 0, len(byTopic))
	for topic, parts := range byTopic {
		slices.Sort(parts)
		ps := make([]string, len(parts))
		for i, p := range parts {
			ps[i] = strconv.Itoa(int(p))
		}
		entries = append(entries, topic+"("+strings.Join(ps, ",")+")")
	}
	sort.Slice(entries, func(i, j int) bool { return javaLess(entries[i], entries[j]) })
	return strings.Join(entries, ", ")
}

type membersJSON struct {
	Groups []groupMembersJSON `json:"groups"`
}

type groupMembersJSON struct {
	Group   string       `json:"group"`
	State   string       `json:"state"`
	Error   *string      `json:"error"`
	Members []memberJSON `json:"members"`
}

type memberJSON struct {
	ConsumerID      string           `json:"consumer_id"`
	GroupInstanceID *string          `json:"group_instance_id"`
	Host            string           `json:"host"`
	ClientID        string           `json:"client_id"`
	Partitions      int              `json:"partitions"`
	Assignment      []assignmentJSON `json:"assignment"`
}

type assignmentJSON struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

func (o *Options) printMembers(groups map[string]*groupInfo) error {
	verbose := o.has("verbose")
	if o.json() {
		out := membersJSON{Groups: []groupMembersJSON{}}
		for _, id := range sortedIDs(groups) {
			g := groups[id]
			gj := groupMembersJSON{Group: id, State: stateName(g.State), Error: groupError(g), Members: []memberJSON{}}
			for _, m := range g.Members {
				mj := memberJSON{ConsumerID: m.ID, Host: m.Host, ClientID: m.ClientID, Partitions: len(m.Assignment), Assignment: []assignmentJSON{}}
				if m.InstanceID != "" {
					mj.GroupInstanceID = &m.InstanceID
				}
				for _, tp := range m.Assignment {
					if n := len(mj.Assignment); n > 0 && mj.Assignment[n-1].Topic == tp.Topic {
						mj.Assignment[n-1].Partitions = append(mj.Assignment[n-1].Partitions, tp.Partition)
						continue
					}
					mj.Assignment = append(mj.Assignment, assignmentJSON{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
				}
				gj.Members = append(gj.Members, mj)
			}
			out.Groups = append(out.Groups, gj)
		}
		return cli.WriteJSON(o.IO.Out, out)
	}

	for _, id := range sortedIDs(groups) {
		g := groups[id]
		gw, cw, giw, hw, clw := 15, 15, 17, 15, 15
		withInstance := false
		ok, err := o.checkState(g, len(g.Members))
		if err != nil {
			return err
		}
		if ok {
			for _, m := range g.Members {
				gw = max(gw, utf16Len(id))
				cw = max(cw, utf16Len(m.ID))
				giw = max(giw, utf16Len(m.InstanceID))
				hw = max(hw, utf16Len(m.Host))
				clw = max(clw, utf16Len(m.ClientID))
				withInstance = withInstance || m.InstanceID != ""
			}
		}
		cells := func(group, consumer, instance, host, clientID, n string) []cell {
			if withInstance {
				return []cell{{group, gw, nil}, {consumer, cw, nil}, {instance, giw, nil}, {host, hw, nil}, {clientID, clw, nil}, {n, 15, nil}}
			}
			return []cell{{group, gw, nil}, {consumer, cw, nil}, {host, hw, nil}, {clientID, clw, nil}, {n, 15, nil}}
		}
		var b strings.Builder
		// Every field is followed by a space, the last one included.
		b.WriteString("\n" + row(false, cells("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")...) + " ")
		if verbose {
			b.WriteString("ASSIGNMENT")
		}
		b.WriteByte('\n')
		for _, m := range g.Members {
			b.WriteString(row(false, cells(id, m.ID, m.InstanceID, m.Host, m.ClientID, strconv.Itoa(len(m.Assignment)))...) + " ")
			if verbose {
				b.WriteString(assignmentString(m.Assignment))
			}
			b.WriteByte('\n')
		}
		fmt.Fprint(o.IO.Out, b.String())
	}
	return nil
}

type statesJSON struct {
	Groups []groupStateJSON `json:"groups"`
}

type groupStateJSON struct {
	Group              string           `json:"group"`
	State              string           `json:"state"`
	Error              *string          `json:"error"`
	Coordinator        *coordinatorJSON `json:"coordinator"`
	AssignmentStrategy string           `json:"assignment_strategy"`
	Members            int              `json:"members"`
}

type coordinatorJSON struct {
	ID   int32  `json:"id"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

func (o *Options) describeStates(ctx context.Context, c *cluster, groups map[string]*groupInfo) error {
	type coord struct {
		id   int32
		addr string
	}
	coords := map[string]coord{}
	for _, id := range sortedIDs(groups) {
		cid, addr, err := c.coordinator(ctx, id)
		if err != nil {
			return execution(err)
		}
		coords[id] = coord{cid, addr}
	}
	if o.json() {
		out := statesJSON{Groups: []groupStateJSON{}}
		for _, id := range sortedIDs(groups) {
			g := groups[id]
			gj := groupStateJSON{Group: id, State: stateName(g.State), Error: groupError(g), AssignmentStrategy: g.Protocol, Members: len(g.Members)}
			if gj.Error == nil {
				host, port := splitHostPort(coords[id].addr)
				gj.Coordinator = &coordinatorJSON{ID: coords[id].id, Host: host, Port: port}
			}
			out.Groups = append(out.Groups, gj)
		}
		return cli.WriteJSON(o.IO.Out, out)
	}
	for _, id := range sortedIDs(groups) {
		g := groups[id]
		ok, err := o.checkState(g, 1)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		printState(o.IO.Out, g, coords[id].addr, coords[id].id)
	}
	return nil
}

// printState prints one group's --state table. The first column's width
// follows the coordinator string "host:port  (id)" (at least 25), not the
// group id, as in Kafka.
func printState(w io.Writer, g *groupInfo, addr string, id int32) {
	coordinator := fmt.Sprintf("%s  (%d)", addr, id)
	kw := max(25, utf16Len(coordinator))
	var b strings.Builder
	b.WriteString("\n" + row(false, cell{"GROUP", kw, nil}, cell{"COORDINATOR (ID)", 25, nil}, cell{"ASSIGNMENT-STRATEGY", 20, nil}, cell{"STATE", 15, nil}, cell{"#MEMBERS", 0, nil}))
	b.WriteString("\n" + row(false, cell{g.ID, kw, nil}, cell{coordinator, 25, nil}, cell{g.Protocol, 20, nil}, cell{stateName(g.State), 15, nil}, cell{strconv.Itoa(len(g.Members)), 0, nil}))
	b.WriteByte('\n')
	fmt.Fprint(w, b.String())
}

func splitHostPort(addr string) (string, int) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, 0
	}
	port, _ := strconv.Atoi(addr[i+1:])
	return strings.Trim(addr[:i], "[]"), port
}
