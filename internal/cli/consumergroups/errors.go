package consumergroups

import (
	"errors"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// Kafka's tool catches every exception of an action and prints
// "Executing consumer group command failed due to " and the exception's
// message; the exit code stays 0. What that message is depends on how the
// Java code wrapped the admin client's exception on the way up, so failures
// are built here in the three shapes the tool produces.

// failure is an exception that ended an action.
type failure struct {
	// msg is the exception's getMessage().
	msg string
	// trace is the first line of its stack trace (its toString()).
	trace string
	err   error
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.err }

const executionException = "java.util.concurrent.ExecutionException"

// failed is an exception thrown as it is, e.g. a DateTimeParseException.
func failed(class, msg string) *failure {
	return &failure{msg: msg, trace: class + ": " + msg}
}

// execution is what KafkaFuture.get() throws for a failed call: an
// ExecutionException whose message is the cause's toString(). An error that
// already is a failure (one raised before any call was made) stays as it is;
// so it does in wrapped.
func execution(err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	cause := exception(err)
	return &failure{msg: cause, trace: executionException + ": " + cause, err: err}
}

// wrapped is an ExecutionException the tool wrapped in a RuntimeException
// (most of its helpers do).
func wrapped(err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	cause := executionException + ": " + exception(err)
	return &failure{msg: cause, trace: "java.lang.RuntimeException: " + cause, err: err}
}

// runtime wraps an exception of the given class in a RuntimeException.
func runtime(class, msg string) *failure {
	cause := class + ": " + msg
	return &failure{msg: cause, trace: "java.lang.RuntimeException: " + cause}
}

// commandFailed is the tool's top-level catch: the message on stdout after
// an empty line, the stack trace on stderr, exit code 0.
func commandFailed(f *failure) error {
	return &cli.ExitError{
		Code:   cli.ExitOK,
		Msg:    "\nError: Executing consumer group command failed due to " + f.msg,
		ToOut:  true,
		Detail: f.trace,
		Err:    f,
	}
}

// javaException is an exception raised inside Kafka's admin client that
// has no Kafka error code, e.g. the KafkaException of a ListGroups that
// found no broker. Its toString is "class: message".
type javaException struct {
	class, msg string
	err        error
}

func (e *javaException) Error() string { return e.class + ": " + e.msg }
func (e *javaException) Unwrap() error { return e.err }

// groupExceptions names the exceptions of the group APIs that the shared
// client package does not.
var groupExceptions = map[int16]string{
	kerr.CoordinatorNotAvailable.Code:    "org.apache.kafka.common.errors.CoordinatorNotAvailableException",
	kerr.NotCoordinator.Code:             "org.apache.kafka.common.errors.NotCoordinatorException",
	kerr.CoordinatorLoadInProgress.Code:  "org.apache.kafka.common.errors.CoordinatorLoadInProgressException",
	kerr.InvalidGroupID.Code:             "org.apache.kafka.common.errors.InvalidGroupIdException",
	kerr.UnknownMemberID.Code:            "org.apache.kafka.common.errors.UnknownMemberIdException",
	kerr.IllegalGeneration.Code:          "org.apache.kafka.common.errors.IllegalGenerationException",
	kerr.RebalanceInProgress.Code:        "org.apache.kafka.common.errors.RebalanceInProgressException",
	kerr.NonEmptyGroup.Code:              "org.apache.kafka.common.errors.GroupNotEmptyException",
	kerr.GroupIDNotFound.Code:            "org.apache.kafka.common.errors.GroupIdNotFoundException",
	kerr.GroupSubscribedToTopic.Code:     "org.apache.kafka.common.errors.GroupSubscribedToTopicException",
	kerr.OffsetMetadataTooLarge.Code:     "org.apache.kafka.common.errors.OffsetMetadataTooLarge",
	kerr.InvalidCommitOffsetSize.Code:    "org.apache.kafka.common.errors.InvalidCommitOffsetSizeException",
	kerr.UnknownServerError.Code:         "org.apache.kafka.common.errors.UnknownServerException",
	kerr.FencedInstanceID.Code:           "org.apache.kafka.common.errors.FencedInstanceIdException",
	kerr.GroupMaxSizeReached.Code:        "org.apache.kafka.common.errors.GroupMaxSizeReachedException",
	kerr.StaleMemberEpoch.Code:           "org.apache.kafka.common.errors.StaleMemberEpochException",
	kerr.UnknownTopicOrPartition.Code:    "org.apache.kafka.common.errors.UnknownTopicOrPartitionException",
	kerr.TopicAuthorizationFailed.Code:   "org.apache.kafka.common.errors.TopicAuthorizationException",
	kerr.GroupAuthorizationFailed.Code:   "org.apache.kafka.common.errors.GroupAuthorizationException",
	kerr.UnstableOffsetCommit.Code:       "org.apache.kafka.common.errors.UnstableOffsetCommitException",
	kerr.ClusterAuthorizationFailed.Code: "org.apache.kafka.common.errors.ClusterAuthorizationException",
}

// exception renders err as the Java exception Kafka's admin client would
// have failed with: "<class>: <message>" (Throwable.toString).
func exception(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return f.msg
	}
	var je *javaException
	if errors.As(err, &je) {
		return je.Error()
	}
	var nc *notConsumerGroupError
	if errors.As(err, &nc) {
		return "java.lang.IllegalArgumentException: " + nc.Error()
	}
	if code := client.Code(err); code != 0 {
		if cls, ok := groupExceptions[code]; ok {
			return cls + ": " + client.Message(err)
		}
	}
	var nt *client.NodeTimeoutError
	var ce *client.ConfigError
	var ke sarama.KError
	if errors.As(err, &nt) || errors.As(err, &ce) || errors.As(err, &ke) {
		return client.JavaException(err)
	}
	return "org.apache.kafka.common.KafkaException: " + err.Error()
}

// errorName is the Errors enum name Kafka prints for an error code
// ("GROUP_ID_NOT_FOUND"); a failure without a code is a timeout or an
// unknown error, as Errors.forException maps them.
func errorName(err error) string {
	if err == nil {
		return "NONE"
	}
	var nt *client.NodeTimeoutError
	if errors.As(err, &nt) {
		return "REQUEST_TIMED_OUT"
	}
	if code := client.Code(err); code != 0 {
		if e := kerr.ErrorForCode(code); e != nil {
			var ke *kerr.Error
			if errors.As(e, &ke) {
				return ke.Message
			}
		}
	}
	return "UNKNOWN_SERVER_ERROR"
}

// isUsage reports whether err is an option error Kafka prints with usage.
func isUsage(err error) bool {
	var ee *cli.ExitError
	return errors.As(err, &ee) && ee.Usage
}

// jsonError is the one-line text of an error for --output json.
func jsonError(err error) string {
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ee.Msg), "Error: "))
	}
	return exception(err)
}
