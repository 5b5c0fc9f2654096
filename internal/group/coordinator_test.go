package group

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestErrorCodesMatchKerr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		got  int16
		want *kerr.Error
	}{
		{"UNKNOWN_SERVER_ERROR", errUnknownServerError, kerr.UnknownServerError},
		{"UNKNOWN_TOPIC_OR_PARTITION", errUnknownTopicOrPartition, kerr.UnknownTopicOrPartition},
		{"INVALID_FETCH_SIZE", errInvalidFetchSize, kerr.InvalidFetchSize},
		{"NOT_LEADER_OR_FOLLOWER", errNotLeaderOrFollower, kerr.NotLeaderForPartition},
		{"REQUEST_TIMED_OUT", errRequestTimedOut, kerr.RequestTimedOut},
		{"MESSAGE_TOO_LARGE", errMessageTooLarge, kerr.MessageTooLarge},
		{"OFFSET_METADATA_TOO_LARGE", errOffsetMetadataTooLarge, kerr.OffsetMetadataTooLarge},
		{"NETWORK_EXCEPTION", errNetworkException, kerr.NetworkException},
		{"COORDINATOR_LOAD_IN_PROGRESS", errCoordinatorLoadInProgress, kerr.CoordinatorLoadInProgress},
		{"COORDINATOR_NOT_AVAILABLE", errCoordinatorNotAvailable, kerr.CoordinatorNotAvailable},
		{"NOT_COORDINATOR", errNotCoordinator, kerr.NotCoordinator},
		{"RECORD_LIST_TOO_LARGE", errRecordListTooLarge, kerr.RecordListTooLarge},
		{"NOT_ENOUGH_REPLICAS", errNotEnoughReplicas, kerr.NotEnoughReplicas},
		{"NOT_ENOUGH_REPLICAS_AFTER_APPEND", errNotEnoughReplicasAfterAppend, kerr.NotEnoughReplicasAfterAppend},
		{"ILLEGAL_GENERATION", errIllegalGeneration, kerr.IllegalGeneration},
		{"INCONSISTENT_GROUP_PROTOCOL", errInconsistentGroupProtocol, kerr.InconsistentGroupProtocol},
		{"INVALID_GROUP_ID", errInvalidGroupID, kerr.InvalidGroupID},
		{"UNKNOWN_MEMBER_ID", errUnknownMemberID, kerr.UnknownMemberID},
		{"INVALID_SESSION_TIMEOUT", errInvalidSessionTimeout, kerr.InvalidSessionTimeout},
		{"REBALANCE_IN_PROGRESS", errRebalanceInProgress, kerr.RebalanceInProgress},
		{"INVALID_COMMIT_OFFSET_SIZE", errInvalidCommitOffsetSize, kerr.InvalidCommitOffsetSize},
		{"UNSUPPORTED_VERSION", errUnsupportedVersion, kerr.UnsupportedVersion},
		{"KAFKA_STORAGE_ERROR", errKafkaStorageError, kerr.KafkaStorageError},
		{"NON_EMPTY_GROUP", errNonEmptyGroup, kerr.NonEmptyGroup},
		{"GROUP_ID_NOT_FOUND", errGroupIDNotFound, kerr.GroupIDNotFound},
		{"MEMBER_ID_REQUIRED", errMemberIDRequired, kerr.MemberIDRequired},
		{"GROUP_MAX_SIZE_REACHED", errGroupMaxSizeReached, kerr.GroupMaxSizeReached},
		{"FENCED_INSTANCE_ID", errFencedInstanceID, kerr.FencedInstanceID},
		{"GROUP_SUBSCRIBED_TO_TOPIC", errGroupSubscribedToTopic, kerr.GroupSubscribedToTopic},
		{"UNSTABLE_OFFSET_COMMIT", errUnstableOffsetCommit, kerr.UnstableOffsetCommit},
	} {
		if tc.got != tc.want.Code {
			t.Errorf("%s: got %d, want %d", tc.name, tc.got, tc.want.Code)
		}
	}
}

// TestPartitionForMatchesKafka pins PartitionFor to Java's String.hashCode
// and Kafka's Utils.abs: well-known hash values ("polygenelubricants" hashes
// to Integer.MIN_VALUE, which Utils.abs maps to 0), a collision pair, and
// characters outside the BMP, which Java hashes as two UTF-16 units.
func TestPartitionForMatchesKafka(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		group    string
		wantHash int32
		wantPart int32 // with 50 partitions
	}{
		{"", 0, 0},
		{"a", 97, 47},
		{"hello", 99162322, 22},
		{"Aa", 2112, 12},
		{"BB", 2112, 12},
		{"polygenelubricants", -2147483648, 0},
		{"é", 233, 33},
		{"😀", 1772899, 49},
		{"my-group", -1906497762, 12},
		{"console-consumer-40000", 161163475, 25},
	} {
		t.Run(tc.group, func(t *testing.T) {
			if got := javaStringHashCode(tc.group); got != tc.wantHash {
				t.Errorf("hash: got %d, want %d", got, tc.wantHash)
			}
			c := New(Config{}, newMemStorage())
			defer c.Close()
			if got := c.PartitionFor(tc.group); got != tc.wantPart {
				t.Errorf("PartitionFor: got %d, want %d", got, tc.wantPart)
			}
		})
	}
}

func TestJoinSyncMembers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		members int
	}{
		{"one member", 1},
		{"two members", 2},
		{"three members", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ms := f.joinMembers("g", tc.members)
			leaders := 0
			for _, m := range ms {
				// Each member's arrival is one rebalance.
				if m.generation != int32(tc.members) {
					t.Errorf("member %s: generation %d, want %d", m.id, m.generation, tc.members)
				}
				if m.leader != ms[0].leader {
					t.Errorf("member %s: leader %s, want %s", m.id, m.leader, ms[0].leader)
				}
				if m.id == m.leader {
					leaders++
					if got := len(m.members); got != tc.members {
						t.Errorf("leader got %d members, want %d", got, tc.members)
					}
				} else if len(m.members) != 0 {
					t.Errorf("follower %s got %d members, want 0", m.id, len(m.members))
				}
			}
			if leaders != 1 {
				t.Fatalf("got %d leaders, want 1", leaders)
			}
			if got := f.describe("g").State; got != "CompletingRebalance" {
				t.Errorf("state after join: got %s, want CompletingRebalance", got)
			}
			f.syncAll("g", ms)
			d := f.describe("g")
			if d.State != "Stable" || d.Protocol != "range" || d.ProtocolType != "consumer" {
				t.Errorf("describe: got state %q protocol %q type %q, want Stable range consumer", d.State, d.Protocol, d.ProtocolType)
			}
			if len(d.Members) != tc.members {
				t.Fatalf("describe: got %d members, want %d", len(d.Members), tc.members)
			}
			for _, dm := range d.Members {
				if got, want := string(dm.MemberAssignment), "assign-"+dm.MemberID; got != want {
					t.Errorf("describe member %s: assignment %q, want %q", dm.MemberID, got, want)
				}
				if len(dm.ProtocolMetadata) == 0 {
					t.Errorf("describe member %s: no protocol metadata", dm.MemberID)
				}
				if dm.ClientID != "client" || dm.ClientHost != "/127.0.0.1" {
					t.Errorf("describe member %s: client %q host %q", dm.MemberID, dm.ClientID, dm.ClientHost)
				}
			}
			for _, m := range ms {
				if code := f.heartbeat("g", m.id, m.generation, nil); code != errNone {
					t.Errorf("heartbeat %s: error %d, want none", m.id, code)
				}
			}
		})
	}
}

// TestJoinVersions checks the version-dependent parts of JoinGroup: before
// v4 a new member is admitted at once, from v4 it must come back with the
// id from MEMBER_ID_REQUIRED; before v7 the protocol name is never null.
func TestJoinVersions(t *testing.T) {
	t.Parallel()
	for v := int16(0); v <= 9; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			resp := f.join(joinReq(v, "g", "", nil))
			if v >= 4 {
				if resp.ErrorCode != errMemberIDRequired || resp.MemberID == "" {
					t.Fatalf("first join: error %d id %q, want MEMBER_ID_REQUIRED with an id", resp.ErrorCode, resp.MemberID)
				}
				if resp.Protocol != nil && *resp.Protocol != "" {
					t.Errorf("MEMBER_ID_REQUIRED protocol: got %q, want empty", *resp.Protocol)
				}
				if v >= 7 && resp.Protocol != nil {
					t.Errorf("v%d error response protocol: got %q, want null", v, *resp.Protocol)
				}
				if v < 7 && resp.Protocol == nil {
					t.Errorf("v%d error response protocol: got null, want empty string", v)
				}
				resp = f.join(joinReq(v, "g", resp.MemberID, nil))
			}
			if resp.ErrorCode != errNone {
				t.Fatalf("join: error %d", resp.ErrorCode)
			}
			if resp.Generation != 1 || resp.LeaderID != resp.MemberID || len(resp.Members) != 1 {
				t.Errorf("join: generation %d leader %q members %d, want 1, self, 1", resp.Generation, resp.LeaderID, len(resp.Members))
			}
			if resp.Protocol == nil || *resp.Protocol != "range" {
				t.Errorf("join: protocol %v, want range", resp.Protocol)
			}
			if v >= 7 && (resp.ProtocolType == nil || *resp.ProtocolType != "consumer") {
				t.Errorf("join: protocol type %v, want consumer", resp.ProtocolType)
			}
			if resp.Version != v {
				t.Errorf("response version %d, want %d", resp.Version, v)
			}
		})
	}
}

func TestJoinErrors(t *testing.T) {
	t.Parallel()
	long := protocols("range")
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
		req   func() *kmsg.JoinGroupRequest
		want  int16
	}{
		{
			name: "empty group id",
			req:  func() *kmsg.JoinGroupRequest { return joinReq(5, "", "", nil) },
			want: errInvalidGroupID,
		},
		{
			name: "session timeout below minimum",
			req: func() *kmsg.JoinGroupRequest {
				r := joinReq(5, "g", "", nil)
				r.SessionTimeoutMillis = 1
				return r
			},
			want: errInvalidSessionTimeout,
		},
		{
			name: "session timeout above maximum",
			req: func() *kmsg.JoinGroupRequest {
				r := joinReq(5, "g", "", nil)
				r.SessionTimeoutMillis = int32((11 * time.Minute).Milliseconds())
				return r
			},
			want: errInvalidSessionTimeout,
		},
		{
			name: "member id for a group that does not exist",
			req:  func() *kmsg.JoinGroupRequest { return joinReq(5, "g", "ghost", nil) },
			want: errUnknownMemberID,
		},
		{
			name: "empty protocol type",
			req: func() *kmsg.JoinGroupRequest {
				r := joinReq(3, "g", "", nil)
				r.ProtocolType = ""
				return r
			},
			want: errInconsistentGroupProtocol,
		},
		{
			name: "no protocols",
			req: func() *kmsg.JoinGroupRequest {
				r := joinReq(3, "g", "", nil)
				r.Protocols = nil
				return r
			},
			want: errInconsistentGroupProtocol,
		},
		{
			name:  "no protocol in common",
			setup: func(f *fixture) { f.joinMembers("g", 1) },
			req:   func() *kmsg.JoinGroupRequest { return joinReq(3, "g", "", nil, protocols("roundrobin")...) },
			want:  errInconsistentGroupProtocol,
		},
		{
			name:  "different protocol type",
			setup: func(f *fixture) { f.joinMembers("g", 1) },
			req: func() *kmsg.JoinGroupRequest {
				r := joinReq(3, "g", "", nil, long...)
				r.ProtocolType = "connect"
				return r
			},
			want: errInconsistentGroupProtocol,
		},
		{
			name:  "unknown member of an existing group",
			setup: func(f *fixture) { f.joinMembers("g", 1) },
			req:   func() *kmsg.JoinGroupRequest { return joinReq(5, "g", "ghost", nil) },
			want:  errUnknownMemberID,
		},
		{
			name: "partition not loaded",
			setup: func(f *fixture) {
				f.c.Unload(f.c.PartitionFor("g"))
			},
			req:  func() *kmsg.JoinGroupRequest { return joinReq(5, "g", "", nil) },
			want: errNotCoordinator,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			resp := f.join(tc.req())
			if resp.ErrorCode != tc.want {
				t.Errorf("got error %d, want %d", resp.ErrorCode, tc.want)
			}
			if resp.Generation != -1 {
				t.Errorf("got generation %d, want -1", resp.Generation)
			}
		})
	}
}

func TestCoordinatorLoadInProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.c.PartitionFor("g")
	f.c.Unload(p)
	release := make(chan struct{})
	started := make(chan struct{})
	f.st.mu.Lock()
	f.st.replayHook = func(ctx context.Context, partition int32) error {
		close(started)
		<-release
		return nil
	}
	f.st.mu.Unlock()
	loaded := make(chan error, 1)
	go func() { loaded <- f.c.Load(context.Background(), p) }()
	<-started

	if resp := f.join(joinReq(5, "g", "", nil)); resp.ErrorCode != errCoordinatorLoadInProgress {
		t.Errorf("join while loading: error %d, want COORDINATOR_LOAD_IN_PROGRESS", resp.ErrorCode)
	}
	if code := f.heartbeat("g", "m", 1, nil); code != errNone {
		t.Errorf("heartbeat while loading: error %d, want none (Kafka answers blindly)", code)
	}
	if resp := recv(t, f.syncAsync(syncReq(3, "g", "m", 1, nil))); resp.ErrorCode != errRebalanceInProgress {
		t.Errorf("sync while loading: error %d, want REBALANCE_IN_PROGRESS", resp.ErrorCode)
	}
	if code, _ := f.fetch(2, "g", nil, false); code != errCoordinatorLoadInProgress {
		t.Errorf("fetch while loading: error %d, want COORDINATOR_LOAD_IN_PROGRESS", code)
	}
	lreq := kmsg.NewPtrListGroupsRequest()
	if got := f.c.ListGroups(context.Background(), lreq).ErrorCode; got != errCoordinatorLoadInProgress {
		t.Errorf("list while loading: error %d, want COORDINATOR_LOAD_IN_PROGRESS", got)
	}
	close(release)
	if err := recv(t, loaded); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if resp := f.join(joinReq(3, "g", "", nil)); resp.ErrorCode != errNone {
		t.Errorf("join after load: error %d, want none", resp.ErrorCode)
	}
}

func TestClosedCoordinator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.c.Close()
	if resp := f.join(joinReq(5, "g", "", nil)); resp.ErrorCode != errCoordinatorNotAvailable {
		t.Errorf("join after Close: error %d, want COORDINATOR_NOT_AVAILABLE", resp.ErrorCode)
	}
	if err := f.c.Load(context.Background(), 0); err != ErrClosed {
		t.Errorf("Load after Close: got %v, want ErrClosed", err)
	}
	if got := f.c.ListGroups(context.Background(), kmsg.NewPtrListGroupsRequest()).ErrorCode; got != errCoordinatorNotAvailable {
		t.Errorf("list after Close: error %d, want COORDINATOR_NOT_AVAILABLE", got)
	}
}
