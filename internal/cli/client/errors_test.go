package client

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestExceptionClass(t *testing.T) {
	tests := []struct {
		name string
		code int16
		want string
	}{
		{"in the table", kerr.UnknownTopicOrPartition.Code, "UnknownTopicOrPartitionException"},
		{"renamed", kerr.InvalidConfig.Code, "InvalidConfigurationException"},
		{"named after the code", kerr.InvalidRequest.Code, "InvalidRequestException"},
		{"policy", kerr.PolicyViolation.Code, "PolicyViolationException"},
		{"unknown server error", kerr.UnknownServerError.Code, "UnknownServerException"},
		{"code ending in Exception", kerr.InvalidTopicException.Code, "InvalidTopicException"},
		{"resource not found", kerr.ResourceNotFound.Code, "ResourceNotFoundException"},
		{"duplicate resource", kerr.DuplicateResource.Code, "DuplicateResourceException"},
		{"authorization", kerr.ClusterAuthorizationFailed.Code, "ClusterAuthorizationException"},
		{"version", kerr.UnsupportedVersion.Code, "UnsupportedVersionException"},
		{"outside the table", kerr.ThrottlingQuotaExceeded.Code, "ThrottlingQuotaExceededException"},
		{"undefined code", 9999, "UnknownServerException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := ExceptionClass(tt.code), "org.apache.kafka.common.errors."+tt.want; got != want {
				t.Errorf("ExceptionClass(%d) = %s, want %s", tt.code, got, want)
			}
		})
	}
}

func TestJavaException(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown server error", sarama.ErrUnknown,
			"org.apache.kafka.common.errors.UnknownServerException: The server experienced an unexpected error when processing the request."},
		{"resource not found", sarama.KError(kerr.ResourceNotFound.Code),
			"org.apache.kafka.common.errors.ResourceNotFoundException: A request illegally referred to a resource that does not exist."},
		{"duplicate resource", sarama.KError(kerr.DuplicateResource.Code),
			"org.apache.kafka.common.errors.DuplicateResourceException: A request illegally referred to the same resource twice."},
		{"code outside the table", sarama.ErrThrottlingQuotaExceeded,
			"org.apache.kafka.common.KafkaException: The throttling quota has been exceeded."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JavaException(tt.err); got != tt.want {
				t.Errorf("JavaException(%v) =\n%s\nwant\n%s", tt.err, got, tt.want)
			}
		})
	}
}
