// Package nodelabel reads one label of the sensor's own Node from the
// Kubernetes API, with the pod's service account. It is how a sensor learns
// that its node is labelled runwatch.io/sensor=disabled and must stand
// down. It speaks plain HTTPS to the API server rather than pulling a
// Kubernetes client library into the node agent for one GET.
package nodelabel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DisabledLabel is the label, and DisabledValue its value, that turn the
// sensor off on a node.
const (
	DisabledLabel = "runwatch.io/sensor"
	DisabledValue = "disabled"
)

// Client reads Node objects.
type Client struct {
	base      string
	tokenFile string
	http      *http.Client
}

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// InCluster builds a client from the pod's environment; ok is false
// outside a pod.
func InCluster() (*Client, bool, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, false, nil
	}
	ca, err := os.ReadFile(saDir + "/ca.crt")
	if err != nil {
		return nil, true, fmt.Errorf("read service account CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, true, fmt.Errorf("service account CA holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return New("https://"+net.JoinHostPort(host, port), saDir+"/token", &http.Client{Transport: tr, Timeout: 15 * time.Second}), true, nil
}

// New reads from the API server at base with the bearer token in
// tokenFile (re-read on every call: projected tokens rotate).
func New(base, tokenFile string, hc *http.Client) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), tokenFile: tokenFile, http: hc}
}

// Labels returns the labels of the named node.
func (c *Client) Labels(ctx context.Context, node string) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/nodes/"+url.PathEscape(node), nil)
	if err != nil {
		return nil, err
	}
	if c.tokenFile != "" {
		tok, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read service account token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", node, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", node, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get node %s: %s: %s", node, resp.Status, strings.TrimSpace(string(body[:min(len(body), 300)])))
	}
	var n struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("decode node %s: %w", node, err)
	}
	return n.Metadata.Labels, nil
}

// Disabled says whether the node's labels turn the sensor off. It is the
// one rule for it: the sensor stands down by it and the controller reports
// sensor_disabled by it. Like the DaemonSet's node affinity (NotIn
// ["disabled"]), it compares exactly: label values are case-sensitive.
func Disabled(labels map[string]string) bool {
	return labels[DisabledLabel] == DisabledValue
}
