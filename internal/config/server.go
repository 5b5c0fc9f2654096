package config

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Warning is a server.properties entry that is accepted but ignored.
type Warning struct {
	File string
	Line int // 0 for --override entries
	Key  string
	Msg  string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", w.File, w.Line, w.Key, w.Msg)
	}
	return fmt.Sprintf("--override %s: %s", w.Key, w.Msg)
}

// FileError is a server.properties or --override entry that was refused,
// or a whole-configuration rule the combination breaks.
type FileError struct {
	File     string
	Line     int    // line of the entry; 0 for --override and whole-file rules
	Override string // the --override argument at fault, if any
	Err      error  // usually an *Error with Kafka's message
}

func (e *FileError) Error() string {
	switch {
	case e.Override != "":
		return fmt.Sprintf("--override %s: %v", e.Override, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	case e.File != "":
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// ParseServerProperties reads a broker's static configuration the way
// kafka-server-start does: the properties file (skipped when file is ""),
// then each --override "key=value" (a bare "key" sets it to ""), later
// entries replacing earlier ones. Every value must parse and pass its
// validator; the first bad one is reported with its file and line (or
// override) and Kafka's message. Names this registry does not know are
// ignored and returned as warnings, as Kafka logs and ignores them. Then
// node.id and broker.id fill each other, and the combination must pass
// Validate. The result is the Static layer.
func ParseServerProperties(file string, overrides []string) (Layers, []Warning, error) {
	type entry struct {
		value    string
		line     int
		override string
	}
	entries := map[string]entry{}
	var order []string
	put := func(k string, e entry) {
		if _, ok := entries[k]; !ok {
			order = append(order, k)
		}
		entries[k] = e
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return Layers{}, nil, fmt.Errorf("read server properties: %w", err)
		}
		props, err := ParseProperties(f)
		f.Close()
		if err != nil {
			return Layers{}, nil, &FileError{File: file, Err: err}
		}
		for _, p := range props {
			put(p.Key, entry{value: p.Value, line: p.Line})
		}
	}
	for _, o := range overrides {
		k, v, _ := strings.Cut(o, "=")
		put(k, entry{value: v, override: o})
	}
	static := map[string]string{}
	var warnings []Warning
	for _, k := range order {
		e := entries[k]
		d, ok := resolveBroker(k)
		if !ok || d.DynamicOnly && d.Name == k {
			msg := "not a known broker config; ignored"
			if ok {
				msg = "can only be set dynamically (kafka-configs); ignored"
			}
			warnings = append(warnings, Warning{File: file, Line: e.line, Key: k, Msg: msg})
			continue
		}
		if _, err := d.parse(e.value); err != nil {
			if e.override != "" {
				return Layers{}, nil, &FileError{Override: e.override, Err: err}
			}
			return Layers{}, nil, &FileError{File: file, Line: e.line, Err: err}
		}
		static[k] = e.value
	}
	// KafkaConfig.populateSynonyms: either id fills the other.
	nodeID, hasNode := static["node.id"]
	brokerID, hasBroker := static["broker.id"]
	switch {
	case hasNode && !hasBroker:
		static["broker.id"] = nodeID
	case hasBroker && !hasNode:
		static["node.id"] = brokerID
	}
	l := Layers{Static: static}
	if err := l.Validate(); err != nil {
		return Layers{}, nil, &FileError{File: file, Err: err}
	}
	return l, warnings, nil
}

// require is Scala's require(): an IllegalArgumentException whose message
// starts with "requirement failed: ".
func require(ok bool, name, msg string) error {
	if ok {
		return nil
	}
	return configError(name, "requirement failed: %s", msg)
}

// Validate checks the whole effective configuration with the rules Kafka's
// KafkaConfig enforces at construction (start-up, and every dynamic
// change): node.id/broker.id agreement, derived roll and retention times,
// log directories, cleaner memory, replica fetch timeouts, listeners and
// the KRaft role settings. Two set-ups Kafka 3.9 would refuse are this
// project's zero-set-up single node, a combined broker and controller that
// is the only voter of its own quorum: an empty process.roles (Kafka would
// want ZooKeeper), and process.roles=broker,controller with no voters, no
// bootstrap controllers and no controller.listener.names (Kafka would want
// a quorum). Errors unwrap to ErrInvalidConfig.
func (l Layers) Validate() error {
	v := l.view()
	node, brokerID := v.value("node.id").i, v.value("broker.id").i
	nodeSet, brokerSet := l.IsSetAnywhere("node.id"), l.IsSetAnywhere("broker.id")
	if nodeSet && brokerSet && node != brokerID {
		return configError("node.id", "You must set `node.id` to the same value as `broker.id`.")
	}
	roles := v.value("process.roles").l
	seen := map[string]bool{}
	for _, r := range roles {
		if seen[r] {
			return configError("process.roles", "Duplicate role names found in `process.roles`: %s", strings.Join(roles, ", "))
		}
		seen[r] = true
	}
	if len(roles) > 0 && node < 0 && (!brokerSet || brokerID < 0) {
		return configError("node.id", "Missing configuration `node.id` which is required when `process.roles` is defined (i.e. when running in KRaft mode).")
	}
	t := l.DefaultTopic()
	if err := require(t.Int64("segment.ms") >= 1, "log.roll.ms", "log.roll.ms must be greater than or equal to 1"); err != nil {
		return err
	}
	if err := require(t.Int64("segment.jitter.ms") >= 0, "log.roll.jitter.ms", "log.roll.jitter.ms must be greater than or equal to 0"); err != nil {
		return err
	}
	ret := t.Int64("retention.ms")
	if err := require(ret >= 1 || ret == -1, "log.retention.ms", "log.retention.ms must be unlimited (-1) or, greater than or equal to 1"); err != nil {
		return err
	}
	if err := require(len(l.LogDirs()) > 0, "log.dirs", "At least one log directory must be defined via log.dirs or log.dir."); err != nil {
		return err
	}
	threads := v.value("log.cleaner.threads").i
	if threads == 0 {
		return configError("log.cleaner.threads", "/ by zero") // what Kafka's division reports
	}
	if err := require(v.value("log.cleaner.dedupe.buffer.size").i/threads > 1024*1024, "log.cleaner.dedupe.buffer.size",
		"log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."); err != nil {
		return err
	}
	wait := v.value("replica.fetch.wait.max.ms").i
	if err := require(wait <= v.value("replica.socket.timeout.ms").i, "replica.socket.timeout.ms",
		"replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts"); err != nil {
		return err
	}
	if err := require(wait <= v.value("replica.lag.time.max.ms").i, "replica.fetch.wait.max.ms",
		"replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR"); err != nil {
		return err
	}
	if err := l.validateListeners(roles, node); err != nil {
		return err
	}
	qmb := v.value("queued.max.request.bytes").i
	if err := require(qmb <= 0 || qmb >= v.value("socket.request.max.bytes").i, "queued.max.request.bytes",
		"queued.max.request.bytes must be larger or equal to socket.request.max.bytes"); err != nil {
		return err
	}
	if v.value("max.connections.per.ip").i == 0 {
		if err := require(javaTrim(l.Get("max.connections.per.ip.overrides")) != "", "max.connections.per.ip",
			"max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set."); err != nil {
			return err
		}
	}
	idle, delay := v.value("connections.max.idle.ms").i, v.value("connection.failed.authentication.delay.ms").i
	if idle >= 0 {
		if err := require(delay < idle, "connection.failed.authentication.delay.ms", fmt.Sprintf(
			"connection.failed.authentication.delay.ms=%d should always be less than connections.max.idle.ms=%d to prevent failed authentication responses from timing out", delay, idle)); err != nil {
			return err
		}
	}
	return nil
}

// singleNodeQuorum reports whether l describes a combined broker and
// controller with no quorum configured at all: no voters, no bootstrap
// controllers and no controller listener. Such a node is a one-voter
// quorum of itself.
func singleNodeQuorum(l Layers) bool {
	roles := l.ProcessRoles()
	return contains(roles, "broker") && contains(roles, "controller") &&
		len(l.List("controller.quorum.voters")) == 0 &&
		len(l.List("controller.quorum.bootstrap.servers")) == 0 &&
		len(l.ControllerListenerNames()) == 0
}

// IsSetAnywhere reports whether name has an entry in a usable layer
// (Kafka's originals.containsKey on the merged configuration).
func (l Layers) IsSetAnywhere(name string) bool {
	_, _, ok := l.view().raw(name)
	return ok
}

func (l Layers) validateListeners(roles []string, node int64) error {
	if l.IsSetAnywhere("inter.broker.listener.name") && l.IsSetAnywhere("security.inter.broker.protocol") {
		return configError("inter.broker.listener.name", "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.")
	}
	listeners, err := l.Listeners()
	if err != nil {
		return err
	}
	advertised, err := l.AdvertisedListeners()
	if err != nil {
		return err
	}
	protoMap, err := l.SecurityProtocolMap()
	if err != nil {
		return err
	}
	controllerNames := l.ControllerListenerNames()
	isController := func(name string) bool { return contains(controllerNames, name) }
	hasRole := func(r string) bool { return contains(roles, r) }
	listenerNames := map[string]bool{}
	for _, e := range listeners {
		listenerNames[e.Listener] = true
	}
	var brokerAdvertised, controllerAdvertised []Endpoint
	for _, e := range advertised {
		if isController(e.Listener) {
			controllerAdvertised = append(controllerAdvertised, e)
		} else {
			brokerAdvertised = append(brokerAdvertised, e)
		}
	}
	// Controllers fall back to their listeners when not advertised.
	for _, n := range controllerNames {
		found := false
		for _, e := range controllerAdvertised {
			found = found || e.Listener == n
		}
		if !found {
			for _, e := range listeners {
				if e.Listener == n {
					controllerAdvertised = append(controllerAdvertised, e)
				}
			}
		}
	}
	if len(roles) > 0 {
		voters, err := parseVoters(l.List("controller.quorum.voters"))
		if err != nil {
			return err
		}
		voterIDs := map[int64]bool{}
		var idList []string
		for _, vt := range voters {
			if !voterIDs[int64(vt.ID)] {
				idList = append(idList, strconv.Itoa(int(vt.ID)))
			}
			voterIDs[int64(vt.ID)] = true
		}
		sort.Slice(idList, func(i, j int) bool { a, _ := strconv.Atoi(idList[i]); b, _ := strconv.Atoi(idList[j]); return a < b })
		voterSet := "Set(" + strings.Join(idList, ", ") + ")"
		switch {
		case singleNodeQuorum(l):
			// Kafka would want voters and a controller listener; this node
			// is its own only voter instead (see Validate).
		case len(voters) == 0 && len(l.List("controller.quorum.bootstrap.servers")) == 0:
			return configError("controller.quorum.voters", "If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers.")
		case hasRole("controller"):
			if err := require(len(voters) == 0 || voterIDs[node], "controller.quorum.voters", fmt.Sprintf(
				"If process.roles contains the 'controller' role, the node id %d must be included in the set of voters controller.quorum.voters=%s", node, voterSet)); err != nil {
				return err
			}
			if err := require(len(controllerAdvertised) > 0, "controller.listener.names",
				"controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role"); err != nil {
				return err
			}
			for _, n := range controllerNames {
				if err := require(listenerNames[n], "controller.listener.names",
					"controller.listener.names must only contain values appearing in the 'listeners' configuration when running the KRaft controller role"); err != nil {
					return err
				}
			}
			if !hasRole("broker") {
				if err := require(len(controllerAdvertised) == len(listeners), "listeners",
					"The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller"); err != nil {
					return err
				}
			}
		default:
			if err := require(!voterIDs[node], "controller.quorum.voters", fmt.Sprintf(
				"If process.roles contains just the 'broker' role, the node id %d must not be included in the set of voters controller.quorum.voters=%s", node, voterSet)); err != nil {
				return err
			}
			if err := require(len(controllerNames) > 0, "controller.listener.names",
				"controller.listener.names must contain at least one value when running KRaft with just the broker role"); err != nil {
				return err
			}
			for _, n := range controllerNames {
				if err := require(!listenerNames[n], "controller.listener.names",
					"controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role"); err != nil {
					return err
				}
				if _, ok := protoMap[n]; !ok {
					return configError("controller.listener.names", "Controller listener with name %s defined in controller.listener.names not found in listener.security.protocol.map  (an explicit security mapping for each controller listener is required if listener.security.protocol.map is non-empty, or if there are security protocols other than PLAINTEXT in use)", n)
				}
			}
		}
	}
	if len(roles) == 0 || hasRole("broker") {
		msg := "There must be at least one broker advertised listener."
		if hasRole("broker") {
			msg += " Perhaps all listeners appear in controller.listener.names?"
		}
		if err := require(len(brokerAdvertised) > 0, "advertised.listeners", msg); err != nil {
			return err
		}
		ibl, err := l.InterBrokerListenerName()
		if err != nil {
			return err
		}
		var names []string
		found := false
		for _, e := range brokerAdvertised {
			names = append(names, e.Listener)
			found = found || e.Listener == ibl
		}
		if err := require(found, "inter.broker.listener.name", "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are "+strings.Join(names, ",")); err != nil {
			return err
		}
		for _, e := range brokerAdvertised {
			if !listenerNames[e.Listener] {
				var all []string
				for _, x := range listeners {
					all = append(all, x.Listener)
				}
				return require(false, "advertised.listeners", "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found "+
					strings.Join(names, ",")+". The valid options based on the current configuration are "+strings.Join(all, ","))
			}
		}
	}
	for _, e := range append(brokerAdvertised, controllerAdvertised...) {
		if err := require(e.Host != "0.0.0.0", "advertised.listeners", "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address."); err != nil {
			return err
		}
	}
	return nil
}

// Endpoint is one parsed listener.
type Endpoint struct {
	Listener         string // upper-cased name, e.g. PLAINTEXT
	Host             string // "" binds every interface
	Port             int
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
}

var securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}

// csvList is Kafka's Csv.parseCsvList: split on commas and the whitespace
// around them, dropping empty items.
func csvList(s string) []string {
	var out []string
	for _, p := range splitList(s) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// SecurityProtocolMap returns listener.security.protocol.map as listener
// name → security protocol. In KRaft mode, when the map is not set at all
// and no listener uses TLS or SASL, controller listeners map to PLAINTEXT,
// as in Kafka.
func (l Layers) SecurityProtocolMap() (map[string]string, error) {
	const name = "listener.security.protocol.map"
	out := map[string]string{}
	raw := l.Get(name)
	if raw != "" {
		for _, item := range splitList(raw) {
			i := strings.LastIndex(item, ":")
			if i < 0 {
				return nil, configError(name, "Error parsing configuration property '%s': no ':' in %q", name, item)
			}
			listener := strings.ToUpper(javaTrim(item[:i]))
			proto := strings.ToUpper(javaTrim(item[i+1:]))
			if !contains(securityProtocols, proto) {
				return nil, configError(name, "Invalid security protocol `%s` defined in %s", javaTrim(item[i+1:]), name)
			}
			out[listener] = proto
		}
	}
	if len(l.ProcessRoles()) > 0 && !l.IsSetAnywhere(name) {
		secure := func(n string) bool { return n == "SSL" || n == "SASL_SSL" || n == "SASL_PLAINTEXT" }
		uses := false
		for _, n := range l.ControllerListenerNames() {
			uses = uses || secure(n)
		}
		for _, item := range csvList(javaTrim(l.Get("listeners"))) {
			if i := strings.Index(item, ":"); i >= 0 {
				uses = uses || secure(strings.ToUpper(item[:i]))
			}
		}
		if !uses {
			for _, n := range l.ControllerListenerNames() {
				if n != "PLAINTEXT" {
					out[n] = "PLAINTEXT"
				}
			}
		}
	}
	return out, nil
}

var endpointPattern = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

// ParseEndpoints parses a listeners value ("NAME://host:port,...") with
// Kafka's rules, taking each listener's security protocol from protoMap
// (listener name → protocol). With distinctPorts, two listeners may share
// a port only when one has an IPv4 and the other an IPv6 address (port 0
// is exempt), as for listeners; advertised.listeners skips that check.
func ParseEndpoints(listeners string, protoMap map[string]string, distinctPorts bool) ([]Endpoint, error) {
	fail := func(format string, args ...any) error {
		return configError("listeners", "Error creating broker listeners from '%s': %s", listeners, fmt.Sprintf(format, args...))
	}
	var out []Endpoint
	for _, item := range csvList(javaTrim(listeners)) {
		m := endpointPattern.FindStringSubmatch(item)
		if m == nil {
			return nil, fail("Unable to parse %s to a broker endpoint", item)
		}
		name := strings.ToUpper(m[1])
		port, err := strconv.ParseInt(m[3], 10, 32)
		if err != nil {
			return nil, fail("For input string: \"%s\"", m[3])
		}
		proto, ok := protoMap[name]
		if !ok {
			return nil, fail("No security protocol defined for listener %s", name)
		}
		out = append(out, Endpoint{Listener: name, Host: m[2], Port: int(port), SecurityProtocol: proto})
	}
	seen := map[string]bool{}
	for _, e := range out {
		if err := require(!seen[e.Listener], "listeners", "Each listener must have a different name, listeners: "+listeners); err != nil {
			return nil, err
		}
		seen[e.Listener] = true
	}
	if !distinctPorts {
		return out, nil
	}
	byPort := map[int][]Endpoint{}
	var ports []int
	for _, e := range out {
		if e.Port == 0 {
			continue
		}
		if _, ok := byPort[e.Port]; !ok {
			ports = append(ports, e.Port)
		}
		byPort[e.Port] = append(byPort[e.Port], e)
	}
	for _, port := range ports {
		eps := byPort[port]
		if len(eps) < 2 {
			continue
		}
		var withIP, withoutIP []netip.Addr
		for _, e := range eps {
			if a, err := netip.ParseAddr(e.Host); err == nil {
				withIP = append(withIP, a)
			} else {
				withoutIP = append(withoutIP, netip.Addr{})
			}
		}
		if err := require(len(withoutIP) < 2, "listeners", "Each listener must have a different port, listeners: "+listeners); err != nil {
			return nil, err
		}
		switch {
		case len(withIP) == 2:
			msg := fmt.Sprintf("If you have two listeners on the same port then one needs to be IPv4 and the other IPv6, listeners: %s, port: %d", listeners, port)
			if withIP[0].Is4() == withIP[1].Is4() {
				return nil, require(false, "listeners", msg)
			}
			if len(withoutIP) > 0 {
				return nil, configError("listeners", "%s", msg)
			}
		case len(withIP) > 2:
			return nil, configError("listeners", "Each listener must have a different port unless exactly one listener has an IPv4 address and the other IPv6 address, listeners: %s, port: %d", listeners, port)
		}
	}
	return out, nil
}

// Listeners parses the listeners config.
func (l Layers) Listeners() ([]Endpoint, error) {
	m, err := l.SecurityProtocolMap()
	if err != nil {
		return nil, err
	}
	return ParseEndpoints(l.Get("listeners"), m, true)
}

// AdvertisedListeners parses advertised.listeners, or the listeners when
// it is unset.
func (l Layers) AdvertisedListeners() ([]Endpoint, error) {
	if !l.IsSet("advertised.listeners") {
		return l.Listeners()
	}
	m, err := l.SecurityProtocolMap()
	if err != nil {
		return nil, err
	}
	return ParseEndpoints(l.Get("advertised.listeners"), m, false)
}

// InterBrokerListenerName is inter.broker.listener.name (upper-cased), or
// else the listener named after security.inter.broker.protocol.
func (l Layers) InterBrokerListenerName() (string, error) {
	if !l.IsSet("inter.broker.listener.name") {
		return l.Get("security.inter.broker.protocol"), nil
	}
	name := strings.ToUpper(l.Get("inter.broker.listener.name"))
	m, err := l.SecurityProtocolMap()
	if err != nil {
		return "", err
	}
	if _, ok := m[name]; !ok {
		return "", configError("inter.broker.listener.name", "Listener with name %s defined in inter.broker.listener.name not found in listener.security.protocol.map.", name)
	}
	return name, nil
}

// ControllerListenerNames is controller.listener.names as a list.
func (l Layers) ControllerListenerNames() []string {
	s := l.Get("controller.listener.names")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ProcessRoles is process.roles ("broker", "controller"); empty for this
// project's zero-set-up single node.
func (l Layers) ProcessRoles() []string { return l.List("process.roles") }

// NodeID is node.id (which broker.id mirrors); -1 when neither is set.
func (l Layers) NodeID() int32 {
	if l.IsSetAnywhere("node.id") {
		return l.Int32("node.id")
	}
	return l.Int32("broker.id")
}

// LogDirs is log.dirs, or else log.dir, split on commas.
func (l Layers) LogDirs() []string {
	if l.IsSet("log.dirs") {
		return csvList(l.Get("log.dirs"))
	}
	return csvList(l.Get("log.dir"))
}

// MetadataLogDir is metadata.log.dir, or else the first log directory.
func (l Layers) MetadataLogDir() string {
	if l.IsSet("metadata.log.dir") {
		return l.Get("metadata.log.dir")
	}
	if dirs := l.LogDirs(); len(dirs) > 0 {
		return dirs[0]
	}
	return ""
}

// Voters parses controller.quorum.voters.
func (l Layers) Voters() ([]Voter, error) { return parseVoters(l.List("controller.quorum.voters")) }
