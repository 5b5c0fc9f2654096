package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// testPKI is a CA and a server certificate for 127.0.0.1 signed by it,
// written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	server                    tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "broker"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	p := testPKI{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "cert.pem"),
		keyFile:  filepath.Join(dir, "key.pem"),
	}
	for name, data := range map[string][]byte{
		p.caFile:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		p.certFile: certPEM,
		p.keyFile:  keyPEM,
	} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.server, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func startCluster(t *testing.T, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func connect(t *testing.T, addr string, kv ...string) error {
	t.Helper()
	kv = append([]string{"default.api.timeout.ms", "3000", "request.timeout.ms", "2000"}, kv...)
	c, err := New(addr, props(kv...), Admin)
	if err != nil {
		return err
	}
	cl, err := Connect(context.Background(), c, c.Sarama(), "listTopics")
	if err != nil {
		return err
	}
	defer cl.Close()
	if _, err := cl.Topics(); err != nil {
		return err
	}
	return nil
}

func TestConnectTLS(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	addr := startCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{pki.server}}))
	caPEM, err := os.ReadFile(pki.caFile)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(pki.certFile)
	keyPEM, _ := os.ReadFile(pki.keyFile)
	bundle := filepath.Join(t.TempDir(), "keystore.pem")
	if err := os.WriteFile(bundle, append(append([]byte{}, keyPEM...), certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kv      []string
		wantErr string
	}{
		{"pem truststore file", []string{"security.protocol", "SSL", "ssl.truststore.type", "PEM", "ssl.truststore.location", pki.caFile}, ""},
		{"pem truststore inline", []string{"security.protocol", "SSL", "ssl.truststore.type", "PEM", "ssl.truststore.certificates", string(caPEM)}, ""},
		{"librdkafka ca location", []string{"security.protocol", "SSL", "ssl.ca.location", pki.caFile}, ""},
		{"pem keystore", []string{"security.protocol", "SSL", "ssl.truststore.location", pki.caFile, "ssl.keystore.type", "PEM", "ssl.keystore.location", bundle}, ""},
		{"no hostname check", []string{"security.protocol", "SSL", "ssl.truststore.location", pki.caFile, "ssl.endpoint.identification.algorithm", ""}, ""},
		{"unknown ca fails fast", []string{"security.protocol", "SSL"}, "certificate"},
		{"plaintext to tls listener times out", []string{"default.api.timeout.ms", "500"}, "Timed out waiting for a node assignment. Call: listTopics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := connect(t, addr, tt.kv...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("connect error = %v, want %q", err, tt.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failing took %v", d)
			}
		})
	}
}

func TestConnectSASL(t *testing.T) {
	t.Parallel()
	addr := startCluster(t, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", "alice-secret"),
		kfake.Superuser("SCRAM-SHA-256", "bob", "bob-secret"),
		kfake.Superuser("SCRAM-SHA-512", "carol", "carol-secret"))
	jaas := func(module, user, pass string) string {
		return "org.apache.kafka.common.security." + module + " required username=\"" + user + "\" password=\"" + pass + "\";"
	}
	tests := []struct {
		name    string
		kv      []string
		wantErr string
	}{
		{"plain", []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas("plain.PlainLoginModule", "alice", "alice-secret")}, ""},
		{"scram-sha-256", []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaas("scram.ScramLoginModule", "bob", "bob-secret")}, ""},
		{"scram-sha-512", []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.username", "carol", "sasl.password", "carol-secret"}, ""},
		// kfake closes the connection on bad credentials where Kafka answers
		// SASL_AUTHENTICATION_FAILED; a Java client then retries until its
		// API timeout, and so do we.
		{"plain wrong password", []string{"default.api.timeout.ms", "300", "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas("plain.PlainLoginModule", "alice", "nope")}, "Timed out waiting for a node assignment"},
		{"scram wrong password", []string{"default.api.timeout.ms", "300", "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaas("scram.ScramLoginModule", "bob", "nope")}, "Timed out waiting for a node assignment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := connect(t, addr, tt.kv...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("connect error = %v (%v), want %q", err, errors.Unwrap(err), tt.wantErr)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("authentication failure took %v; want it reported at once", d)
			}
		})
	}
}

func TestConnectNoBroker(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	err = connect(t, addr, "default.api.timeout.ms", "300")
	var nt *NodeTimeoutError
	if !errors.As(err, &nt) {
		t.Fatalf("error = %v, want NodeTimeoutError", err)
	}
	if got, want := err.Error(), "Timed out waiting for a node assignment. Call: listTopics"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("took %v, want about the 300ms api timeout", d)
	}
}
