package server

import (
	"errors"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// controller returns the metadata controller.
func (s *Server) controller() *metadata.Controller { return s.cfg.Meta.Controller() }

func errorIs(err error, code *kerr.Error) bool { return errors.Is(err, code) }

// validTopicNameErr reports whether name is a legal topic name: 1 to 249
// characters of [a-zA-Z0-9._-], and not "." or "..".
func validTopicNameErr(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 249 {
		return kerr.InvalidTopicException
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return kerr.InvalidTopicException
		}
	}
	return nil
}

// kafkaError maps an engine error to a Kafka error code and message. nil
// maps to (0, nil).
func kafkaError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	code, msg := metadata.KafkaError(err)
	if code == nil {
		return 0, nil
	}
	return code.Code, &msg
}

func itoa(n int) string { return strconv.Itoa(n) }
