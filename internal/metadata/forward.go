package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/controllerrpc"
)

// Controller forwarding.
//
// Every Controller operation is a method: a name, a request type, a result
// type and the local implementation, which runs only on the active
// controller. The exported Controller methods call method.call, which runs
// the local implementation when this node is the active controller and
// otherwise sends the request over the controller RPC to the node raft
// names as leader (at its CONTROLLER address from Config.Voters), where
// Controller.serveRPC runs the same local implementation. A request-level
// NOT_CONTROLLER (the target lost or has not yet won leadership) or a
// transport failure is retried, on whichever node is then the controller,
// until the context ends; as in Kafka's forwarding, a retry after an
// ambiguous failure may find its own earlier attempt applied (for example
// TOPIC_ALREADY_EXISTS). The forwarded node never forwards again, so a
// request makes at most one hop per attempt.
//
// On the wire a method's body is the JSON of its request type, and the
// response body is {"r": <result>}. Errors are Kafka codes and messages:
// a request-level *Error travels as the response's error, per-item errors
// inside results as {"code":..,"message":..}, and both come back as *Error
// with the same code and message.

// method is one controller operation.
type method[Req, Resp any] struct {
	name  string
	local func(c *Controller, ctx context.Context, req Req) (Resp, error)
	// awaitApply makes a forwarded call wait, after it succeeded, until
	// this node has applied what the controller had applied when it
	// answered, so that the caller reads its own write here (a client that
	// creates a topic and then asks this broker for metadata finds it).
	// The wait is bounded (awaitApplied) and never turns success into
	// failure.
	awaitApply bool
}

// rpcResult is the response body of every method: the result, and the
// index of the last entry the answering node had applied.
type rpcResult[Resp any] struct {
	R     Resp   `json:"r"`
	Index uint64 `json:"index"`
}

// rpcMethod is what the RPC server (and the fuzz targets) need of a
// method.
type rpcMethod interface {
	methodName() string
	serve(c *Controller, ctx context.Context, body json.RawMessage) (any, error)
	decodeRequest(body json.RawMessage) (any, error)
	decodeResult(body json.RawMessage) (any, error)
}

func (m method[Req, Resp]) methodName() string { return m.name }

// decode decodes a request body strictly.
func (m method[Req, Resp]) decode(body json.RawMessage) (Req, error) {
	var req Req
	if len(body) == 0 {
		return req, newError(kerr.InvalidRequest, "%s request has no body", m.name)
	}
	if err := controllerrpc.DecodeJSON(body, &req); err != nil {
		return req, newError(kerr.InvalidRequest, "decode %s request: %v", m.name, err)
	}
	return req, nil
}

func (m method[Req, Resp]) decodeRequest(body json.RawMessage) (any, error) { return m.decode(body) }

// decodeResult decodes a response body as Client.Call does.
func (m method[Req, Resp]) decodeResult(body json.RawMessage) (any, error) {
	var out rpcResult[Resp]
	if err := controllerrpc.DecodeJSON(body, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// serve decodes a forwarded request and runs it here. It never forwards:
// on a node that is not the active controller it answers NOT_CONTROLLER
// and the caller tries again.
func (m method[Req, Resp]) serve(c *Controller, ctx context.Context, body json.RawMessage) (any, error) {
	req, err := m.decode(body)
	if err != nil {
		return nil, err
	}
	resp, err := m.local(c, ctx, req)
	if err != nil && c.n.ctx.Err() != nil && !errors.Is(err, kerr.NotController) {
		// This node is shutting down, which cancelled the request: to
		// the caller that is a controller going away, and worth a retry
		// on the next one.
		err = newError(kerr.NotController, "controller shutting down; the change may still apply: %v", err)
	}
	return rpcResult[Resp]{R: resp, Index: c.n.Image().Index}, err
}

// Methods, one per controller operation. The third field is awaitApply.
var (
	mCreateTopics                = method[createTopicsRequest, []TopicResult]{"CreateTopics", (*Controller).createTopics, true}
	mDeleteTopics                = method[[]TopicRef, []DeleteTopicResult]{"DeleteTopics", (*Controller).deleteTopics, true}
	mCreatePartitions            = method[createPartitionsRequest, struct{}]{"CreatePartitions", (*Controller).createPartitions, true}
	mAllocateProducerIDs         = method[brokerEpochRequest, producerIDBlock]{"AllocateProducerIDs", (*Controller).allocateProducerIDs, true}
	mUpdateFeatures              = method[map[string]int16, struct{}]{"UpdateFeatures", (*Controller).updateFeatures, true}
	mIncrementalAlterConfigs     = method[incrementalAlterConfigsRequest, struct{}]{"IncrementalAlterConfigs", (*Controller).incrementalAlterConfigs, true}
	mAlterConfigs                = method[alterConfigsRequest, struct{}]{"AlterConfigs", (*Controller).alterConfigs, true}
	mAlterClientQuotas           = method[alterClientQuotasRequest, errorList]{"AlterClientQuotas", (*Controller).alterClientQuotas, true}
	mRegisterBroker              = method[BrokerRegistration, int64]{"RegisterBroker", (*Controller).registerBroker, true}
	mFenceBroker                 = method[brokerEpochRequest, struct{}]{"FenceBroker", (*Controller).fenceBroker, true}
	mUnfenceBroker               = method[brokerEpochRequest, struct{}]{"UnfenceBroker", (*Controller).unfenceBroker, true}
	mUnregisterBroker            = method[brokerEpochRequest, struct{}]{"UnregisterBroker", (*Controller).unregisterBroker, true}
	mAlterPartition              = method[alterPartitionRequest, []ISRChangeResult]{"AlterPartition", (*Controller).alterPartition, true}
	mElectLeaders                = method[electLeadersRequest, []ElectionResult]{"ElectLeaders", (*Controller).electLeaders, true}
	mAlterPartitionReassignments = method[[]Reassignment, []ReassignmentResult]{"AlterPartitionReassignments",
		(*Controller).alterPartitionReassignments, true}
	// A listing reads the controller's image and writes nothing.
	mListPartitionReassignments = method[listReassignmentsRequest, []OngoingReassignment]{"ListPartitionReassignments",
		(*Controller).listPartitionReassignments, false}
	// A heartbeat must not wait for this node to catch up: that is what
	// it reports. The lifecycle waits for its own unfencing instead.
	mBrokerHeartbeat = method[BrokerHeartbeat, BrokerHeartbeatReply]{"BrokerHeartbeat", (*Controller).brokerHeartbeat, false}
	mAddObserver     = method[addObserverRequest, struct{}]{"AddObserver", (*Controller).addObserver, false}
	// Sync does nothing on the controller; forwarded, it makes this node
	// wait until it has applied what the controller had applied.
	mSync = method[struct{}, struct{}]{"Sync", func(*Controller, context.Context, struct{}) (struct{}, error) { return struct{}{}, nil }, true}
)

// Sync waits (briefly, bounded like forwarded writes) until this node has
// applied every metadata entry the active controller had applied when
// asked, so that a read on this node sees writes made through other nodes.
// On the controller itself it returns at once.
func (c *Controller) Sync(ctx context.Context) error {
	_, err := mSync.call(ctx, c, struct{}{})
	return err
}

// rpcMethods is every method by name, for the RPC server.
var rpcMethods = methodTable(
	mCreateTopics, mDeleteTopics, mCreatePartitions, mAllocateProducerIDs, mUpdateFeatures,
	mIncrementalAlterConfigs, mAlterConfigs, mAlterClientQuotas, mRegisterBroker, mFenceBroker,
	mUnfenceBroker, mUnregisterBroker, mAlterPartition, mElectLeaders, mAlterPartitionReassignments,
	mListPartitionReassignments, mBrokerHeartbeat, mAddObserver, mSync,
)

func methodTable(ms ...rpcMethod) map[string]rpcMethod {
	t := make(map[string]rpcMethod, len(ms))
	for _, m := range ms {
		t[m.methodName()] = m
	}
	return t
}

// Request types of methods whose arguments are not one value already.
type (
	createTopicsRequest struct {
		Specs        []TopicSpec
		ValidateOnly bool
	}
	createPartitionsRequest struct {
		Topic        string
		NewCount     int32
		Assignment   [][]int32
		ValidateOnly bool
	}
	brokerEpochRequest struct {
		BrokerID    int32
		BrokerEpoch int64
	}
	producerIDBlock struct {
		First int64
		Count int32
	}
	incrementalAlterConfigsRequest struct {
		Resource     ConfigResource
		Ops          []ConfigOp
		ValidateOnly bool
	}
	alterConfigsRequest struct {
		Resource     ConfigResource
		Configs      map[string]string
		ValidateOnly bool
	}
	alterClientQuotasRequest struct {
		Alterations  []QuotaAlteration
		ValidateOnly bool
	}
	alterPartitionRequest struct {
		BrokerID    int32
		BrokerEpoch int64
		Changes     []ISRChange
	}
	electLeadersRequest struct {
		Type ElectionType
		// Targets nil means every partition; JSON keeps nil and empty
		// apart (null and []).
		Targets []TopicPartitions
	}
	listReassignmentsRequest struct {
		// Topics nil lists every reassignment in progress.
		Topics []TopicPartitions
	}
	addObserverRequest struct {
		ID      int32
		Address string
	}
)

// serveRPC runs a forwarded request; it is the controller RPC server's
// handler.
func (c *Controller) serveRPC(ctx context.Context, name string, body json.RawMessage) (any, error) {
	m, ok := rpcMethods[name]
	if !ok {
		return nil, newError(kerr.InvalidRequest, "unknown controller method %q", name)
	}
	return m.serve(c, ctx, body)
}

// forwardError is a transport failure while forwarding: whether the remote
// controller ran the request is unknown.
type forwardError struct {
	addr string
	err  error
}

func (e *forwardError) Error() string {
	return "forward to controller at " + e.addr + ": " + e.err.Error()
}
func (e *forwardError) Unwrap() error { return e.err }

// retriable reports whether a request-level error means "try again on the
// current controller".
func retriable(err error) bool {
	var fe *forwardError
	return errors.Is(err, kerr.NotController) || errors.As(err, &fe)
}

// call runs the method on the active controller, here or forwarded, and
// retries as the section comment above describes. A context without a
// deadline is bounded by Config.ApplyTimeout. The result is the last
// attempt's (possibly partial, next to the error).
func (m method[Req, Resp]) call(ctx context.Context, c *Controller, req Req) (Resp, error) {
	n := c.n
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ApplyTimeout)
		defer cancel()
	}
	backoff := 5 * time.Millisecond
	var timer *time.Timer
	for attempt := 0; ; attempt++ {
		select {
		case <-n.stop:
			var zero Resp
			return zero, ErrNotController
		default:
		}
		var resp Resp
		var err error
		if n.IsController() {
			resp, err = m.local(c, ctx, req)
		} else if addr := n.controllerAddr(attempt); addr != "" {
			resp, err = m.remote(ctx, n, addr, req)
		} else {
			err = ErrNotController
		}
		if !retriable(err) {
			return resp, err
		}
		backoff = min(2*backoff, 100*time.Millisecond)
		if timer == nil {
			timer = time.NewTimer(backoff)
			defer timer.Stop()
		} else {
			timer.Reset(backoff)
		}
		select {
		case <-ctx.Done():
			var fe *forwardError
			if errors.As(err, &fe) {
				return resp, newError(kerr.RequestTimedOut, "no active controller answered %s in time: %v", m.name, err)
			}
			return resp, err
		case <-n.stop:
			return resp, ErrNotController
		case <-timer.C:
		}
	}
}

// remote sends the request to the controller RPC server at addr.
func (m method[Req, Resp]) remote(ctx context.Context, n *Node, addr string, req Req) (Resp, error) {
	var out rpcResult[Resp]
	err := n.rpc.Call(ctx, addr, m.name, req, &out)
	if err == nil {
		if m.awaitApply {
			n.awaitApplied(ctx, out.Index)
		}
		return out.R, nil
	}
	var we *controllerrpc.Error
	if errors.As(err, &we) {
		return out.R, errorFromWire(we)
	}
	return out.R, &forwardError{addr: addr, err: err}
}

// awaitApplied waits until this node has applied index, the context ends,
// or five seconds have passed (a node that far behind is installing a
// snapshot or cut off; the caller's write is done either way).
func (n *Node) awaitApplied(ctx context.Context, index uint64) {
	if n.Image().Index >= index {
		return
	}
	limit := time.NewTimer(5 * time.Second)
	defer limit.Stop()
	for {
		wake := n.changed.wait()
		if n.Image().Index >= index {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-n.stop:
			return
		case <-limit.C:
			return
		case <-wake:
		}
	}
}

// controllerAddr returns where to send a forwarded request: the raft
// leader's CONTROLLER address, or, while no leader is known, each other
// voter and bootstrap address in turn. It returns "" when there is nowhere to send it (no RPC,
// or this node leads but has not activated its controller yet).
func (n *Node) controllerAddr(attempt int) string {
	if n.rpc == nil {
		return ""
	}
	addr, id := n.raft.LeaderWithID()
	if id != "" {
		if id == n.self {
			return ""
		}
		if v, err := strconv.ParseInt(string(id), 10, 32); err == nil {
			if a := n.cfg.Voters[int32(v)]; a != "" {
				return a
			}
		}
		return string(addr)
	}
	var others []string
	for _, vid := range sortedVoterIDs(n.cfg.Voters) {
		if vid != n.cfg.NodeID {
			others = append(others, n.cfg.Voters[vid])
		}
	}
	for _, a := range n.cfg.Bootstrap {
		if a != string(n.addr) && !slices.Contains(others, a) {
			others = append(others, a)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return others[attempt%len(others)]
}

// errorToWire turns an error into its wire form: an *Error keeps its code
// and message; anything else gets KafkaError's code and its own text.
func errorToWire(err error) *controllerrpc.Error {
	if err == nil {
		return nil
	}
	var me *Error
	if errors.As(err, &me) {
		return &controllerrpc.Error{Code: me.Code.Code, Message: me.Message}
	}
	code, msg := KafkaError(err)
	if code == kerr.UnknownServerError {
		msg = err.Error()
	}
	return &controllerrpc.Error{Code: code.Code, Message: msg}
}

// errorFromWire turns a wire error back into an *Error. An unknown or zero
// code becomes UNKNOWN_SERVER_ERROR.
func errorFromWire(e *controllerrpc.Error) error {
	if e == nil {
		return nil
	}
	code, _ := kerr.ErrorForCode(e.Code).(*kerr.Error)
	if code == nil {
		return &Error{Code: kerr.UnknownServerError, Message: fmt.Sprintf("error code %d: %s", e.Code, e.Message)}
	}
	return &Error{Code: code, Message: e.Message}
}

// errorList is a list of per-item errors that crosses the wire.
type errorList []error

func (l errorList) MarshalJSON() ([]byte, error) {
	w := make([]*controllerrpc.Error, len(l))
	for i, err := range l {
		w[i] = errorToWire(err)
	}
	return json.Marshal(w)
}

func (l *errorList) UnmarshalJSON(b []byte) error {
	var w []*controllerrpc.Error
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = make(errorList, len(w))
	for i, e := range w {
		(*l)[i] = errorFromWire(e)
	}
	return nil
}

// JSON forms of the result types, with Err as a wire error. Each shadows
// the Err field of the embedded plain copy of the type.

func (r TopicResult) MarshalJSON() ([]byte, error) {
	type fields TopicResult
	return json.Marshal(struct {
		fields
		Err *controllerrpc.Error
	}{fields(r), errorToWire(r.Err)})
}

func (r *TopicResult) UnmarshalJSON(b []byte) error {
	type fields TopicResult
	var v struct {
		fields
		Err *controllerrpc.Error
	}
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	*r = TopicResult(v.fields)
	r.Err = errorFromWire(v.Err)
	return nil
}

func (r DeleteTopicResult) MarshalJSON() ([]byte, error) {
	type fields DeleteTopicResult
	return json.Marshal(struct {
		fields
		Err *controllerrpc.Error
	}{fields(r), errorToWire(r.Err)})
}

func (r *DeleteTopicResult) UnmarshalJSON(b []byte) error {
	type fields DeleteTopicResult
	var v struct {
		fields
		Err *controllerrpc.Error
	}
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	*r = DeleteTopicResult(v.fields)
	r.Err = errorFromWire(v.Err)
	return nil
}

func (r ISRChangeResult) MarshalJSON() ([]byte, error) {
	type fields ISRChangeResult
	return json.Marshal(struct {
		fields
		Err *controllerrpc.Error
	}{fields(r), errorToWire(r.Err)})
}

func (r *ISRChangeResult) UnmarshalJSON(b []byte) error {
	type fields ISRChangeResult
	var v struct {
		fields
		Err *controllerrpc.Error
	}
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	*r = ISRChangeResult(v.fields)
	r.Err = errorFromWire(v.Err)
	return nil
}

func (r ElectionResult) MarshalJSON() ([]byte, error) {
	type fields ElectionResult
	return json.Marshal(struct {
		fields
		Err *controllerrpc.Error
	}{fields(r), errorToWire(r.Err)})
}

func (r *ElectionResult) UnmarshalJSON(b []byte) error {
	type fields ElectionResult
	var v struct {
		fields
		Err *controllerrpc.Error
	}
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	*r = ElectionResult(v.fields)
	r.Err = errorFromWire(v.Err)
	return nil
}

func (r ReassignmentResult) MarshalJSON() ([]byte, error) {
	type fields ReassignmentResult
	return json.Marshal(struct {
		fields
		Err *controllerrpc.Error
	}{fields(r), errorToWire(r.Err)})
}

func (r *ReassignmentResult) UnmarshalJSON(b []byte) error {
	type fields ReassignmentResult
	var v struct {
		fields
		Err *controllerrpc.Error
	}
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	*r = ReassignmentResult(v.fields)
	r.Err = errorFromWire(v.Err)
	return nil
}

// quotaOpJSON is QuotaOp on the wire. The value is a string so that NaN and
// infinities, which the controller must see to reject, survive JSON.
type quotaOpJSON struct {
	Key    string
	Value  string
	Remove bool
}

func (o QuotaOp) MarshalJSON() ([]byte, error) {
	return json.Marshal(quotaOpJSON{Key: o.Key, Value: strconv.FormatFloat(o.Value, 'g', -1, 64), Remove: o.Remove})
}

func (o *QuotaOp) UnmarshalJSON(b []byte) error {
	var v quotaOpJSON
	if err := controllerrpc.DecodeJSON(b, &v); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("quota value %q: %w", v.Value, err)
	}
	*o = QuotaOp{Key: v.Key, Value: f, Remove: v.Remove}
	return nil
}

// addObserver adds a broker-only node to the quorum as a raft non-voter at
// the address it advertises, or updates that address (the node restarted
// on another ephemeral port). Asking again is harmless.
func (c *Controller) addObserver(ctx context.Context, req addObserverRequest) (struct{}, error) {
	if _, err := c.begin(ctx); err != nil {
		return struct{}{}, err
	}
	defer c.end()
	n := c.n
	if req.ID < 0 || req.Address == "" {
		return struct{}{}, newError(kerr.InvalidRequest, "invalid observer %d at %q", req.ID, req.Address)
	}
	id := raft.ServerID(strconv.Itoa(int(req.ID)))
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return struct{}{}, newError(kerr.NotController, "read quorum configuration: %v", err)
	}
	for _, s := range f.Configuration().Servers {
		if s.ID != id {
			continue
		}
		if s.Suffrage != raft.Nonvoter {
			return struct{}{}, newError(kerr.InvalidRequest, "node %d is a voter of the metadata quorum, not an observer", req.ID)
		}
		if s.Address == raft.ServerAddress(req.Address) {
			return struct{}{}, nil
		}
	}
	dl, _ := ctx.Deadline()
	timeout := time.Until(dl)
	if timeout <= 0 {
		return struct{}{}, newError(kerr.RequestTimedOut, "%v", context.DeadlineExceeded)
	}
	if err := n.raft.AddNonvoter(id, raft.ServerAddress(req.Address), 0, timeout).Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrRaftShutdown) ||
			errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return struct{}{}, newError(kerr.NotController, "add observer %d: %v", req.ID, err)
		}
		return struct{}{}, newError(kerr.RequestTimedOut, "add observer %d: %v", req.ID, err)
	}
	n.logger.Info("metadata observer added", "observer", req.ID, "addr", req.Address)
	return struct{}{}, nil
}

// joinAsObserver asks the active controller to add this node to the
// quorum as a non-voter at its address, until the configuration this node
// holds lists it there. It runs on observers only.
func (n *Node) joinAsObserver() {
	defer n.wg.Done()
	backoff := 50 * time.Millisecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-timer.C:
		}
		if n.inConfiguration() {
			n.logger.Info("following the metadata log as an observer", "addr", n.addr)
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, 2*time.Second)
		_, err := mAddObserver.call(ctx, n.ctrl, addObserverRequest{ID: n.cfg.NodeID, Address: string(n.addr)})
		cancel()
		if err != nil {
			n.logger.Debug("joining the metadata quorum as an observer", "err", err)
		}
		timer.Reset(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// inConfiguration reports whether the latest quorum configuration this
// node holds lists it at its current address.
func (n *Node) inConfiguration() bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == n.self {
			return s.Address == n.addr
		}
	}
	return false
}
