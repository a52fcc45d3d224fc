// Package xray is the scanner adapter for JFrog Xray, through its
// documented REST API: the artifact summary (POST
// /xray/api/v1/summary/artifact, by checksum or path) and the scan status
// (POST /xray/api/v1/artifact/status). Xray's issues, severities, CVEs,
// CVSS scores and fixed versions are mapped into the domain's findings,
// keyed by the package URL of the component Xray names.
package xray

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

// Config is one Xray integration.
type Config struct {
	Name string
	// URL is the platform URL ("https://acme.jfrog.io"); /xray is added
	// unless the URL ends with it.
	URL                       string
	Token, Username, Password string
	Timeout                   time.Duration
	Transport                 http.RoundTripper
}

// Client talks to one Xray.
type Client struct {
	cfg  Config
	base string
	http *http.Client
}

var _ ports.ArtifactScanner = (*Client)(nil)

// MaxResponseBytes bounds an answer.
const MaxResponseBytes = 16 << 20

// Errors a caller can tell apart.
var (
	ErrDenied   = errors.New("xray refused the credentials")
	ErrNotFound = errors.New("xray does not know the artifact")
)

// New returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("xray %s: URL %q must be http(s)://host[/path]", cfg.Name, cfg.URL)
	}
	if !strings.HasSuffix(u.Path, "/xray") {
		u.Path += "/xray"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{cfg: cfg, base: u.String(), http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

func (c *Client) post(ctx context.Context, p string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "runwatch-platform")
	switch {
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	case c.cfg.Username != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("xray %s: %s: %w", c.cfg.Name, p, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("xray %s: read answer: %w", c.cfg.Name, err)
	}
	if len(data) > MaxResponseBytes {
		return fmt.Errorf("xray %s: answer larger than %d bytes", c.cfg.Name, MaxResponseBytes)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("xray %s: %w (HTTP %d)", c.cfg.Name, ErrDenied, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("xray %s: %s: %w", c.cfg.Name, p, ErrNotFound)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fmt.Errorf("xray %s: %s: HTTP %d: %s", c.cfg.Name, p, resp.StatusCode, errorText(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("xray %s: %s: malformed answer: %w", c.cfg.Name, p, err)
	}
	return nil
}

func errorText(data []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Summary is Xray's artifact summary.
type Summary struct {
	Artifacts []Artifact `json:"artifacts"`
	Errors    []struct {
		Identifier string `json:"identifier"`
		Error      string `json:"error"`
	} `json:"errors"`
}

// Artifact is one artifact of a summary.
type Artifact struct {
	General struct {
		Name        string `json:"name"`
		Path        string `json:"path"`
		PkgType     string `json:"pkg_type"`
		SHA256      string `json:"sha256"`
		ComponentID string `json:"component_id"`
	} `json:"general"`
	Issues []Issue `json:"issues"`
}

// Issue is a security (or license, operational) issue.
type Issue struct {
	IssueID     string `json:"issue_id"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	IssueType   string `json:"issue_type"`
	Severity    string `json:"severity"`
	Provider    string `json:"provider"`
	CVEs        []struct {
		CVE    string   `json:"cve"`
		CVSSV2 string   `json:"cvss_v2"`
		CVSSV3 string   `json:"cvss_v3"`
		CWE    []string `json:"cwe"`
	} `json:"cves"`
	Components []struct {
		ComponentID   string   `json:"component_id"`
		FixedVersions []string `json:"fixed_versions"`
	} `json:"components"`
	ImpactPath []string `json:"impact_path"`
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// SummaryByChecksum asks for the summary of artifacts by sha256.
func (c *Client) SummaryByChecksum(ctx context.Context, sha256s ...string) (Summary, error) {
	for _, s := range sha256s {
		if !hex64.MatchString(s) {
			return Summary{}, fmt.Errorf("xray %s: %q is not a sha256", c.cfg.Name, s)
		}
	}
	var out Summary
	err := c.post(ctx, "/api/v1/summary/artifact", map[string][]string{"checksums": sha256s}, &out)
	return out, err
}

// SummaryByPath asks for the summary of artifacts by path
// ("default/docker-local/shop/web/1.2.0/manifest.json").
func (c *Client) SummaryByPath(ctx context.Context, paths ...string) (Summary, error) {
	var out Summary
	err := c.post(ctx, "/api/v1/summary/artifact", map[string][]string{"paths": paths}, &out)
	return out, err
}

// Status is Xray's scan status of an artifact: "DONE", "IN_PROGRESS",
// "PENDING", "FAILED", "NOT_SUPPORTED", "NOT_SCANNED".
func (c *Client) Status(ctx context.Context, repo, path string) (string, error) {
	var out struct {
		Overall struct {
			Status string `json:"status"`
		} `json:"overall"`
	}
	if err := c.post(ctx, "/api/v1/artifact/status", map[string]string{"repo": repo, "path": path}, &out); err != nil {
		return "", err
	}
	return out.Overall.Status, nil
}

// ScanArtifact implements ports.ArtifactScanner: the security issues of
// the artifact of that sha256, per component package URL.
func (c *Client) ScanArtifact(ctx context.Context, sha256 string) (ports.ArtifactReport, error) {
	s, err := c.SummaryByChecksum(ctx, strings.TrimPrefix(sha256, "sha256:"))
	if err != nil {
		return ports.ArtifactReport{}, err
	}
	if len(s.Artifacts) == 0 {
		msg := "no artifact"
		if len(s.Errors) > 0 {
			msg = s.Errors[0].Error
		}
		return ports.ArtifactReport{Status: "not_found"}, fmt.Errorf("xray %s: %w: %s", c.cfg.Name, ErrNotFound, msg)
	}
	return ports.ArtifactReport{Findings: Findings(s.Artifacts), Status: "scanned"}, nil
}

// Findings maps the security issues of artifacts to findings per purl.
// Components whose ids Runwatch cannot turn into package URLs are kept
// under their Xray id.
func Findings(arts []Artifact) map[string][]vuln.Finding {
	out := map[string][]vuln.Finding{}
	seen := map[string]bool{}
	for _, a := range arts {
		for _, is := range a.Issues {
			if is.IssueType != "" && is.IssueType != "security" {
				continue
			}
			f := vuln.Finding{ID: is.IssueID, Summary: is.Summary, Severity: vuln.ParseSeverityLevel(is.Severity), Source: "xray"}
			for _, cve := range is.CVEs {
				if cve.CVE != "" {
					if f.ID == "" {
						f.ID = cve.CVE
					} else {
						f.Aliases = append(f.Aliases, cve.CVE)
					}
				}
				if score, ok := cvssScore(cve.CVSSV3); ok && score > f.Score {
					f.Score = score
				}
			}
			if f.ID == "" {
				continue
			}
			for _, comp := range is.Components {
				purl := PURL(comp.ComponentID)
				if purl == "" {
					purl = comp.ComponentID
				}
				if purl == "" {
					continue
				}
				if seen[purl+"|"+f.ID] {
					continue
				}
				seen[purl+"|"+f.ID] = true
				cf := f
				cf.FixedVersions = nil
				for _, v := range comp.FixedVersions {
					cf.FixedVersions = append(cf.FixedVersions, strings.Trim(v, "[]() "))
				}
				out[purl] = append(out[purl], cf)
			}
		}
	}
	return out
}

// cvssScore reads Xray's "10.0/CVSS:3.1/AV:N/..." (score, then vector).
func cvssScore(s string) (float64, bool) {
	head, _, _ := strings.Cut(s, "/")
	v, err := strconv.ParseFloat(head, 64)
	return v, err == nil && v >= 0 && v <= 10
}

// PURL turns an Xray component id into a package URL: gav://g:a:v,
// go://module:v, npm://name:v, pypi://name:v, deb://distro:release:name:v,
// alpine://release:name:v, rpm://release:name:v. "" for other types.
func PURL(id string) string {
	scheme, rest, ok := strings.Cut(id, "://")
	if !ok || rest == "" {
		return ""
	}
	lastColon := strings.LastIndex(rest, ":")
	if lastColon <= 0 || lastColon == len(rest)-1 {
		return ""
	}
	name, version := rest[:lastColon], rest[lastColon+1:]
	var p vuln.PURL
	switch scheme {
	case "gav":
		g, a, ok := strings.Cut(name, ":")
		if !ok {
			return ""
		}
		p = vuln.PURL{Type: "maven", Namespace: g, Name: a, Version: version}
	case "go":
		ns, n := "", name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			ns, n = name[:i], name[i+1:]
		}
		if !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		p = vuln.PURL{Type: "golang", Namespace: ns, Name: n, Version: version}
	case "npm":
		ns, n := "", name
		if strings.HasPrefix(name, "@") {
			if i := strings.Index(name, "/"); i > 0 {
				ns, n = name[:i], name[i+1:]
			}
		}
		p = vuln.PURL{Type: "npm", Namespace: ns, Name: n, Version: version}
	case "pypi":
		p = vuln.PURL{Type: "pypi", Name: name, Version: version}
	case "deb":
		parts := strings.Split(name, ":")
		if len(parts) != 3 {
			return ""
		}
		p = vuln.PURL{Type: "deb", Namespace: parts[0], Name: parts[2], Version: version}
	case "alpine":
		parts := strings.Split(name, ":")
		if len(parts) != 2 {
			return ""
		}
		p = vuln.PURL{Type: "apk", Namespace: "alpine", Name: parts[1], Version: version,
			Qualifiers: map[string]string{"distro": "alpine-" + parts[0]}}
	case "rpm":
		parts := strings.Split(name, ":")
		if len(parts) != 2 {
			return ""
		}
		p = vuln.PURL{Type: "rpm", Name: parts[1], Version: version}
	default:
		return ""
	}
	return p.String()
}
