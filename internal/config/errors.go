package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel kinds of validation failure. Every error this package returns
// for bad config input is an *Error that unwraps to one of them, so the
// broker can pick the Kafka error code in one place: ErrInvalidConfig is
// INVALID_CONFIG, ErrInvalidRequest is INVALID_REQUEST (what Kafka answers
// for bad dynamic broker configs and client quotas).
var (
	ErrInvalidConfig  = errors.New("invalid config")
	ErrInvalidRequest = errors.New("invalid request")
)

// Error is a rejected config. Its message is exactly the text Apache Kafka
// returns for the same input (for example "Invalid value abc for
// configuration num.partitions: Not a number of type INT"), so it can go
// unchanged into a response's ErrorMessage or a tool's output.
type Error struct {
	Kind error  // ErrInvalidConfig or ErrInvalidRequest
	Name string // the config concerned, when there is one
	Msg  string
	// Detail is the underlying reason where Kafka's message hides it
	// ("Invalid dynamic configuration"); for logs.
	Detail string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }

// invalidValue is Kafka's ConfigException(name, value, message).
func invalidValue(name string, shown string, msg string) *Error {
	text := "Invalid value " + shown + " for configuration " + name
	if msg != "" {
		text += ": " + msg
	}
	return &Error{Kind: ErrInvalidConfig, Name: name, Msg: text}
}

func configError(name, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalidConfig, Name: name, Msg: fmt.Sprintf(format, args...)}
}

func requestError(name, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalidRequest, Name: name, Msg: fmt.Sprintf(format, args...)}
}

// scalaSet renders names the way Scala prints a Set in Kafka's messages:
// "Set(a, b)". Names are sorted so messages are stable.
func scalaSet(names []string) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	return "Set(" + strings.Join(s, ", ") + ")"
}
