package server

// ApiVersions (key 18): v0-4, as Apache Kafka 3.9 serves it.
//
// Behaviour:
//   - lists every API key of the dispatch table with the exact version range
//     its handler decodes, so clients (which pick min(client max, broker
//     max) per key and never probe lower) only send versions we parse;
//   - a request at a version above ours is answered with a v0 body carrying
//     UNSUPPORTED_VERSION and our ApiVersions range (KIP-511), never by
//     closing the connection (see Server.handle);
//   - v3+: the client software name and version must match
//     [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?, else INVALID_REQUEST, as
//     Kafka validates them.
//
// Version notes: v1 adds ThrottleMillis; v3 is flexible and adds the client
// software fields and feature tags.
//
// The response header is always v0 (no tagged fields), even for v3+.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleApiVersions(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.ApiVersionsRequest) *kmsg.ApiVersionsResponse {
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if req.Version >= 3 && (!validSoftware(req.ClientSoftwareName) || !validSoftware(req.ClientSoftwareVersion)) {
		resp.ErrorCode = kerr.InvalidRequest.Code
	}
	keys := make([]int16, 0, len(s.apis))
	for k := range s.apis {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a := s.apis[k]
		v := kmsg.NewApiVersionsResponseApiKey()
		v.ApiKey, v.MinVersion, v.MaxVersion = k, a.min, a.max
		resp.ApiKeys = append(resp.ApiKeys, v)
	}
	return resp
}

// validSoftware reports whether s matches Kafka's pattern for client
// software names and versions. Empty values are allowed: older clients
// leave them blank.
func validSoftware(s string) bool {
	if s == "" {
		return true
	}
	alnum := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
