package consumergroups

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
)

func i64(v int64) *int64 { return &v }

// The expected outputs are the examples of Kafka's own output in
// reference/kafka-cli.md §2.4-2.6.

func TestPrintOffsetsKafkaExample(t *testing.T) {
	rows := []offsetRow{
		{Topic: "my-topic", Partition: 0, LogEnd: i64(12),
			ConsumerID: "consumer-1-029af89c-873c-4751-a720-cefd41a669d6", Host: "/127.0.0.1", ClientID: "consumer-1"},
		{Topic: "other-topic", Partition: 1, Current: i64(5), LogEnd: i64(7), Lag: i64(2),
			ConsumerID: missing, Host: missing, ClientID: missing},
	}
	var b bytes.Buffer
	printOffsets(&b, "my-group", rows, false)
	want := "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                                     HOST            CLIENT-ID\nmy-group        my-topic        0          -               12              -               consumer-1-029af89c-873c-4751-a720-cefd41a669d6 /127.0.0.1      consumer-1\nmy-group        other-topic     1          5               7               2               -                                               -               -\n"
	if got := b.String(); got != want {
		t.Errorf("printOffsets:\ngot  %q\nwant %q", got, want)
	}
}

func membersOptions(t *testing.T, args ...string) (*Options, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	o, cmd := newCommand(cli.IOStreams{Out: &out, ErrOut: &errOut})
	fs := cmd.Flags()
	if err := fs.Parse(append([]string{"--bootstrap-server=x", "--describe", "--group=g"}, args...)); err != nil {
		t.Fatal(err)
	}
	o.Complete(cmd, nil)
	return o, &out, &errOut
}

func TestPrintMembers(t *testing.T) {
	consumer := "consumer-1-029af89c-873c-4751-a720-cefd41a669d6"
	stable := &groupInfo{ID: "my-group", State: "Stable", Members: []memberInfo{{
		ID: consumer, ClientID: "consumer-1", Host: "/127.0.0.1",
		Assignment: []topicPartition{{"topic1", 0}, {"topic2", 0}},
	}}}
	static := &groupInfo{ID: "g", State: "Stable", Members: []memberInfo{
		{ID: "a-1", InstanceID: "instance-a", ClientID: "a", Host: "/10.0.0.1", Assignment: []topicPartition{{"t", 1}, {"t", 0}, {"t", 10}, {"t", 2}}},
		{ID: "b-1", ClientID: "b", Host: "/10.0.0.2"},
	}}
	tests := []struct {
		name    string
		group   *groupInfo
		verbose bool
		want    string
		stderr  string
	}{
		{"verbose (Kafka's example)", stable, true,
			"\nGROUP           CONSUMER-ID                                     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\nmy-group        consumer-1-029af89c-873c-4751-a720-cefd41a669d6 /127.0.0.1      consumer-1      2               topic1(0), topic2(0)\n", ""},
		{"not verbose", stable, false,
			"\nGROUP           CONSUMER-ID                                     HOST            CLIENT-ID       #PARTITIONS     \nmy-group        consumer-1-029af89c-873c-4751-a720-cefd41a669d6 /127.0.0.1      consumer-1      2               \n", ""},
		{"group instance ids", static, true,
			"\nGROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\n" +
				"g               a-1             instance-a        /10.0.0.1       a               4               t(0,1,2,10)\n" +
				"g               b-1                               /10.0.0.2       b               0               -\n", ""},
		{"empty group keeps the header", &groupInfo{ID: "e", State: "Empty"}, true,
			"\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\n",
			"\nConsumer group 'e' has no active members.\n"},
		{"dead group prints the error and the header", &groupInfo{ID: "d", State: "Dead"}, false,
			"\nError: Consumer group 'd' does not exist.\n\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n", ""},
		{"rebalancing", &groupInfo{ID: "r", State: "PreparingRebalance", Members: []memberInfo{{ID: "m", ClientID: "c", Host: "/h"}}}, false,
			"\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \nr               m               /h              c               0               \n",
			"\nWarning: Consumer group 'r' is rebalancing.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			args = append(args, "--members")
			if tt.verbose {
				args = append(args, "--verbose")
			}
			o, out, errOut := membersOptions(t, args...)
			if err := o.printMembers(map[string]*groupInfo{tt.group.ID: tt.group}); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("stdout:\ngot  %q\nwant %q", got, tt.want)
			}
			if got := errOut.String(); got != tt.stderr {
				t.Errorf("stderr:\ngot  %q\nwant %q", got, tt.stderr)
			}
		})
	}
}

func TestPrintStateKafkaExample(t *testing.T) {
	var b bytes.Buffer
	printState(&b, &groupInfo{ID: "my-group", State: "Stable", Protocol: "range", Members: make([]memberInfo, 1)}, "localhost:9092", 1)
	want := "\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\nmy-group                  localhost:9092  (1)       range                Stable          1\n"
	if got := b.String(); got != want {
		t.Errorf("printState:\ngot  %q\nwant %q", got, want)
	}
	// A long coordinator string widens the first column, not the second.
	b.Reset()
	printState(&b, &groupInfo{ID: "g", State: "Empty"}, "broker-with-a-long-name.example:9092", 1001)
	coordinator := "broker-with-a-long-name.example:9092  (1001)" // 44 characters
	want = "\nGROUP" + strings.Repeat(" ", 44-5) + " COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\n" +
		"g" + strings.Repeat(" ", 44-1) + " " + coordinator + "                      Empty           0\n"
	if got := b.String(); got != want {
		t.Errorf("printState:\ngot  %q\nwant %q", got, want)
	}
}

func TestCheckStateUnknown(t *testing.T) {
	o, out, _ := membersOptions(t)
	_, err := o.checkState(&groupInfo{ID: "g", State: "Bogus"}, 1)
	var f *failure
	if !errors.As(err, &f) || f.msg != "Expected a valid consumer group state, but found 'Unknown'." {
		t.Fatalf("checkState(Bogus) = %v, want Kafka's KafkaException", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out.String())
	}
}

func TestAssignmentString(t *testing.T) {
	tests := []struct {
		in   []topicPartition
		want string
	}{
		{nil, "-"},
		{[]topicPartition{{"b", 1}, {"a", 10}, {"a", 2}}, "a(2,10), b(1)"},
		{[]topicPartition{{"topic2", 1}, {"topic3", 0}, {"topic3", 1}}, "topic2(1), topic3(0,1)"},
	}
	for _, tt := range tests {
		if got := assignmentString(tt.in); got != tt.want {
			t.Errorf("assignmentString(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPadCountsUTF16(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"ab", 4, "ab  "},
		{"abcde", 4, "abcde"},
		{"é", 3, "é  "},
		{"😀", 3, "😀 "}, // two UTF-16 code units, as Java counts it
	}
	for _, tt := range tests {
		if got := pad(tt.in, tt.width); got != tt.want {
			t.Errorf("pad(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestColouredOffsetsLineUp(t *testing.T) {
	rows := []offsetRow{
		{Topic: "t", Partition: 0, Current: i64(5), LogEnd: i64(5), Lag: i64(0), ConsumerID: "c", Host: "/h", ClientID: "x"},
		{Topic: "t", Partition: 1, Current: i64(5), LogEnd: i64(9), Lag: i64(4), ConsumerID: "c", Host: "/h", ClientID: "x"},
		{Topic: "t", Partition: 2, Current: i64(0), LogEnd: i64(5000), Lag: i64(5000), ConsumerID: "c", Host: "/h", ClientID: "x"},
		{Topic: "t", Partition: 3, LogEnd: i64(1), ConsumerID: "c", Host: "/h", ClientID: "x"},
	}
	var plain, coloured bytes.Buffer
	printOffsets(&plain, "g", rows, false)
	printOffsets(&coloured, "g", rows, true)
	if got := ansi.ReplaceAllString(coloured.String(), ""); got != plain.String() {
		t.Errorf("coloured table without escapes:\n%q\nwant the plain table:\n%q", got, plain.String())
	}
	lines := strings.Split(coloured.String(), "\n")
	for i, want := range map[int]string{
		2: "\x1b[32m0\x1b[0m",         // caught up: green
		3: "\x1b[33m4\x1b[0m",         // behind: yellow
		4: "\x1b[31;1m5000\x1b[0;22m", // far behind: bold red
		5: "\x1b[2m-\x1b[22m",         // unknown: faint
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want it to hold %q", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[1], "\x1b[1mLAG\x1b[22m") {
		t.Errorf("header = %q, want LAG in bold", lines[1])
	}
}
