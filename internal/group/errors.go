package group

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Kafka error codes the coordinator answers with (values pinned against
// pkg/kerr in TestErrorCodesMatchKerr).
const (
	errNone                         int16 = 0
	errUnknownServerError           int16 = -1
	errUnknownTopicOrPartition      int16 = 3
	errInvalidFetchSize             int16 = 4
	errNotLeaderOrFollower          int16 = 6
	errRequestTimedOut              int16 = 7
	errMessageTooLarge              int16 = 10
	errOffsetMetadataTooLarge       int16 = 12
	errNetworkException             int16 = 13
	errCoordinatorLoadInProgress    int16 = 14
	errCoordinatorNotAvailable      int16 = 15
	errNotCoordinator               int16 = 16
	errRecordListTooLarge           int16 = 18
	errNotEnoughReplicas            int16 = 19
	errNotEnoughReplicasAfterAppend int16 = 20
	errIllegalGeneration            int16 = 22
	errInconsistentGroupProtocol    int16 = 23
	errInvalidGroupID               int16 = 24
	errUnknownMemberID              int16 = 25
	errInvalidSessionTimeout        int16 = 26
	errRebalanceInProgress          int16 = 27
	errInvalidCommitOffsetSize      int16 = 28
	errUnsupportedVersion           int16 = 35
	errKafkaStorageError            int16 = 56
	errNonEmptyGroup                int16 = 68
	errGroupIDNotFound              int16 = 69
	errMemberIDRequired             int16 = 79
	errGroupMaxSizeReached          int16 = 81
	errFencedInstanceID             int16 = 82
	errGroupSubscribedToTopic       int16 = 86
	errUnstableOffsetCommit         int16 = 88
)

// ErrClosed is returned by Load after Close.
var ErrClosed = errors.New("group coordinator closed")

// storageCode turns a Storage error into the Kafka code it stands for: the
// code of a *kerr.Error anywhere in the chain, REQUEST_TIMED_OUT for a
// context that ended, KAFKA_STORAGE_ERROR otherwise.
func storageCode(err error) int16 {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		return ke.Code
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errRequestTimedOut
	default:
		return errKafkaStorageError
	}
}

// groupWriteCode maps a failed group metadata append to the code a member
// sees, as Kafka's GroupMetadataManager.storeGroup does.
func groupWriteCode(err error) int16 {
	switch code := storageCode(err); code {
	case errUnknownTopicOrPartition, errNotEnoughReplicas, errNotEnoughReplicasAfterAppend:
		return errCoordinatorNotAvailable
	case errNotLeaderOrFollower, errKafkaStorageError:
		return errNotCoordinator
	case errRequestTimedOut:
		return errRebalanceInProgress
	case errMessageTooLarge, errRecordListTooLarge, errInvalidFetchSize:
		return errUnknownServerError
	default:
		return code
	}
}

// commitWriteCode maps a failed offset commit append to the code the
// committer sees (Kafka's maybeConvertOffsetCommitError).
func commitWriteCode(err error) int16 {
	switch code := storageCode(err); code {
	case errNetworkException:
		return errCoordinatorLoadInProgress
	case errUnknownTopicOrPartition, errNotEnoughReplicas, errNotEnoughReplicasAfterAppend:
		return errCoordinatorNotAvailable
	case errNotLeaderOrFollower, errKafkaStorageError:
		return errNotCoordinator
	case errMessageTooLarge, errRecordListTooLarge, errInvalidFetchSize:
		return errInvalidCommitOffsetSize
	default:
		return code
	}
}
