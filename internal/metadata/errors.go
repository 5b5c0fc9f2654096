package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Error is a metadata operation failure that maps onto one Kafka error code.
// Controller results, Propose and the state machine return it; the server
// puts Code.Code and Message in the response. errors.Is(err, kerr.X)
// matches on the code.
type Error struct {
	Code *kerr.Error
	// Message is Kafka's error message for the case, or the code's default
	// description when Kafka sends none more specific.
	Message string
}

func (e *Error) Error() string { return e.Code.Message + ": " + e.Message }

// Unwrap returns the kerr code so that errors.Is works with kerr values.
func (e *Error) Unwrap() error { return e.Code }

// newError returns an Error with a formatted message.
func newError(code *kerr.Error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// codeError returns an Error carrying the code's default description, as
// Kafka's ApiError does when built from the code alone.
func codeError(code *kerr.Error) *Error {
	return &Error{Code: code, Message: code.Description}
}

// ErrNotController is returned by controller operations and Propose on a node
// that is not the active controller.
var ErrNotController = &Error{Code: kerr.NotController, Message: kerr.NotController.Description}

// KafkaError maps any error from this package to a Kafka error code and
// message. It is the one place where engine errors become wire codes:
// nil maps to (nil, ""), an *Error to its fields, a bare kerr code to itself,
// context expiry to REQUEST_TIMED_OUT, raft leadership failures to
// NOT_CONTROLLER, and anything else to UNKNOWN_SERVER_ERROR.
func KafkaError(err error) (*kerr.Error, string) {
	if err == nil {
		return nil, ""
	}
	var me *Error
	if errors.As(err, &me) {
		return me.Code, me.Message
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke, ke.Description
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, raft.ErrEnqueueTimeout):
		return kerr.RequestTimedOut, kerr.RequestTimedOut.Description
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return kerr.NotController, kerr.NotController.Description
	}
	return kerr.UnknownServerError, kerr.UnknownServerError.Description
}
