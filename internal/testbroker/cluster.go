package testbroker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FastFailoverOverrides are broker properties that make a test cluster
// notice a dead broker in about three seconds instead of Kafka's
// production defaults (18 s session, 30 s replica lag): broker sessions,
// heartbeats, controller quorum timeouts and replica.lag.time.max.ms.
func FastFailoverOverrides() []string {
	return []string{
		"broker.session.timeout.ms=3000",
		"broker.heartbeat.interval.ms=500",
		"controller.quorum.election.timeout.ms=500",
		"controller.quorum.fetch.timeout.ms=500",
		"replica.lag.time.max.ms=3000",
	}
}

// ClusterOptions tune StartClusterWith.
type ClusterOptions struct {
	// Overrides are broker properties for every node, applied after the
	// cluster's own (node.id, roles, listeners, quorum voters, log.dirs).
	Overrides []string
	// Advertise, if set, returns the PLAINTEXT address node id advertises
	// (advertised.listeners) given the address it listens on: clients
	// and other brokers' replica fetchers then connect there, for example
	// to a fault proxy in front of the node. "" advertises addr itself.
	Advertise func(id int32, addr string) string
}

// Cluster is a set of kafka-server processes that form one cluster as
// scripts/cluster.sh starts it: every node is broker and controller
// (process.roles=broker,controller), with a PLAINTEXT listener for clients
// and replication and a CONTROLLER listener for the metadata quorum
// (controller.quorum.voters lists all of them), on ports of 127.0.0.1
// chosen at start. Node i has id i and keeps its data (and server.log) in
// Dir/node-i.
type Cluster struct {
	Bin   string
	Dir   string
	Nodes []*Node
}

// Node is one member of a Cluster. Its embedded Process restarts it on
// the same ports and data directory.
type Node struct {
	*Process
	ID             int32
	ControllerAddr string // 127.0.0.1:port of its CONTROLLER listener
	Advertised     string // the PLAINTEXT address others connect to
}

// StartCluster starts n nodes with data under dir and waits until every
// broker is registered and unfenced.
func StartCluster(bin, dir string, n int, overrides ...string) (*Cluster, error) {
	return StartClusterWith(bin, dir, n, ClusterOptions{Overrides: overrides})
}

// StartClusterWith is StartCluster with options.
func StartClusterWith(bin, dir string, n int, opts ClusterOptions) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("testbroker: cluster of %d nodes", n)
	}
	c := &Cluster{Bin: bin, Dir: dir}
	var voters []string
	for i := 1; i <= n; i++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		cport, err := FreePort()
		if err != nil {
			return nil, err
		}
		nd := &Node{ID: int32(i), ControllerAddr: "127.0.0.1:" + strconv.Itoa(cport)}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		nd.Advertised = addr
		if opts.Advertise != nil {
			if a := opts.Advertise(nd.ID, addr); a != "" {
				nd.Advertised = a
			}
		}
		ndir := filepath.Join(dir, "node-"+strconv.Itoa(i))
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return nil, err
		}
		nd.Process = &Process{Bin: bin, Dir: ndir, Addr: addr}
		c.Nodes = append(c.Nodes, nd)
		voters = append(voters, fmt.Sprintf("%d@%s", i, nd.ControllerAddr))
	}
	rf := strconv.Itoa(min(n, 3))
	for _, nd := range c.Nodes {
		nd.Overrides = append([]string{
			"node.id=" + strconv.Itoa(int(nd.ID)),
			"process.roles=broker,controller",
			"listeners=PLAINTEXT://" + nd.Addr + ",CONTROLLER://" + nd.ControllerAddr,
			"advertised.listeners=PLAINTEXT://" + nd.Advertised,
			"controller.listener.names=CONTROLLER",
			"controller.quorum.voters=" + strings.Join(voters, ","),
			"offsets.topic.replication.factor=" + rf,
			"transaction.state.log.replication.factor=" + rf,
		}, opts.Overrides...)
	}
	if err := c.startAll(); err != nil {
		c.Kill()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitBrokers(ctx, n); err != nil {
		c.Kill()
		return nil, err
	}
	return c, nil
}

// startAll starts every node at once: none serves before the quorum has a
// majority.
func (c *Cluster) startAll() error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, nd := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nd.Start(); err != nil {
				errs[i] = fmt.Errorf("node %d: %w", nd.ID, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Bootstrap returns the nodes' PLAINTEXT listen addresses, comma-separated.
func (c *Cluster) Bootstrap() string {
	return strings.Join(c.Addrs(), ",")
}

// Addrs returns the nodes' PLAINTEXT listen addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, nd := range c.Nodes {
		out[i] = nd.Addr
	}
	return out
}

// Node returns the node with id, or nil.
func (c *Cluster) Node(id int32) *Node {
	for _, nd := range c.Nodes {
		if nd.ID == id {
			return nd
		}
	}
	return nil
}

// Kill sends SIGKILL to every running node and waits for it.
func (c *Cluster) Kill() {
	for _, nd := range c.Nodes {
		if nd.Running() {
			nd.Kill()
		}
	}
}

// Stop stops every running node with SIGTERM (all at once, as a
// controlled shutdown needs the quorum) and waits up to timeout each.
func (c *Cluster) Stop(timeout time.Duration) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, nd := range c.Nodes {
		if !nd.Running() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nd.Stop(timeout); err != nil {
				errs[i] = fmt.Errorf("node %d: %w", nd.ID, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WaitBrokers waits until a running node's Metadata lists n live brokers.
func (c *Cluster) WaitBrokers(ctx context.Context, n int) error {
	var last error
	for {
		for _, nd := range c.Nodes {
			if !nd.Running() {
				continue
			}
			got, err := liveBrokers(ctx, nd.Addr)
			if err == nil && got == n {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("%d live brokers, want %d", got, n)
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %w", errors.Join(ctx.Err(), last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// liveBrokers asks the broker at addr alone for its broker list.
func liveBrokers(ctx context.Context, addr string) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := req.RequestWith(rctx, cl)
	if err != nil {
		return 0, err
	}
	return len(resp.Brokers), nil
}

// ActiveController returns the node whose metadata quorum member leads
// (the active controller), read from the nodes' logs: a running node whose
// last raft state change was to leader. ok is false unless exactly one
// running node claims it.
func (c *Cluster) ActiveController() (id int32, ok bool) {
	leaders := 0
	for _, nd := range c.Nodes {
		if nd.Running() && lastRaftState(nd.Log()) == "leader" {
			id = nd.ID
			leaders++
		}
	}
	return id, leaders == 1
}

// lastRaftState returns the state ("leader", "follower", "candidate") of
// the last "entering … state" line hashicorp/raft wrote to a node's log.
func lastRaftState(log string) string {
	state := ""
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, `msg="entering `)
		if i < 0 {
			continue
		}
		rest := line[i+len(`msg="entering `):]
		if j := strings.Index(rest, " state\""); j > 0 {
			state = rest[:j]
		}
	}
	return state
}

// Running reports whether the process was started and has not exited.
func (p *Process) Running() bool {
	if p.cmd == nil || p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Pause stops the process with SIGSTOP (a long garbage-collection pause or
// a frozen VM, as far as its peers can tell); Resume continues it.
func (p *Process) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume continues a paused process with SIGCONT.
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT) }

func (p *Process) signal(sig syscall.Signal) error {
	if !p.Running() {
		return fmt.Errorf("kafka-server in %s is not running", p.Dir)
	}
	return p.cmd.Process.Signal(sig)
}
