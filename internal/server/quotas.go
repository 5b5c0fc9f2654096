package server

// Client quota APIs: DescribeClientQuotas (48) v0-1, AlterClientQuotas (49)
// v0-1, as Apache Kafka 3.9 serves them (KIP-546).
//
// Quotas are set per user, client id, (user, client id) pair or IP, or for
// their defaults, and stored in the metadata log. Describe filters by
// component: EXACT (a name), DEFAULT (the default entity) or ANY (any named
// entity of that type); with Strict, entities with other parts too do not
// match. IP entities cannot be combined with users or client ids.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

const (
	quotaUser     = "user"
	quotaClientID = "client-id"
	quotaIP       = "ip"
)

func entityPart(e *metadata.QuotaEntity, typ string) (*metadata.EntityName, bool) {
	switch typ {
	case quotaUser:
		return &e.User, true
	case quotaClientID:
		return &e.ClientID, true
	case quotaIP:
		return &e.IP, true
	}
	return nil, false
}

func handleDescribeClientQuotas(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.DescribeClientQuotasRequest) *kmsg.DescribeClientQuotasResponse {
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	seen := map[string]bool{}
	for _, c := range req.Components {
		if _, ok := entityPart(&metadata.QuotaEntity{}, c.EntityType); !ok {
			setErr(&resp.ErrorCode, &resp.ErrorMessage, kerr.InvalidRequest, "Custom entity type '"+c.EntityType+"' not supported")
			return resp
		}
		if seen[c.EntityType] {
			setErr(&resp.ErrorCode, &resp.ErrorMessage, kerr.InvalidRequest, "Entity type "+c.EntityType+" cannot appear more than once in the filter.")
			return resp
		}
		seen[c.EntityType] = true
		if c.MatchType == kmsg.QuotasMatchTypeExact && c.Match == nil {
			setErr(&resp.ErrorCode, &resp.ErrorMessage, kerr.InvalidRequest, "Request specified MatchType EXACT but no match string was given.")
			return resp
		}
	}
	if seen[quotaIP] && (seen[quotaUser] || seen[quotaClientID]) {
		setErr(&resp.ErrorCode, &resp.ErrorMessage, kerr.InvalidRequest, "Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.")
		return resp
	}
	img := s.cfg.Meta.Image()
	var entries []kmsg.DescribeClientQuotasResponseEntry
	for entity, values := range img.ClientQuotas {
		if !quotaMatches(entity, req.Components, req.Strict) || len(values) == 0 {
			continue
		}
		e := kmsg.NewDescribeClientQuotasResponseEntry()
		for _, typ := range []string{quotaUser, quotaClientID, quotaIP} {
			part, _ := entityPart(&entity, typ)
			if !part.Present {
				continue
			}
			ee := kmsg.NewDescribeClientQuotasResponseEntryEntity()
			ee.Type = typ
			if !part.Default {
				ee.Name = kmsg.StringPtr(part.Name)
			}
			e.Entity = append(e.Entity, ee)
		}
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := kmsg.NewDescribeClientQuotasResponseEntryValue()
			v.Key, v.Value = k, values[k]
			e.Values = append(e.Values, v)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entityString(entries[i].Entity) < entityString(entries[j].Entity) })
	resp.Entries = entries
	return resp
}

func entityString(es []kmsg.DescribeClientQuotasResponseEntryEntity) string {
	out := ""
	for _, e := range es {
		out += e.Type + "="
		if e.Name != nil {
			out += *e.Name
		}
		out += ";"
	}
	return out
}

func quotaMatches(e metadata.QuotaEntity, comps []kmsg.DescribeClientQuotasRequestComponent, strict bool) bool {
	for _, c := range comps {
		part, _ := entityPart(&e, c.EntityType)
		if !part.Present {
			return false
		}
		switch c.MatchType {
		case kmsg.QuotasMatchTypeExact:
			if part.Default || c.Match == nil || part.Name != *c.Match {
				return false
			}
		case kmsg.QuotasMatchTypeDefault:
			if !part.Default {
				return false
			}
		case kmsg.QuotasMatchTypeAny:
			if part.Default {
				return false
			}
		default:
			return false
		}
	}
	if strict {
		n := 0
		for _, typ := range []string{quotaUser, quotaClientID, quotaIP} {
			if p, _ := entityPart(&e, typ); p.Present {
				n++
			}
		}
		if n != len(comps) {
			return false
		}
	}
	return true
}

func handleAlterClientQuotas(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.AlterClientQuotasRequest) *kmsg.AlterClientQuotasResponse {
	resp := req.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	resp.Entries = make([]kmsg.AlterClientQuotasResponseEntry, len(req.Entries))
	var alts []metadata.QuotaAlteration
	var idx []int
	for i, e := range req.Entries {
		re := kmsg.NewAlterClientQuotasResponseEntry()
		var entity metadata.QuotaEntity
		bad := ""
		for _, part := range e.Entity {
			re.Entity = append(re.Entity, kmsg.AlterClientQuotasResponseEntryEntity{Type: part.Type, Name: part.Name})
			p, ok := entityPart(&entity, part.Type)
			if !ok {
				bad = "Unhandled client quota entity type: " + part.Type
				continue
			}
			if p.Present {
				bad = "Duplicate " + part.Type + " entity type in request"
				continue
			}
			p.Present = true
			if part.Name == nil {
				p.Default = true
			} else {
				p.Name = *part.Name
			}
		}
		resp.Entries[i] = re
		if bad == "" && len(e.Entity) == 0 {
			bad = "Invalid empty client quota entity"
		}
		if bad != "" {
			setErr(&resp.Entries[i].ErrorCode, &resp.Entries[i].ErrorMessage, kerr.InvalidRequest, bad)
			continue
		}
		alt := metadata.QuotaAlteration{Entity: entity}
		for _, op := range e.Ops {
			alt.Ops = append(alt.Ops, metadata.QuotaOp{Key: op.Key, Value: op.Value, Remove: op.Remove})
		}
		alts = append(alts, alt)
		idx = append(idx, i)
	}
	errs := s.controller().AlterClientQuotas(ctx, alts, req.ValidateOnly)
	for j, err := range errs {
		resp.Entries[idx[j]].ErrorCode, resp.Entries[idx[j]].ErrorMessage = kafkaError(err)
	}
	return resp
}
