// Package artifactory is the registry adapter for JFrog Artifactory,
// through its documented REST API: it finds an image by its manifest
// digest (AQL over the sha256 of manifest.json / list.manifest.json, the
// way Artifactory stores Docker and OCI images) and a file by its sha256
// (checksum search), and returns the repository, path and the properties
// Artifactory keeps on the manifest (docker.repoName, docker.manifest,
// docker.manifest.digest, sha256).
//
// Authentication is an access token (Authorization: Bearer), or basic
// credentials. Answers are bounded in size and time.
package artifactory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

// Config is one Artifactory integration.
type Config struct {
	Name string
	// URL is the platform URL, e.g. "https://acme.jfrog.io" (the
	// /artifactory context is added) or one ending in /artifactory.
	URL string
	// Token is an access token; Username and Password basic credentials.
	Token, Username, Password string
	Timeout                   time.Duration
	Transport                 http.RoundTripper
}

// Client talks to one Artifactory.
type Client struct {
	cfg  Config
	base string // .../artifactory
	http *http.Client
}

var _ ports.RegistryLocator = (*Client)(nil)

// MaxResponseBytes bounds an answer.
const MaxResponseBytes = 8 << 20

// ErrDenied: the credentials were refused.
var ErrDenied = errors.New("artifactory refused the credentials")

// New returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("artifactory %s: URL %q must be http(s)://host[/path]", cfg.Name, cfg.URL)
	}
	if !strings.HasSuffix(u.Path, "/artifactory") {
		u.Path += "/artifactory"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{cfg: cfg, base: u.String(), http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

// Host is the host of the Artifactory URL: Docker references naming it
// (acme.jfrog.io/docker-local/app:1) are pulled from it.
func (c *Client) Host() string {
	u, _ := url.Parse(c.base)
	return u.Host
}

// Serves says whether images of a reference are pulled from this
// Artifactory (its host, or a subdomain per repository: docker-local.acme.jfrog.io).
func (c *Client) Serves(ref artifact.Reference) bool {
	h := c.Host()
	return ref.Registry == h || strings.HasSuffix(ref.Registry, "."+h)
}

func (c *Client) do(ctx context.Context, method, p, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "runwatch-platform")
	switch {
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	case c.cfg.Username != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("artifactory %s: %s %s: %w", c.cfg.Name, method, p, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("artifactory %s: read answer: %w", c.cfg.Name, err)
	}
	if len(data) > MaxResponseBytes {
		return fmt.Errorf("artifactory %s: answer larger than %d bytes", c.cfg.Name, MaxResponseBytes)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("artifactory %s: %w (HTTP %d)", c.cfg.Name, ErrDenied, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fmt.Errorf("artifactory %s: %s %s: HTTP %d: %s", c.cfg.Name, method, p, resp.StatusCode, errorText(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("artifactory %s: %s %s: malformed answer: %w", c.cfg.Name, method, p, err)
	}
	return nil
}

// errorText extracts Artifactory's {"errors":[{"status":..,"message":..}]}.
func errorText(data []byte) string {
	var e struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &e) == nil && len(e.Errors) > 0 {
		return e.Errors[0].Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Item is a file Artifactory holds.
type Item struct {
	Repo       string     `json:"repo"`
	Path       string     `json:"path"`
	Name       string     `json:"name"`
	SHA256     string     `json:"sha256"`
	Size       int64      `json:"size"`
	Properties []Property `json:"properties"`
}

// Property is a key and value on an item.
type Property struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FullPath is repo/path/name.
func (i Item) FullPath() string { return path.Join(i.Repo, i.Path, i.Name) }

// Prop returns a property's value.
func (i Item) Prop(key string) string {
	for _, p := range i.Properties {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FindBySHA256 runs the AQL query for items of a sha256 (optionally only
// of the given names) with their properties.
func (c *Client) FindBySHA256(ctx context.Context, sha256 string, names ...string) ([]Item, error) {
	if !hex64.MatchString(sha256) {
		return nil, fmt.Errorf("artifactory %s: %q is not a sha256", c.cfg.Name, sha256)
	}
	crit := map[string]any{"sha256": sha256}
	if len(names) > 0 {
		var or []map[string]string
		for _, n := range names {
			or = append(or, map[string]string{"name": n})
		}
		crit["$or"] = or
	}
	q, _ := json.Marshal(crit)
	aql := fmt.Sprintf(`items.find(%s).include("repo","path","name","sha256","size","property.key","property.value")`, q)
	var res struct {
		Results []Item `json:"results"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/search/aql", "text/plain", []byte(aql), &res); err != nil {
		return nil, err
	}
	return res.Results, nil
}

// FindFile finds a file by sha256 with the checksum search (Artifactory
// Pro): the storage URIs of every copy.
func (c *Client) FindFile(ctx context.Context, sha256 string) ([]string, error) {
	if !hex64.MatchString(sha256) {
		return nil, fmt.Errorf("artifactory %s: %q is not a sha256", c.cfg.Name, sha256)
	}
	var res struct {
		Results []struct {
			URI string `json:"uri"`
		} `json:"results"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/search/checksum?sha256="+sha256, "", nil, &res); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Results))
	for _, r := range res.Results {
		out = append(out, r.URI)
	}
	return out, nil
}

// Locate implements ports.RegistryLocator: the image digest is the sha256
// of a manifest.json (or list.manifest.json, for a multi-arch image) that
// Artifactory holds. Remote repositories hold what they cached as
// <repo>-cache; a hit there is reported as such.
func (c *Client) Locate(ctx context.Context, refs []artifact.Reference, digest string) risk.RegistryCheck {
	check := risk.RegistryCheck{Registry: c.cfg.Name}
	hx, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || !hex64.MatchString(hx) {
		check.Status, check.Error = risk.CheckFailed, fmt.Sprintf("unsupported digest %q", digest)
		return check
	}
	items, err := c.FindBySHA256(ctx, hx, "manifest.json", "list.manifest.json")
	if err != nil {
		check.Status, check.Error = risk.CheckFailed, err.Error()
		return check
	}
	if len(items) == 0 {
		check.Status = risk.CheckNotFound
		return check
	}
	best := items[0]
	// Prefer the copy whose repository path matches a reference.
	for _, it := range items {
		for _, r := range refs {
			if n := it.Prop("docker.repoName"); n != "" && strings.HasSuffix(r.Repository, n) {
				best = it
			}
		}
	}
	check.Status, check.Repository, check.Path = risk.CheckFound, best.Repo, best.FullPath()
	return check
}
