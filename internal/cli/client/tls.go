package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// TLS is the TLS side of a Config.
type TLS struct {
	Config *tls.Config
}

// newTLS builds the TLS settings from ssl.* properties. Only PEM material
// can be read; Java key stores are refused with a way out.
func newTLS(props *cli.Properties) (*TLS, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}

	roots, err := trustStore(props)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = roots

	cert, err := keyStore(props)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}

	if err := tlsVersions(props, cfg); err != nil {
		return nil, err
	}

	// An empty ssl.endpoint.identification.algorithm turns off host name
	// verification; the certificate chain is still verified.
	if alg, ok := props.Get("ssl.endpoint.identification.algorithm"); ok && strings.TrimSpace(alg) == "" {
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	} else if ok && !strings.EqualFold(strings.TrimSpace(alg), "https") {
		return nil, &ConfigError{Key: "ssl.endpoint.identification.algorithm", Value: alg, Reason: "use https or leave it empty"}
	}
	return &TLS{Config: cfg}, nil
}

func storeType(props *cli.Properties, key string) (string, bool) {
	v, ok := props.Get(key)
	return strings.ToUpper(strings.TrimSpace(v)), ok
}

func refuseStore(key, typ string) error {
	return &UnsupportedError{fmt.Sprintf("%s=%s is not supported: convert the store to PEM (e.g. keytool -exportcert -rfc, or openssl pkcs12 -nodes) and set %s=PEM", key, typ, key)}
}

func trustStore(props *cli.Properties) (*x509.CertPool, error) {
	typ, explicit := storeType(props, "ssl.truststore.type")
	if explicit && typ != "PEM" {
		return nil, refuseStore("ssl.truststore.type", typ)
	}
	var data []byte
	source := ""
	if v, ok := props.Get("ssl.truststore.certificates"); ok {
		data, source = []byte(v), "ssl.truststore.certificates"
	} else if path, ok := firstOf(props, "ssl.truststore.location", "ssl.ca.location"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read trust store %s: %w", path, err)
		}
		data, source = b, path
	} else {
		return nil, nil // the system's roots
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, refuseStore("ssl.truststore.type", "JKS")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no PEM certificates in %s", source)
	}
	return pool, nil
}

func keyStore(props *cli.Properties) (*tls.Certificate, error) {
	typ, explicit := storeType(props, "ssl.keystore.type")
	if explicit && typ != "PEM" {
		return nil, refuseStore("ssl.keystore.type", typ)
	}
	var certPEM, keyPEM []byte
	switch {
	case props.Has("ssl.keystore.certificate.chain") || props.Has("ssl.keystore.key"):
		certPEM = []byte(props.Value("ssl.keystore.certificate.chain", ""))
		keyPEM = []byte(props.Value("ssl.keystore.key", ""))
	case props.Has("ssl.keystore.location"):
		path := props.Value("ssl.keystore.location", "")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read key store %s: %w", path, err)
		}
		if !bytes.Contains(b, []byte("-----BEGIN")) {
			return nil, refuseStore("ssl.keystore.type", "JKS")
		}
		certPEM, keyPEM = b, b
	case props.Has("ssl.certificate.location"):
		c, err := os.ReadFile(props.Value("ssl.certificate.location", ""))
		if err != nil {
			return nil, fmt.Errorf("read certificate: %w", err)
		}
		k, err := os.ReadFile(props.Value("ssl.key.location", props.Value("ssl.certificate.location", "")))
		if err != nil {
			return nil, fmt.Errorf("read private key: %w", err)
		}
		certPEM, keyPEM = c, k
	default:
		return nil, nil
	}
	if encryptedPEM(keyPEM) {
		return nil, &UnsupportedError{"encrypted private keys are not supported: decrypt the key (openssl pkcs8 -in key.pem -out plain.pem) and drop ssl.key.password"}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	return &cert, nil
}

func encryptedPEM(data []byte) bool {
	for len(data) > 0 {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return true
		}
	}
	return false
}

func tlsVersions(props *cli.Properties, cfg *tls.Config) error {
	list, ok := firstOf(props, "ssl.enabled.protocols", "ssl.protocol")
	if !ok {
		return nil
	}
	versions := map[string]uint16{"TLSV1.2": tls.VersionTLS12, "TLSV1.3": tls.VersionTLS13, "TLS": tls.VersionTLS12}
	var lo uint16
	for _, p := range strings.Split(list, ",") {
		v, ok := versions[strings.ToUpper(strings.TrimSpace(p))]
		if !ok {
			return &UnsupportedError{fmt.Sprintf("TLS protocol %q is not supported: use TLSv1.2 or TLSv1.3", strings.TrimSpace(p))}
		}
		if lo == 0 || v < lo {
			lo = v
		}
	}
	cfg.MinVersion = lo
	return nil
}

func firstOf(props *cli.Properties, keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := props.Get(k); ok && strings.TrimSpace(v) != "" {
			return v, true
		}
	}
	return "", false
}
