// Package controllerrpc carries everything controller-bound over one TCP
// listener, the node's CONTROLLER listener: the metadata quorum's raft
// traffic and a small request/response protocol that lets any node call
// the active controller. It knows nothing of metadata itself; the metadata
// package names the methods and defines their bodies.
//
// # Connection routing
//
// A Mux owns the listener. The dialer of every connection writes one
// marker byte before anything else (MarkerRaft or MarkerRPC); the Mux reads
// that byte, bounded by a deadline, and hands the rest of the connection to
// the sub-listener registered for the marker. A connection with an unknown
// marker, or none in time, is closed. Kafka clients that reach the
// CONTROLLER port by mistake start with a size prefix whose first byte is
// almost always 0, which is no marker, so they are simply disconnected.
//
// # Wire format (after the MarkerRPC byte)
//
// Both directions are a sequence of frames: a 4-byte big-endian length n
// (1 <= n <= the receiver's maximum, DefaultMaxFrame unless configured)
// followed by n bytes of one JSON object. The client sends a Request and
// waits for the Response before it sends the next request on the same
// connection; concurrency comes from several connections.
//
//	Request:  {"v":1,"id":7,"cluster":"abc","method":"CreateTopics","timeoutMs":4980,"body":{...}}
//	Response: {"id":7,"error":{"code":41,"message":"..."},"body":{...}}
//
// v is the protocol version (Version). id is chosen by the client and
// echoed. cluster is the caller's cluster id; a server of another cluster
// refuses the request. timeoutMs is what remains of the caller's
// deadline; the server runs the method under it. body is the method's
// argument and result, both optional. error, when present, is the
// request-level failure as a Kafka error code and message; a response may
// carry both an error and a body (per-item results next to a
// request-level failure). "refused":true marks a request the server did
// not run at all (unreadable, another version or cluster); the server then
// answers id 0 if it could not read the id, and may hang up. Decoders refuse
// unknown fields, trailing data and frames over the maximum, so a peer
// speaking another version fails loudly instead of being half understood.
//
// # Ownership
//
// Mux, Server and Client each own their goroutines and connections; Close
// stops them and waits. None of them keeps package-level state.
package controllerrpc
