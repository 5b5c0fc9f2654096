package configs

import (
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/client"
)

// javaError is a failure as the Java exception Kafka's tool would have
// thrown for it; its text is that exception's toString, the first line of
// the stack trace Kafka prints.
type javaError struct {
	class string
	msg   string
	// cause, when set, is printed on a "Caused by: " line, as the stack
	// trace shows it, where the first line alone would hide the reason.
	cause error
}

func (e *javaError) Error() string {
	s := e.class
	if e.msg != "" {
		s += ": " + e.msg
	}
	if e.cause != nil {
		s += "\nCaused by: " + javaText(e.cause)
	}
	return s
}

// executionError wraps a failed admin call the way KafkaFuture.get does.
func executionError(cause error) *javaError {
	return &javaError{class: "java.util.concurrent.ExecutionException", msg: javaText(cause)}
}

// kafkaError is an error code a broker returned, with its message.
type kafkaError struct {
	code int16
	msg  string
}

func (e *kafkaError) Error() string { return javaText(e) }

// newKafkaError returns the error for a code, or nil for code 0. A missing
// message becomes the code's default text, as Kafka's Errors.exception(null)
// does.
func newKafkaError(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	e := &kafkaError{code: code}
	if msg != nil {
		e.msg = *msg
	}
	if e.msg == "" {
		if ke, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
			e.msg = ke.Description
		}
	}
	return e
}

// javaText renders err as the toString of the Java exception it stands for.
func javaText(err error) string {
	var je *javaError
	if errors.As(err, &je) {
		return je.Error()
	}
	var ke *kafkaError
	if errors.As(err, &ke) {
		return client.ExceptionClass(ke.code) + ": " + ke.msg
	}
	return client.JavaException(err)
}

// commandError turns an error from Run into what ConfigCommand.main prints:
// IllegalArgumentException, InvalidConfigurationException and jopt-simple
// errors are already an *cli.ExitError with their message; anything else is
// "Error while executing config command with args '...'" and the exception.
func (o *Options) commandError(err error) error {
	if err == nil {
		return nil
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &cli.ExitError{
		Code:   cli.ExitFailure,
		Msg:    "Error while executing config command with args '" + strings.Join(o.Args, " ") + "'",
		Detail: javaText(err),
		Err:    err,
	}
}
