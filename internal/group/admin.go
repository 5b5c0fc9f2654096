package group

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// classicGroupType is the group type ListGroups v5+ reports for every group
// this coordinator serves (KIP-848 names classic groups "classic").
const classicGroupType = "classic"

// ListGroups handles a ListGroups request (versions 0-5): the groups of the
// partitions this coordinator owns. v4+ filters by state (case-insensitive,
// Kafka's names: "Stable", "PreparingRebalance", ...), v5+ by group type,
// where only "classic" matches. While a partition is still loading the
// groups of the others are listed with COORDINATOR_LOAD_IN_PROGRESS.
func (c *Coordinator) ListGroups(_ context.Context, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := kmsg.NewPtrListGroupsResponse()
	resp.SetVersion(req.Version)
	if c.isClosed() {
		resp.ErrorCode = errCoordinatorNotAvailable
		return resp
	}
	groups, loading := c.ownedGroups()
	if loading {
		resp.ErrorCode = errCoordinatorLoadInProgress
	}
	var states, types []string
	if req.Version >= 4 {
		states = req.StatesFilter
	}
	if req.Version >= 5 {
		types = req.TypesFilter
	}
	if len(types) > 0 {
		classic := false
		for _, t := range types {
			if strings.EqualFold(t, classicGroupType) {
				classic = true
			}
		}
		if !classic {
			return resp
		}
	}
	for _, g := range groups {
		g.mu.Lock()
		state, protocolType := g.state, g.protocolType
		g.mu.Unlock()
		if state == stateDead || len(states) > 0 && !state.matchesFilter(states) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group = g.id
		lg.ProtocolType = protocolType
		lg.GroupState = state.String()
		lg.GroupType = classicGroupType
		resp.Groups = append(resp.Groups, lg)
	}
	return resp
}

// DescribeGroups handles a DescribeGroups request (versions 0-6). A stable
// group's members come with their protocol metadata and assignment; in any
// other state Kafka leaves both empty and the protocol name blank. A group
// that does not exist is described as "Dead" with no error before v6 (Kafka
// 3.9), and gets GROUP_ID_NOT_FOUND from v6 (Kafka 4.0, KIP-1043).
func (c *Coordinator) DescribeGroups(_ context.Context, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := kmsg.NewPtrDescribeGroupsResponse()
	resp.SetVersion(req.Version)
	for _, id := range req.Groups {
		resp.Groups = append(resp.Groups, c.describeGroup(id, req.Version))
	}
	return resp
}

func (c *Coordinator) describeGroup(id string, version int16) kmsg.DescribeGroupsResponseGroup {
	dg := kmsg.NewDescribeGroupsResponseGroup()
	dg.Group = id
	g, code := c.lookup(id, apiDescribeGroups, false)
	if code != errNone {
		dg.ErrorCode = code
		return dg
	}
	if g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.is(stateDead) {
			g = nil
		}
	}
	if g == nil {
		if version >= 6 {
			dg.ErrorCode = errGroupIDNotFound
			dg.ErrorMessage = kmsg.StringPtr("Group " + id + " not found.")
			return dg
		}
		dg.State = stateDead.String()
		return dg
	}
	dg.State = g.state.String()
	dg.ProtocolType = g.protocolType
	stable := g.is(stateStable) && g.protocolName != nil
	if stable {
		dg.Protocol = *g.protocolName
	}
	for _, m := range g.order {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID = m.id
		dm.InstanceID = m.instanceID
		dm.ClientID = m.clientID
		dm.ClientHost = m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if stable {
			if md := m.metadata(*g.protocolName); md != nil {
				dm.ProtocolMetadata = md
			}
			if m.assignment != nil {
				dm.MemberAssignment = m.assignment
			}
		}
		dg.Members = append(dg.Members, dm)
	}
	return dg
}

// DeleteGroups handles a DeleteGroups request (versions 0-2). Only an empty
// group can be deleted (NON_EMPTY_GROUP otherwise); its offsets and metadata
// are removed and tombstoned. A group this coordinator owns but does not
// know gets GROUP_ID_NOT_FOUND. Duplicate ids are answered once.
func (c *Coordinator) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := kmsg.NewPtrDeleteGroupsResponse()
	resp.SetVersion(req.Version)
	seen := make(map[string]bool, len(req.Groups))
	for _, id := range req.Groups {
		if seen[id] {
			continue
		}
		seen[id] = true
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		rg.ErrorCode = c.deleteGroup(ctx, id)
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func (c *Coordinator) deleteGroup(ctx context.Context, id string) int16 {
	g, code := c.lookup(id, apiDeleteGroups, false)
	if code != errNone {
		return code
	}
	if g == nil {
		return c.groupNotExistsCode(id)
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	g.mu.Lock()
	switch g.state {
	case stateDead:
		g.mu.Unlock()
		return c.groupNotExistsCode(id)
	case stateEmpty:
		c.transition(g, stateDead)
		c.stopGroupTimers(g)
		removed := c.cleanupGroup(ctx, g, func() []topicPartition {
			tps := make([]topicPartition, 0, len(g.offsets))
			for tp := range g.offsets {
				tps = append(tps, tp)
			}
			return g.removeOffsets(tps)
		})
		c.log.Info("deleted group", "group", id, "offsets", removed)
		return errNone
	default:
		g.mu.Unlock()
		return errNonEmptyGroup
	}
}
