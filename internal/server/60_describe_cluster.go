package server

// DescribeCluster (key 60): v0-1, as Apache Kafka 3.9 serves it.
//
// Behaviour: the cluster id, a controller id clients may send admin
// requests to (a live broker, as for Metadata), and every unfenced broker
// at the endpoint of the listener the client used. v1 EndpointType 2
// (controllers) is refused with UNSUPPORTED_ENDPOINT_TYPE, as brokers do.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusterOperationsAll is the bit set of the cluster operations an
// unsecured broker grants: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
// DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, CREATE_TOKENS,
// DESCRIBE_TOKENS.
const clusterOperationsAll = 1<<4 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12 | 1<<13 | 1<<14

func handleDescribeCluster(s *Server, _ context.Context, c *conn, _ *request, req *kmsg.DescribeClusterRequest) *kmsg.DescribeClusterResponse {
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = req.EndpointType
	if req.Version >= 1 && req.EndpointType != 1 {
		setErr(&resp.ErrorCode, &resp.ErrorMessage, kerr.UnsupportedEndpointType, "The broker does not support endpoint type "+itoa(int(req.EndpointType)))
		return resp
	}
	img := s.cfg.Meta.Image()
	resp.ClusterID = img.ClusterID
	resp.ControllerID = s.controllerIDForClients(img)
	resp.ClusterAuthorizedOperations = authorizedOperationsOmitted
	if req.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = clusterOperationsAll
	}
	for _, b := range s.metadataBrokers(img, c.listener) {
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack = b.NodeID, b.Host, b.Port, b.Rack
		resp.Brokers = append(resp.Brokers, rb)
	}
	return resp
}
