// Package oci is the registry adapter for any registry that speaks the
// OCI Distribution API (Docker Hub, GHCR, Harbor, ECR, GAR, distribution,
// Artifactory's Docker API): it resolves tags, fetches manifests, indexes
// and layers, and says whether the registry holds a digest.
//
// Registries are untrusted: every manifest fetched by digest is checked
// against it, every blob is verified as it streams, and sizes are bounded.
// Authentication follows the Docker token protocol (a 401 challenge
// naming a token realm) with basic credentials or a static token.
package oci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config is one registry integration.
type Config struct {
	// Name identifies the integration.
	Name string
	// URL is the registry's base URL: "https://registry.example.com",
	// "http://127.0.0.1:5000". Its host is what image references name.
	URL string
	// Username and Password are basic credentials, also used to obtain
	// bearer tokens; Token is a static bearer token (an access token).
	Username, Password, Token string
	// Timeout bounds each request; 0 means 30s.
	Timeout time.Duration
	// Transport overrides the HTTP transport (tests, proxies, custom CAs).
	Transport http.RoundTripper
}

// Limits of what a registry may send.
const (
	MaxManifestBytes = 4 << 20
	maxTokenBytes    = 1 << 20
	maxErrorBytes    = 4 << 10
)

// The manifest media types Runwatch reads.
const (
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

var acceptManifests = strings.Join([]string{MediaOCIIndex, MediaOCIManifest, MediaDockerList, MediaDockerManifest}, ", ")

// Error kinds a caller can tell apart.
var (
	ErrNotFound     = errors.New("not in the registry")
	ErrDenied       = errors.New("the registry refused the credentials")
	ErrDigestFailed = errors.New("content does not match its digest")
)

// Client talks to one registry.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client

	mu     sync.Mutex
	tokens map[string]bearerToken // by scope
}

type bearerToken struct {
	value   string
	expires time.Time
}

// New returns a client for a registry integration.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry %s: URL %q must be http(s)://host[:port]", cfg.Name, cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{cfg: cfg, base: u, tokens: map[string]bearerToken{},
		http: &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			// Blobs are often redirected to storage: credentials stay
			// with the registry.
			if req.URL.Host != via[0].URL.Host {
				req.Header.Del("Authorization")
			}
			return nil
		}}}, nil
}

// Name is the integration's name.
func (c *Client) Name() string { return c.cfg.Name }

// Host is the registry host references name ("registry.example.com:5000").
func (c *Client) Host() string { return c.base.Host }

// Descriptor describes content by digest.
type Descriptor struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Platform  *Platform         `json:"platform,omitempty"`
	Annots    map[string]string `json:"annotations,omitempty"`
}

// Platform is an index entry's platform.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

// Manifest is an image manifest or an index.
type Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
	Manifests     []Descriptor `json:"manifests"`
}

// IsIndex says whether the manifest is an index of platform manifests.
func (m *Manifest) IsIndex() bool {
	return m.MediaType == MediaOCIIndex || m.MediaType == MediaDockerList || (len(m.Manifests) > 0 && len(m.Layers) == 0)
}

// Fetched is a manifest with its raw bytes and digest.
type Fetched struct {
	Manifest
	Raw    []byte
	Digest string
}

func validRepo(repo string) error {
	if repo == "" || strings.Contains(repo, "..") || strings.ContainsAny(repo, "?#% \\") {
		return fmt.Errorf("invalid repository %q", repo)
	}
	return nil
}

func validDigest(d string) error {
	algo, hx, ok := strings.Cut(d, ":")
	if !ok || algo != "sha256" || len(hx) != 64 {
		return fmt.Errorf("unsupported digest %q (want sha256:<64 hex>)", d)
	}
	if _, err := hex.DecodeString(hx); err != nil {
		return fmt.Errorf("malformed digest %q", d)
	}
	return nil
}

// Head resolves a reference (tag or digest) of repo to its descriptor
// without downloading it; a registry that sends no digest header is asked
// with GET instead.
func (c *Client) Head(ctx context.Context, repo, reference string) (Descriptor, error) {
	resp, err := c.do(ctx, http.MethodHead, repo, "/manifests/"+reference, acceptManifests)
	if err != nil {
		return Descriptor{}, err
	}
	resp.Body.Close()
	d := Descriptor{MediaType: mediaType(resp.Header.Get("Content-Type")), Digest: resp.Header.Get("Docker-Content-Digest"), Size: resp.ContentLength}
	if d.Digest == "" || validDigest(d.Digest) != nil {
		f, err := c.Manifest(ctx, repo, reference)
		if err != nil {
			return Descriptor{}, err
		}
		return Descriptor{MediaType: f.MediaType, Digest: f.Digest, Size: int64(len(f.Raw))}, nil
	}
	if strings.HasPrefix(reference, "sha256:") && d.Digest != reference {
		return Descriptor{}, fmt.Errorf("%w: asked for %s, the registry answered %s", ErrDigestFailed, reference, d.Digest)
	}
	return d, nil
}

// Manifest fetches a manifest or index by tag or digest. Content fetched
// by digest must hash to it; content fetched by tag must hash to the digest
// the registry announces, if it announces one.
func (c *Client) Manifest(ctx context.Context, repo, reference string) (*Fetched, error) {
	resp, err := c.do(ctx, http.MethodGet, repo, "/manifests/"+reference, acceptManifests)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read manifest %s@%s: %w", repo, reference, err)
	}
	if len(raw) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest %s@%s larger than %d bytes", repo, reference, MaxManifestBytes)
	}
	sum := sha256.Sum256(raw)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if strings.HasPrefix(reference, "sha256:") && digest != reference {
		return nil, fmt.Errorf("%w: manifest %s@%s hashes to %s", ErrDigestFailed, repo, reference, digest)
	}
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && h != digest {
		return nil, fmt.Errorf("%w: manifest %s:%s announced as %s hashes to %s", ErrDigestFailed, repo, reference, h, digest)
	}
	f := &Fetched{Raw: raw, Digest: digest}
	if err := json.Unmarshal(raw, &f.Manifest); err != nil {
		return nil, fmt.Errorf("manifest %s@%s: %w", repo, reference, err)
	}
	if f.MediaType == "" {
		f.MediaType = mediaType(resp.Header.Get("Content-Type"))
	}
	return f, nil
}

// Blob opens a blob; the reader fails at the end if the content does not
// hash to the digest, and after size bytes if the registry sends more.
func (c *Client) Blob(ctx context.Context, repo, digest string, size int64) (io.ReadCloser, error) {
	if err := validDigest(digest); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, repo, "/blobs/"+digest, "")
	if err != nil {
		return nil, err
	}
	return &verifyingReader{rc: resp.Body, h: sha256.New(), want: digest, left: size}, nil
}

type verifyingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
	left int64 // bytes still allowed; <0 means unbounded
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if v.left >= 0 {
		v.left -= int64(n)
		if v.left < 0 {
			v.err = fmt.Errorf("%w: blob %s is larger than its descriptor says", ErrDigestFailed, v.want)
			return n, v.err
		}
	}
	if err == io.EOF {
		if got := "sha256:" + hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			v.err = fmt.Errorf("%w: blob %s hashes to %s", ErrDigestFailed, v.want, got)
			return n, v.err
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}

// do sends a request to /v2/<repo><suffix>, answering an authentication
// challenge once.
func (c *Client) do(ctx context.Context, method, repo, suffix, accept string) (*http.Response, error) {
	if err := validRepo(repo); err != nil {
		return nil, err
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/v2/" + repo + suffix
	scope := "repository:" + repo + ":pull"
	send := func(auth string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
		if err != nil {
			return nil, err
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("User-Agent", "runwatch-platform")
		return c.http.Do(req)
	}
	resp, err := send(c.cachedAuth(scope))
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s %s: %w", c.cfg.Name, method, u.Path, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		challenge := resp.Header.Get("WWW-Authenticate")
		drain(resp)
		auth, err := c.answer(ctx, challenge, scope)
		if err != nil {
			return nil, err
		}
		if resp, err = send(auth); err != nil {
			return nil, fmt.Errorf("registry %s: %s %s: %w", c.cfg.Name, method, u.Path, err)
		}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp, nil
	case resp.StatusCode == http.StatusNotFound:
		drain(resp)
		return nil, fmt.Errorf("registry %s: %s%s: %w", c.cfg.Name, repo, suffix, ErrNotFound)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		drain(resp)
		return nil, fmt.Errorf("registry %s: %s%s: %w (HTTP %d)", c.cfg.Name, repo, suffix, ErrDenied, resp.StatusCode)
	default:
		msg := readError(resp)
		return nil, fmt.Errorf("registry %s: %s %s: HTTP %d: %s", c.cfg.Name, method, u.Path, resp.StatusCode, msg)
	}
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
	resp.Body.Close()
}

func readError(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	return strings.TrimSpace(string(b))
}

func (c *Client) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.cfg.Username+":"+c.cfg.Password))
}

func (c *Client) cachedAuth(scope string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tokens[scope]; ok && time.Now().Before(t.expires) {
		return "Bearer " + t.value
	}
	if c.cfg.Token != "" {
		return "Bearer " + c.cfg.Token
	}
	return ""
}

// answer meets a WWW-Authenticate challenge: Basic with the credentials,
// or Bearer by fetching a token from the realm it names.
func (c *Client) answer(ctx context.Context, challenge, scope string) (string, error) {
	scheme, params := parseChallenge(challenge)
	switch strings.ToLower(scheme) {
	case "basic":
		if c.cfg.Username == "" {
			return "", fmt.Errorf("registry %s: %w: it asks for basic credentials and none are configured", c.cfg.Name, ErrDenied)
		}
		return c.basic(), nil
	case "bearer":
		realm := params["realm"]
		if realm == "" {
			if c.cfg.Token != "" {
				return "Bearer " + c.cfg.Token, nil
			}
			return "", fmt.Errorf("registry %s: bearer challenge without a realm", c.cfg.Name)
		}
		return c.fetchToken(ctx, realm, params["service"], scope)
	}
	return "", fmt.Errorf("registry %s: %w: unsupported authentication challenge %q", c.cfg.Name, ErrDenied, challenge)
}

func (c *Client) fetchToken(ctx context.Context, realm, service, scope string) (string, error) {
	u, err := url.Parse(realm)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("registry %s: bad token realm %q", c.cfg.Name, realm)
	}
	q := u.Query()
	if service != "" {
		q.Set("service", service)
	}
	q.Set("scope", scope)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	switch {
	case c.cfg.Username != "":
		req.Header.Set("Authorization", c.basic())
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry %s: token: %w", c.cfg.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return "", fmt.Errorf("registry %s: token: %w (HTTP %d)", c.cfg.Name, ErrDenied, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("registry %s: token: HTTP %d", c.cfg.Name, resp.StatusCode)
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTokenBytes)).Decode(&body); err != nil {
		return "", fmt.Errorf("registry %s: token: %w", c.cfg.Name, err)
	}
	tok := body.Token
	if tok == "" {
		tok = body.AccessToken
	}
	if tok == "" {
		return "", fmt.Errorf("registry %s: token endpoint sent no token", c.cfg.Name)
	}
	ttl := time.Duration(body.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 60 * time.Second // the protocol's default
	}
	c.mu.Lock()
	c.tokens[scope] = bearerToken{value: tok, expires: time.Now().Add(ttl - ttl/10)}
	c.mu.Unlock()
	return "Bearer " + tok, nil
}

// parseChallenge splits `Bearer realm="...",service="...",scope="..."`.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				params[k] = v[1:]
				break
			}
			params[k], rest = v[1:1+end], v[2+end:]
		} else {
			val, after, _ := strings.Cut(v, ",")
			params[k], rest = strings.TrimSpace(val), after
		}
	}
	return scheme, params
}
