package topics

import (
	"errors"
	"reflect"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/clitest"
)

// parseOptions builds kafka-topics' options from args without running it.
func parseOptions(t *testing.T, args []string) *Options {
	return clitest.ParseOptions(t, newCommand, args)
}

func TestValidate(t *testing.T) {
	const bs = "--bootstrap-server=b:1"
	tests := []struct {
		name  string
		args  []string
		want  string // "" for no error
		usage bool
	}{
		{"no arguments", nil, "Create, delete, describe, or change a topic.", true},
		{"no action", []string{bs, "--topic", "t"}, "Command must include exactly one action: --list, --describe, --create, --alter or --delete", true},
		{"two actions", []string{bs, "--list", "--describe"}, "Command must include exactly one action: --list, --describe, --create, --alter or --delete", true},
		{"no bootstrap", []string{"--list"}, "--bootstrap-server must be specified", false},
		{"describe if-exists needs a topic", []string{bs, "--describe", "--if-exists"}, "--topic or --topic-id is required to describe a topic", true},
		{"create needs topic", []string{bs, "--create"}, `Missing required argument "[topic]"`, true},
		{"delete needs topic", []string{bs, "--delete"}, `Missing required argument "[topic]"`, true},
		{"alter with config", []string{bs, "--alter", "--topic", "t", "--config", "a=b"},
			`Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)`, true},
		{"alter needs partitions", []string{bs, "--alter", "--topic", "t"}, `Missing required argument "[partitions]"`, true},
		{"config with list", []string{bs, "--list", "--config", "a=b"}, `Option "[config]" can't be used with option "[list]"`, true},
		{"delete-config with create", []string{bs, "--create", "--topic", "t", "--delete-config", "a"}, `Option "[delete-config]" can't be used with option "[create]"`, true},
		{"delete-config with alter", []string{bs, "--alter", "--topic", "t", "--partitions", "2", "--delete-config", "a"}, `Option "[delete-config]" can't be used with option "[bootstrap-server]"`, true},
		{"partitions with describe", []string{bs, "--describe", "--partitions", "2"}, `Option "[partitions]" can't be used with option "[describe]"`, true},
		{"replication factor with alter", []string{bs, "--alter", "--topic", "t", "--partitions", "2", "--replication-factor", "1"}, `Option "[replication-factor]" can't be used with option "[alter]"`, true},
		{"assignment with delete", []string{bs, "--delete", "--topic", "t", "--replica-assignment", "1"}, `Option "[replica-assignment]" can't be used with option "[delete]"`, true},
		{"assignment and partitions", []string{bs, "--create", "--topic", "t", "--replica-assignment", "1", "--partitions", "1"}, `Option "[replica-assignment]" can't be used with option "[partitions]"`, true},
		{"assignment and rf", []string{bs, "--create", "--topic", "t", "--replica-assignment", "1", "--replication-factor", "1"}, `Option "[replica-assignment]" can't be used with option "[replication-factor]"`, true},
		{"filter with list", []string{bs, "--list", "--unavailable-partitions"}, `Option "[unavailable-partitions]" can't be used with option "[list]"`, true},
		{"filter with overrides", []string{bs, "--describe", "--at-min-isr-partitions", "--topics-with-overrides"}, `Option "[at-min-isr-partitions]" can't be used with option "[topics-with-overrides]"`, true},
		{"first filter reported", []string{bs, "--describe", "--under-min-isr-partitions", "--under-replicated-partitions", "--topics-with-overrides"}, `Option "[under-replicated-partitions]" can't be used with option "[topics-with-overrides]"`, true},
		{"overrides with delete", []string{bs, "--delete", "--topic", "t", "--topics-with-overrides"}, `Option "[topics-with-overrides]" can't be used with option "[delete]"`, true},
		{"if-exists with create", []string{bs, "--create", "--topic", "t", "--if-exists"}, `Option "[if-exists]" can't be used with option "[create]"`, true},
		{"if-not-exists with alter", []string{bs, "--alter", "--topic", "t", "--partitions", "2", "--if-not-exists"}, `Option "[if-not-exists]" can't be used with option "[alter]"`, true},
		{"exclude-internal with delete", []string{bs, "--delete", "--topic", "t", "--exclude-internal"}, `Option "[exclude-internal]" can't be used with option "[delete]"`, true},
		{"bad output", []string{bs, "--list", "--output", "yaml"}, "Invalid value 'yaml' for option output: use one of plain, json, table", true},
		{"table with list", []string{bs, "--list", "--output", "table"}, `Option "[output]" with value table can only be used with option "[describe]"`, true},
		{"list", []string{bs, "--list"}, "", false},
		{"describe filters", []string{bs, "--describe", "--at-min-isr-partitions", "--under-min-isr-partitions", "--exclude-internal"}, "", false},
		{"create", []string{bs, "--create", "--topic", "t", "--partitions", "3", "--replication-factor", "1", "--config", "a=b", "--if-not-exists"}, "", false},
		{"alter", []string{bs, "--alter", "--topic", "t", "--partitions", "3", "--replica-assignment", "1,2,3", "--if-exists"}, "", false},
		{"single dash options", []string{"-bootstrap-server", "b:1", "-list"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseOptions(t, tt.args).Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ee *cli.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Validate() = %v, want an ExitError %q", err, tt.want)
			}
			if ee.Msg != tt.want || ee.Usage != tt.usage || ee.Code != 1 {
				t.Errorf("Validate() = %q (usage %v, code %d), want %q (usage %v, code 1)", ee.Msg, ee.Usage, ee.Code, tt.want, tt.usage)
			}
		})
	}
}

// TestJavaHashOrder pins the order against java.util.HashMap built as
// Kafka's DescribeTopicsResult builds it (outputs of a Java program).
func TestJavaHashOrder(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"orders", "payments"}, []string{"orders", "payments"}},
		{[]string{"topic-a", "topic-b", "topic-c"}, []string{"topic-b", "topic-c", "topic-a"}},
		{[]string{"__consumer_offsets", "a", "b", "bar", "c", "foo", "orders", "payments", "t1", "t2", "test"},
			[]string{"a", "b", "bar", "c", "test", "foo", "payments", "orders", "t1", "__consumer_offsets", "t2"}},
		{[]string{"x"}, []string{"x"}},
		{nil, []string{}},
	}
	for _, tt := range tests {
		got := javaHashOrder(tt.in)
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("javaHashOrder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseReplicaAssignment(t *testing.T) {
	tests := []struct {
		in      string
		want    [][]int32
		wantErr string
	}{
		{"1", [][]int32{{1}}, ""},
		{"1:2,2:3, 3 : 1 ", [][]int32{{1, 2}, {2, 3}, {3, 1}}, ""},
		{"1:2,", [][]int32{{1, 2}}, ""},
		{"1:1:2:2", nil, "Partition replica lists may not contain duplicate entries: 1,2"},
		{"1:2,3", nil, "Partition 1 has different replication factor: [3]"},
		{"1,a", nil, `For input string: "a"`},
		{",1", nil, `For input string: ""`},
	}
	for _, tt := range tests {
		got, err := parseReplicaAssignment(tt.in)
		if tt.wantErr != "" {
			var ee *cli.ExitError
			if !errors.As(err, &ee) || ee.Msg != "Error while executing topic command : "+tt.wantErr {
				t.Errorf("parseReplicaAssignment(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseReplicaAssignment(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestIncludeRegexp(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"orders", []string{"orders"}, []string{"orders2", "xorders"}},
		{`a\.b`, []string{"a.b"}, []string{"a_b"}},
		{"a,b", []string{"a", "b"}, []string{"a,b"}},
		{`"t.*"`, []string{"t", "topic"}, []string{"xt"}},
		{" 'x y' ", []string{"xy"}, []string{"x y"}},
	}
	for _, tt := range tests {
		re, err := includeRegexp(tt.pattern)
		if err != nil {
			t.Fatalf("includeRegexp(%q): %v", tt.pattern, err)
		}
		for _, m := range tt.match {
			if !re.MatchString(m) {
				t.Errorf("%q does not match %q", tt.pattern, m)
			}
		}
		for _, m := range tt.nomatch {
			if re.MatchString(m) {
				t.Errorf("%q matches %q", tt.pattern, m)
			}
		}
	}
}

func TestParseUUID(t *testing.T) {
	id, err := parseUUID("AAAAAAAAAAAAAAAAAAAAAQ")
	if err != nil || id[15] != 1 || formatUUID(id) != "AAAAAAAAAAAAAAAAAAAAAQ" {
		t.Errorf("parseUUID = %v, %v", id, err)
	}
	for in, want := range map[string]string{
		"abc":                          "Input string `abc` decoded as 2 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAA": "Input string with prefix `AAAAAAAAAAAAAAAAAAAAAAAA` is too long to be decoded as a base64 UUID",
		"AAAA!":                        "Illegal base64 character 21",
	} {
		_, err := parseUUID(in)
		var ee *cli.ExitError
		if !errors.As(err, &ee) || ee.Msg != "Error while executing topic command : "+want {
			t.Errorf("parseUUID(%q) = %v, want %q", in, err, want)
		}
	}
}
