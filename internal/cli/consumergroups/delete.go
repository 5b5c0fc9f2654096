package consumergroups

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

type deleteJSON struct {
	Groups []deletedGroupJSON `json:"groups"`
}

type deletedGroupJSON struct {
	Group   string  `json:"group"`
	Deleted bool    `json:"deleted"`
	Error   *string `json:"error"`
}

// deleteGroups deletes whole groups. The broker deletes only groups without
// members; every failure is listed, and the exit code stays 0.
func (o *Options) deleteGroups(ctx context.Context, c *cluster) error {
	ids, err := o.groupIDs(ctx, c)
	if err != nil {
		return err
	}
	ids = stringMapOrder(unique(ids))
	var succeeded, failedIDs []string
	errs := map[string]error{}
	for _, id := range ids {
		if err := c.deleteGroup(ctx, id); err != nil {
			errs[id] = err
			failedIDs = append(failedIDs, id)
			continue
		}
		succeeded = append(succeeded, id)
	}

	if o.json() {
		out := deleteJSON{Groups: []deletedGroupJSON{}}
		sorted := append([]string(nil), ids...)
		sort.Slice(sorted, func(i, j int) bool { return javaLess(sorted[i], sorted[j]) })
		for _, id := range sorted {
			g := deletedGroupJSON{Group: id, Deleted: errs[id] == nil}
			if err := errs[id]; err != nil {
				s := exception(err)
				g.Error = &s
			}
			out.Groups = append(out.Groups, g)
		}
		return cli.WriteJSON(o.IO.Out, out)
	}

	if len(failedIDs) == 0 {
		fmt.Fprintf(o.IO.Out, "Deletion of requested consumer groups ('%s') was successful.\n", strings.Join(succeeded, ", "))
		return nil
	}
	printError(o.IO.Out, "Deletion of some consumer groups failed:")
	for _, id := range failedIDs {
		fmt.Fprintf(o.IO.Out, "* Group '%s' could not be deleted due to: %s: %s\n", id, executionException, exception(errs[id]))
	}
	if len(succeeded) > 0 {
		// Kafka joins the ids with a quote and closes with "', '".
		fmt.Fprintf(o.IO.Out, "\nThese consumer groups were deleted successfully: '%s', '\n", strings.Join(succeeded, "'"))
	}
	return nil
}

type deleteOffsetsJSON struct {
	Group      string                 `json:"group"`
	Error      *string                `json:"error"`
	Partitions []deletedPartitionJSON `json:"partitions"`
}

type deletedPartitionJSON struct {
	Topic     string  `json:"topic"`
	Partition *int32  `json:"partition"`
	Error     *string `json:"error"`
}

// deleteOffsets deletes the committed offsets of one group (the first
// --group) for the given topics or partitions.
func (o *Options) deleteOffsets(ctx context.Context, c *cluster) error {
	group := o.Group.Values()[0]
	topics := o.Topic.Values()

	// Kafka sorts the arguments into two HashSets: with and without
	// partitions.
	var withParts, whole []string
	for _, t := range unique(topics) {
		if strings.Contains(t, ":") {
			withParts = append(withParts, t)
		} else {
			whole = append(whole, t)
		}
	}
	var known []topicPartition
	for _, arg := range stringMapOrder(withParts) {
		tps, err := parseTopicArg(arg)
		if err != nil {
			return err
		}
		known = append(known, tps...)
	}

	results := map[topicPartition]error{}
	var partitions []topicPartition
	partitions = append(partitions, known...)
	if len(whole) > 0 {
		whole = stringMapOrder(whole)
		parts, failedTopics, err := c.partitions(ctx, whole)
		for _, t := range whole {
			switch {
			case err != nil:
				results[topicPartition{t, -1}] = err
			case failedTopics[t] != nil:
				results[topicPartition{t, -1}] = failedTopics[t]
			default:
				for _, p := range parts[t] {
					partitions = append(partitions, topicPartition{t, p})
				}
			}
		}
	}
	partitions = uniquePartitions(partitions)

	// One request per partition; a group-level error (the group does not
	// exist, is not empty, ...) comes back for each of them, as it fails
	// every partition's future in Kafka's admin client.
	var top error
	for _, tp := range hashSetOrder(partitions) {
		err := c.deleteOffset(ctx, group, tp)
		results[tp] = err
		if err != nil && top == nil {
			top = err
		}
	}

	var message string
	switch errorName(top) {
	case "NONE":
	case "INVALID_GROUP_ID":
		message = fmt.Sprintf("'%s' is not valid.", group)
	case "GROUP_ID_NOT_FOUND":
		message = fmt.Sprintf("'%s' does not exist.", group)
	case "GROUP_AUTHORIZATION_FAILED":
		message = fmt.Sprintf("Access to '%s' is not authorized.", group)
	case "NON_EMPTY_GROUP":
		message = fmt.Sprintf("Deleting offsets of a consumer group '%s' is forbidden if the group is not empty.", group)
	case "GROUP_SUBSCRIBED_TO_TOPIC", "TOPIC_AUTHORIZATION_FAILED", "UNKNOWN_TOPIC_OR_PARTITION":
		message = "Encounter some partition level error, see the follow-up details:"
	default:
		message = "Encounter some unknown error: " + errorName(top)
	}

	keys := make([]topicPartition, 0, len(results))
	for tp := range results {
		keys = append(keys, tp)
	}
	sort.Slice(keys, func(i, j int) bool {
		return javaLess(keys[i].Topic+strconv.Itoa(int(keys[i].Partition)), keys[j].Topic+strconv.Itoa(int(keys[j].Partition)))
	})

	if o.json() {
		out := deleteOffsetsJSON{Group: group, Partitions: []deletedPartitionJSON{}}
		if message != "" {
			out.Error = &message
		}
		for _, tp := range keys {
			pj := deletedPartitionJSON{Topic: tp.Topic}
			if tp.Partition >= 0 {
				p := tp.Partition
				pj.Partition = &p
			}
			if err := results[tp]; err != nil {
				s := exception(err)
				pj.Error = &s
			}
			out.Partitions = append(out.Partitions, pj)
		}
		return cli.WriteJSON(o.IO.Out, out)
	}

	if message == "" {
		fmt.Fprintf(o.IO.Out, "Request succeed for deleting offsets with topic %s group %s\n", strings.Join(topics, ", "), group)
	} else {
		printError(o.IO.Out, "%s", message)
	}
	var b strings.Builder
	line := func(topic, partition, status string) {
		b.WriteString("\n" + pad(topic, 30) + " " + pad(partition, 15) + " " + pad(status, 15))
	}
	line("TOPIC", "PARTITION", "STATUS")
	for _, tp := range keys {
		partition := "Not Provided"
		if tp.Partition >= 0 {
			partition = strconv.Itoa(int(tp.Partition))
		}
		status := "Successful"
		if err := results[tp]; err != nil {
			// Kafka prints the ExecutionException's message after "Error: :".
			status = "Error: :" + exception(err)
		}
		line(tp.Topic, partition, status)
	}
	b.WriteByte('\n')
	fmt.Fprint(o.IO.Out, b.String())
	return nil
}

// hashSetOrder orders partitions as the HashSet Kafka collects them in.
func hashSetOrder(tps []topicPartition) []topicPartition {
	return cli.JavaHashMapOrder(tps, topicPartition.hash, hashSetCapacity(len(tps)))
}
