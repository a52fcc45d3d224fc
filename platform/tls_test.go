package platform_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// testCA issues certificates for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "runwatch test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns PEM certificate and key files' contents.
func (ca *testCA) issue(t *testing.T, serial int64, server bool) (certPEM, keyPEM []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "runwatch-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

func write(t *testing.T, path string, b []byte) {
	// Write then rename, as certificate managers do, so a reader never
	// sees half a file.
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// TestTLSReloadAndAgentMTLS serves TLS, requires agents' client
// certificates, and replaces the server certificate while running.
func TestTLSReloadAndAgentMTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.crt")
	c1, k1 := ca.issue(t, 100, true)
	write(t, certFile, c1)
	write(t, keyFile, k1)
	write(t, caFile, ca.pem)
	in := platformtest.StartWith(t, "sqlite", func(c *platform.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.ClientCAFile, c.RequireAgentClientCert = certFile, keyFile, caFile, true
	})
	if !strings.HasPrefix(in.URL, "https://") {
		t.Fatalf("URL = %s", in.URL)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	client := func(certs ...tls.Certificate) *http.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}, ForceAttemptHTTP2: true}
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetHTTP2(true)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	serial := func() int64 {
		res, err := client().Get(in.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.ProtoMajor != 2 {
			t.Errorf("served %s over TLS, want HTTP/2", res.Proto)
		}
		return res.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 100 {
		t.Fatalf("serial %d, want 100", s)
	}

	ctx := context.Background()
	token := in.CreateTokenTLS(t, "prod", client())
	register := func(hc *http.Client) error {
		s := runwatchv1connect.NewSensorServiceClient(hc, in.URL, connect.WithGRPC(), connect.WithInterceptors(bearerFor(token)))
		_, err := s.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "node-1"}))
		return err
	}
	if err := register(client()); connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("agent without a client certificate: %v", err)
	}
	cc, ck := ca.issue(t, 200, false)
	pair, err := tls.X509KeyPair(cc, ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := register(client(pair)); err != nil {
		t.Errorf("agent with a client certificate: %v", err)
	}
	other := newCA(t)
	oc, ok := other.issue(t, 300, false)
	otherPair, _ := tls.X509KeyPair(oc, ok)
	if err := register(client(otherPair)); err == nil {
		t.Error("an agent with a certificate of another CA was let in")
	}
	// People need no client certificate.
	if r, err := client().Post(in.URL+"/runwatch.v1.InventoryService/GetOverview", "application/json", strings.NewReader("{}")); err != nil || r.StatusCode != 401 {
		t.Errorf("query without credentials over TLS: %v %v", r, err)
	}

	c2, k2 := ca.issue(t, 101, true)
	write(t, keyFile, k2)
	write(t, certFile, c2)
	deadline := time.Now().Add(10 * time.Second)
	for serial() != 101 {
		if time.Now().After(deadline) {
			t.Fatal("the new certificate was not served within 10s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func bearerFor(token string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	})
}
