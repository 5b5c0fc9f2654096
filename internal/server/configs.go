package server

// Config APIs: DescribeConfigs (32) v0-4, AlterConfigs (33) v0-2,
// IncrementalAlterConfigs (44) v0-1, as Apache Kafka 3.9 serves them.
//
// Resources:
//   - TOPIC (2): the topic's effective configs (its overrides over the
//     broker's values and Kafka's defaults), with sources and synonyms;
//     unknown topics are UNKNOWN_TOPIC_OR_PARTITION;
//   - BROKER (4): name = this broker's id describes its configs (static,
//     per-broker dynamic, cluster dynamic default, default), name "" the
//     cluster-wide dynamic defaults; another broker's id is INVALID_REQUEST
//     (clients send broker resources to that broker);
//   - BROKER_LOGGER (8): this broker's loggers and their live levels,
//     changed with IncrementalAlterConfigs only (not persisted, as Kafka).
//
// Changes to topics and brokers are validated by the config registry and
// written to the metadata log by the controller, so they survive restarts
// and reach every broker. AlterConfigs replaces a resource's whole dynamic
// config set; IncrementalAlterConfigs applies SET, DELETE, APPEND and
// SUBTRACT (the last two for list-typed configs).
//
// Version notes: DescribeConfigs v1 synonyms and sources, v3 type and
// documentation, v4 flexible; AlterConfigs v2 flexible;
// IncrementalAlterConfigs v1 flexible.

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/config"
	"github.com/kafkakit/kafkakit/internal/metadata"
)

const (
	resTopic        = kmsg.ConfigResourceTypeTopic
	resBroker       = kmsg.ConfigResourceTypeBroker
	resBrokerLogger = kmsg.ConfigResourceTypeBrokerLogger
)

// Loggers is the broker's set of named loggers with live levels.
type Loggers interface {
	Levels() map[string]string
	Set(name, level string) error // "" resets to the root level
}

func handleDescribeConfigs(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.DescribeConfigsRequest) *kmsg.DescribeConfigsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	layers := s.cfg.Layers()
	img := s.cfg.Meta.Image()
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		var entries []config.Entry
		switch r.ResourceType {
		case resTopic:
			if validTopicNameErr(r.ResourceName) != nil {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidTopicException, "Topic name '"+r.ResourceName+"' is illegal")
				break
			}
			if img.Topics[r.ResourceName] == nil {
				img = s.syncMetadata(ctx)
			}
			if img.Topics[r.ResourceName] == nil {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.UnknownTopicOrPartition, "The topic '"+r.ResourceName+"' does not exist.")
				break
			}
			entries = config.DescribeTopic(layers, img.Configs[metadata.ConfigResource{Type: metadata.ConfigTopic, Name: r.ResourceName}], r.ConfigNames, req.IncludeSynonyms)
		case resBroker:
			switch {
			case r.ResourceName == "":
				entries = config.DescribeClusterDefault(layers, r.ConfigNames, req.IncludeSynonyms)
			case r.ResourceName == strconv.Itoa(int(s.cfg.NodeID)):
				entries = config.DescribeBroker(layers, r.ConfigNames, req.IncludeSynonyms)
			default:
				s.notThisBroker(&rr.ErrorCode, &rr.ErrorMessage, r.ResourceName)
			}
		case resBrokerLogger:
			if r.ResourceName != strconv.Itoa(int(s.cfg.NodeID)) {
				s.notThisBroker(&rr.ErrorCode, &rr.ErrorMessage, r.ResourceName)
				break
			}
			entries = config.DescribeLoggers(s.cfg.Loggers.Levels(), r.ConfigNames)
		default:
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Unsupported resource type: "+r.ResourceType.String())
		}
		for _, e := range entries {
			rr.Configs = append(rr.Configs, describedConfig(req, e))
		}
		if req.Version == 0 {
			rr.ErrorMessage = nil
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func describedConfig(req *kmsg.DescribeConfigsRequest, e config.Entry) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name = e.Name
	if !e.Null {
		c.Value = kmsg.StringPtr(e.Value)
	}
	c.ReadOnly = e.ReadOnly
	c.IsDefault = e.IsDefault
	c.Source = kmsg.ConfigSource(e.Source)
	c.IsSensitive = e.Sensitive
	if req.IncludeSynonyms {
		for _, syn := range e.Synonyms {
			cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			cs.Name = syn.Name
			if !syn.Null {
				cs.Value = kmsg.StringPtr(syn.Value)
			}
			cs.Source = kmsg.ConfigSource(syn.Source)
			c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
		}
	}
	c.ConfigType = kmsg.ConfigType(e.Type)
	if req.IncludeDocumentation && e.Doc != "" {
		c.Documentation = kmsg.StringPtr(e.Doc)
	}
	return c
}

func (s *Server) notThisBroker(code *int16, msg **string, name string) {
	if _, err := strconv.Atoi(name); err != nil {
		setErr(code, msg, kerr.InvalidRequest, "Broker id must be an integer, but it is: "+name)
		return
	}
	setErr(code, msg, kerr.InvalidRequest, "Unexpected broker id, expected "+strconv.Itoa(int(s.cfg.NodeID))+" or empty string, but received "+name)
}

// configResource maps a wire resource to a metadata resource, or sets the
// error for resources this broker does not alter.
func (s *Server) configResource(typ kmsg.ConfigResourceType, name string, code *int16, msg **string) (metadata.ConfigResource, bool) {
	switch typ {
	case resTopic:
		return metadata.ConfigResource{Type: metadata.ConfigTopic, Name: name}, true
	case resBroker:
		if name != "" && name != strconv.Itoa(int(s.cfg.NodeID)) {
			if _, err := strconv.Atoi(name); err != nil {
				setErr(code, msg, kerr.InvalidRequest, "Broker id must be an integer, but it is: "+name)
				return metadata.ConfigResource{}, false
			}
		}
		return metadata.ConfigResource{Type: metadata.ConfigBroker, Name: name}, true
	}
	setErr(code, msg, kerr.InvalidRequest, "Unsupported resource type: "+typ.String())
	return metadata.ConfigResource{}, false
}

func handleAlterConfigs(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.AlterConfigsRequest) *kmsg.AlterConfigsResponse {
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		res, ok := s.configResource(r.ResourceType, r.ResourceName, &rr.ErrorCode, &rr.ErrorMessage)
		if ok {
			configs := map[string]string{}
			nullKey := ""
			for _, c := range r.Configs {
				if c.Value == nil {
					nullKey = c.Name
					continue
				}
				configs[c.Name] = *c.Value
			}
			if nullKey != "" {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Null value not supported for : "+nullKey)
			} else {
				err := s.controller().AlterConfigs(ctx, res, configs, req.ValidateOnly)
				rr.ErrorCode, rr.ErrorMessage = kafkaError(err)
				if err == nil && !req.ValidateOnly {
					s.log.Info("altered configs", "resource", r.ResourceType.String(), "name", r.ResourceName)
				}
			}
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func handleIncrementalAlterConfigs(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.IncrementalAlterConfigsRequest) *kmsg.IncrementalAlterConfigsResponse {
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		if r.ResourceType == resBrokerLogger {
			s.alterLoggers(r, req.ValidateOnly, &rr)
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		res, ok := s.configResource(r.ResourceType, r.ResourceName, &rr.ErrorCode, &rr.ErrorMessage)
		if ok {
			ops := make([]metadata.ConfigOp, 0, len(r.Configs))
			bad := ""
			for _, c := range r.Configs {
				op := metadata.ConfigOp{Name: c.Name, Op: metadata.ConfigOpType(c.Op)}
				if c.Value != nil {
					op.Value = *c.Value
				} else if op.Op != metadata.ConfigDelete {
					bad = c.Name
				}
				ops = append(ops, op)
			}
			if bad != "" {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Null value not supported for : "+bad)
			} else {
				err := s.controller().IncrementalAlterConfigs(ctx, res, ops, req.ValidateOnly)
				rr.ErrorCode, rr.ErrorMessage = kafkaError(err)
				if err == nil && !req.ValidateOnly {
					s.log.Info("altered configs", "resource", r.ResourceType.String(), "name", r.ResourceName)
				}
			}
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

// alterLoggers changes live log levels (broker-loggers). SET sets a level,
// DELETE resets a logger to the root level; APPEND and SUBTRACT make no
// sense for levels and are INVALID_REQUEST.
func (s *Server) alterLoggers(r kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool, rr *kmsg.IncrementalAlterConfigsResponseResource) {
	if r.ResourceName != strconv.Itoa(int(s.cfg.NodeID)) {
		s.notThisBroker(&rr.ErrorCode, &rr.ErrorMessage, r.ResourceName)
		return
	}
	levels := s.cfg.Loggers.Levels()
	for _, c := range r.Configs {
		if _, ok := levels[c.Name]; !ok {
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidConfig, "Logger "+c.Name+" does not exist!")
			return
		}
		switch kmsg.IncrementalAlterConfigOp(c.Op) {
		case kmsg.IncrementalAlterConfigOpSet:
			v := ""
			if c.Value != nil {
				v = *c.Value
			}
			if err := config.ValidateLogLevel(c.Name, v); err != nil {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidConfig, err.Error())
				return
			}
		case kmsg.IncrementalAlterConfigOpDelete:
			if c.Name == "root" {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidConfig, "Removing the log level of the root logger is not allowed")
				return
			}
		default:
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, c.Op.String()+" operation is not allowed for the BROKER_LOGGERS resource")
			return
		}
	}
	if validateOnly {
		return
	}
	for _, c := range r.Configs {
		v := ""
		if kmsg.IncrementalAlterConfigOp(c.Op) == kmsg.IncrementalAlterConfigOpSet && c.Value != nil {
			v = *c.Value
		}
		if err := s.cfg.Loggers.Set(c.Name, v); err != nil {
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidConfig, err.Error())
			return
		}
		s.log.Info("changed log level", "logger", c.Name, "level", v)
	}
}
