package client

import (
	"errors"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Message returns the text Kafka's Java client gives for err: the broker's
// error message when it sent one, otherwise the default message of the
// error code (the same text as Kafka's Errors enum), otherwise err's own
// text.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var te *sarama.TopicError
	if errors.As(err, &te) {
		if te.ErrMsg != nil && *te.ErrMsg != "" {
			return *te.ErrMsg
		}
		return codeMessage(te.Err)
	}
	var tpe *sarama.TopicPartitionError
	if errors.As(err, &tpe) {
		if tpe.ErrMsg != nil && *tpe.ErrMsg != "" {
			return *tpe.ErrMsg
		}
		return codeMessage(tpe.Err)
	}
	var ke sarama.KError
	if errors.As(err, &ke) {
		// A SASL failure carries the broker's text after the code.
		if s := err.Error(); errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
			if _, msg, ok := strings.Cut(s, ke.Error()+": "); ok && msg != "" {
				return msg
			}
		}
		return codeMessage(ke)
	}
	return err.Error()
}

func codeMessage(k sarama.KError) string {
	if e := kerr.ErrorForCode(int16(k)); e != nil {
		var ke *kerr.Error
		if errors.As(e, &ke) && ke.Description != "" {
			return ke.Description
		}
	}
	return k.Error()
}

// Code returns the Kafka error code in err, or 0.
func Code(err error) int16 {
	var te *sarama.TopicError
	if errors.As(err, &te) {
		return int16(te.Err)
	}
	var tpe *sarama.TopicPartitionError
	if errors.As(err, &tpe) {
		return int16(tpe.Err)
	}
	var ke sarama.KError
	if errors.As(err, &ke) {
		return int16(ke)
	}
	return 0
}

// javaExceptions names the exception class Kafka's Java client throws for
// an error code, for the log lines the tools print beside their messages.
// Codes outside the table print as KafkaException in JavaException; for
// ExceptionClass their class name follows from the code's name.
var javaExceptions = map[int16]string{
	kerr.UnknownServerError.Code:           "org.apache.kafka.common.errors.UnknownServerException",
	kerr.UnknownTopicOrPartition.Code:      "org.apache.kafka.common.errors.UnknownTopicOrPartitionException",
	kerr.TopicAlreadyExists.Code:           "org.apache.kafka.common.errors.TopicExistsException",
	kerr.InvalidPartitions.Code:            "org.apache.kafka.common.errors.InvalidPartitionsException",
	kerr.InvalidReplicationFactor.Code:     "org.apache.kafka.common.errors.InvalidReplicationFactorException",
	kerr.InvalidReplicaAssignment.Code:     "org.apache.kafka.common.errors.InvalidReplicaAssignmentException",
	kerr.InvalidConfig.Code:                "org.apache.kafka.common.errors.InvalidConfigurationException",
	kerr.InvalidTopicException.Code:        "org.apache.kafka.common.errors.InvalidTopicException",
	kerr.InvalidRequest.Code:               "org.apache.kafka.common.errors.InvalidRequestException",
	kerr.PolicyViolation.Code:              "org.apache.kafka.common.errors.PolicyViolationException",
	kerr.TopicAuthorizationFailed.Code:     "org.apache.kafka.common.errors.TopicAuthorizationException",
	kerr.ClusterAuthorizationFailed.Code:   "org.apache.kafka.common.errors.ClusterAuthorizationException",
	kerr.GroupAuthorizationFailed.Code:     "org.apache.kafka.common.errors.GroupAuthorizationException",
	kerr.TopicDeletionDisabled.Code:        "org.apache.kafka.common.errors.TopicDeletionDisabledException",
	kerr.UnsupportedVersion.Code:           "org.apache.kafka.common.errors.UnsupportedVersionException",
	kerr.RequestTimedOut.Code:              "org.apache.kafka.common.errors.TimeoutException",
	kerr.NotController.Code:                "org.apache.kafka.common.errors.NotControllerException",
	kerr.MessageTooLarge.Code:              "org.apache.kafka.common.errors.RecordTooLargeException",
	kerr.RecordListTooLarge.Code:           "org.apache.kafka.common.errors.RecordBatchTooLargeException",
	kerr.CorruptMessage.Code:               "org.apache.kafka.common.errors.CorruptRecordException",
	kerr.InvalidRecord.Code:                "org.apache.kafka.common.errors.InvalidRecordException",
	kerr.NotLeaderForPartition.Code:        "org.apache.kafka.common.errors.NotLeaderOrFollowerException",
	kerr.LeaderNotAvailable.Code:           "org.apache.kafka.common.errors.LeaderNotAvailableException",
	kerr.NotEnoughReplicas.Code:            "org.apache.kafka.common.errors.NotEnoughReplicasException",
	kerr.NotEnoughReplicasAfterAppend.Code: "org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException",
	kerr.InvalidRequiredAcks.Code:          "org.apache.kafka.common.errors.InvalidRequiredAcksException",
	kerr.SaslAuthenticationFailed.Code:     "org.apache.kafka.common.errors.SaslAuthenticationException",
	kerr.OffsetOutOfRange.Code:             "org.apache.kafka.common.errors.OffsetOutOfRangeException",
	kerr.GroupIDNotFound.Code:              "org.apache.kafka.common.errors.GroupIdNotFoundException",
	kerr.ResourceNotFound.Code:             "org.apache.kafka.common.errors.ResourceNotFoundException",
	kerr.DuplicateResource.Code:            "org.apache.kafka.common.errors.DuplicateResourceException",
}

// ExceptionClass names the exception class Kafka's Java client throws for
// an error code: the class in javaExceptions, or else the one Kafka's Errors
// enum gives the code, named after it (UNSUPPORTED_VERSION is
// UnsupportedVersionException); a code Kafka does not define is
// UnknownServerException.
func ExceptionClass(code int16) string {
	const pkg = "org.apache.kafka.common.errors."
	if c, ok := javaExceptions[code]; ok {
		return c
	}
	ke, ok := kerr.ErrorForCode(code).(*kerr.Error)
	if !ok || ke == kerr.UnknownServerError { // kerr's answer for unknown codes
		return pkg + "UnknownServerException"
	}
	var b strings.Builder
	for _, w := range strings.Split(ke.Message, "_") {
		if w == "" {
			continue
		}
		b.WriteString(w[:1])
		b.WriteString(strings.ToLower(w[1:]))
	}
	name := b.String()
	if !strings.HasSuffix(name, "Exception") {
		name += "Exception"
	}
	return pkg + name
}

// JavaException renders err as the first line of the stack trace Kafka's
// Java tools print for it: "<exception class>: <message>".
func JavaException(err error) string {
	msg := Message(err)
	var nt *NodeTimeoutError
	if errors.As(err, &nt) {
		return "org.apache.kafka.common.errors.TimeoutException: " + msg
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return "org.apache.kafka.common.config.ConfigException: " + msg
	}
	if cls, ok := javaExceptions[Code(err)]; ok {
		return cls + ": " + msg
	}
	return "org.apache.kafka.common.KafkaException: " + msg
}
