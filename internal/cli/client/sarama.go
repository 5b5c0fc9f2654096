package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Sarama returns a sarama configuration for c. The protocol version is set
// high (sarama.V3_9_0_0); sarama then lowers each request to what the broker
// advertises in ApiVersions.
func (c *Config) Sarama() *sarama.Config {
	sc := sarama.NewConfig()
	sc.Version = sarama.V3_9_0_0
	sc.ClientID = c.ClientID
	if sc.ClientID == "" {
		switch c.Role {
		case Producer:
			sc.ClientID = "console-producer"
		case Consumer:
			sc.ClientID = "console-consumer"
		default:
			sc.ClientID = "adminclient-1"
		}
	}
	// Java clients give up on a connection attempt after
	// socket.connection.setup.timeout.ms (10s) and on a request after
	// request.timeout.ms.
	sc.Net.DialTimeout = min(10*time.Second, c.RequestTimeout)
	if sc.Net.DialTimeout <= 0 {
		sc.Net.DialTimeout = 10 * time.Second
	}
	sc.Net.ReadTimeout = c.RequestTimeout
	sc.Net.WriteTimeout = c.RequestTimeout
	sc.Admin.Timeout = c.RequestTimeout
	sc.Admin.Retry.Backoff = c.RetryBackoff
	sc.Metadata.Retry.Backoff = c.RetryBackoff
	sc.Metadata.RefreshFrequency = c.MetadataMaxAge
	sc.Metadata.Full = c.Role == Admin
	sc.Metadata.Timeout = c.APITimeout
	sc.Consumer.Retry.Backoff = c.RetryBackoff

	if c.TLS != nil {
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = c.TLS.Config
	}
	if c.SASL != nil {
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.Version = sarama.SASLHandshakeV1
		sc.Net.SASL.User = c.SASL.User
		sc.Net.SASL.Password = c.SASL.Password
		switch c.SASL.Mechanism {
		case MechanismPlain:
			sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case MechanismScramSHA256:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{sha512: false} }
		case MechanismScramSHA512:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{sha512: true} }
		}
	}
	return sc
}

// scramClient adapts franz-go's SCRAM implementation to sarama's SCRAMClient
// interface: the first Step sends client-first, the next ones answer the
// server's messages until the server signature is verified.
type scramClient struct {
	sha512 bool
	mech   sasl.Mechanism
	sess   sasl.Session
	done   bool
}

func (s *scramClient) Begin(user, password, authzID string) error {
	a := scram.Auth{User: user, Pass: password, Zid: authzID}
	if s.sha512 {
		s.mech = a.AsSha512Mechanism()
	} else {
		s.mech = a.AsSha256Mechanism()
	}
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) {
	if s.sess == nil {
		sess, first, err := s.mech.Authenticate(context.Background(), "")
		if err != nil {
			return "", err
		}
		s.sess = sess
		return string(first), nil
	}
	done, resp, err := s.sess.Challenge([]byte(challenge))
	if err != nil {
		return "", err
	}
	s.done = done
	return string(resp), nil
}

func (s *scramClient) Done() bool { return s.done }

// NodeTimeoutError is Kafka's TimeoutException for a call that never found
// a broker to talk to.
type NodeTimeoutError struct {
	Call string
	Err  error // the last connection error, if any
}

func (e *NodeTimeoutError) Error() string {
	return "Timed out waiting for a node assignment. Call: " + e.Call
}

func (e *NodeTimeoutError) Unwrap() error { return e.Err }

// Connect opens a sarama client, retrying unreachable bootstrap servers until
// ctx ends or c.APITimeout passes, as Kafka's clients keep retrying until
// their API timeout. It then returns a *NodeTimeoutError naming call.
// Authentication and TLS verification failures are returned at once.
func Connect(ctx context.Context, c *Config, sc *sarama.Config, call string) (sarama.Client, error) {
	if c.APITimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.APITimeout)
		defer cancel()
	}
	backoff := max(c.RetryBackoff, 10*time.Millisecond)
	var last error
	for {
		attempt := *sc
		if dl, ok := ctx.Deadline(); ok {
			remaining := time.Until(dl)
			if remaining <= 0 {
				return nil, &NodeTimeoutError{Call: call, Err: last}
			}
			attempt.Net.DialTimeout = min(attempt.Net.DialTimeout, remaining)
			attempt.Net.ReadTimeout = min(attempt.Net.ReadTimeout, remaining)
			attempt.Metadata.Timeout = remaining
		}
		attempt.Metadata.Retry.Max = 0
		cl, err := sarama.NewClient(c.Bootstrap, &attempt)
		if err == nil && !attempt.Metadata.Full {
			// Without a full metadata fetch sarama has not talked to any
			// broker yet; make sure one answers.
			if err = probe(cl); err != nil {
				_ = cl.Close()
			}
		}
		if err == nil {
			return cl, nil
		}
		if fatalConnectError(err) {
			return nil, err
		}
		last = err
		if c.OnRetry != nil {
			c.OnRetry(err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &NodeTimeoutError{Call: call, Err: last}
			}
			return nil, context.Cause(ctx)
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// probe connects to one broker of cl.
func probe(cl sarama.Client) error {
	b := cl.LeastLoadedBroker()
	if b == nil {
		return sarama.ErrOutOfBrokers
	}
	if err := b.Open(cl.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return err
	}
	ok, err := b.Connected()
	if err != nil {
		return err
	}
	if !ok {
		return sarama.ErrNotConnected
	}
	return nil
}

// fatalConnectError tells errors that retrying cannot fix.
func fatalConnectError(err error) bool {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed),
		errors.Is(err, sarama.ErrIllegalSASLState),
		errors.Is(err, sarama.ErrUnsupportedSASLMechanism),
		errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &recordErr):
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return true
	}
	return false
}
