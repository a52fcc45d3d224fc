// Package sbom writes what Runwatch knows of running images as standard
// documents: a CycloneDX 1.6 SBOM of the components whose code was
// actually loaded at runtime (with the evidence of each load), and an
// OpenVEX 0.2.0 document stating for each vulnerability whether the image
// is affected (its code was loaded) or not (vulnerable_code_not_in_execute_path),
// with the runtime evidence window.
package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

// Writer implements ports.DocumentWriter.
type Writer struct {
	// Version is the platform's version, named as the tool.
	Version string
}

var _ ports.DocumentWriter = Writer{}

// Media types of the documents.
const (
	CycloneDXMediaType = "application/vnd.cyclonedx+json; version=1.6"
	OpenVEXMediaType   = "application/openvex+json"
)

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxComponent struct {
	Type       string       `json:"type"`
	BOMRef     string       `json:"bom-ref"`
	Name       string       `json:"name"`
	Group      string       `json:"group,omitempty"`
	Version    string       `json:"version,omitempty"`
	PURL       string       `json:"purl,omitempty"`
	Hashes     []cdxHash    `json:"hashes,omitempty"`
	Evidence   *cdxEvidence `json:"evidence,omitempty"`
	Properties []property   `json:"properties,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxEvidence struct {
	Occurrences []cdxOccurrence `json:"occurrences,omitempty"`
}

type cdxOccurrence struct {
	Location string `json:"location"`
}

type cdxBOM struct {
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber"`
	Version      int            `json:"version"`
	Metadata     cdxMetadata    `json:"metadata"`
	Components   []cdxComponent `json:"components"`
}

type cdxMetadata struct {
	Timestamp  string         `json:"timestamp"`
	Tools      map[string]any `json:"tools"`
	Component  cdxComponent   `json:"component"`
	Properties []property     `json:"properties,omitempty"`
}

// urn is a deterministic urn:uuid for a document's content.
func urn(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x50 // version 5 layout
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b)
	return fmt.Sprintf("urn:uuid:%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:])
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// imagePURL names an image as a package URL (pkg:oci/<name>@<digest>).
func imagePURL(digest string, refs []string) string {
	name := "image"
	repo := ""
	if len(refs) > 0 {
		r := refs[0]
		if i := strings.IndexAny(r, "@"); i >= 0 {
			r = r[:i]
		}
		if i := strings.LastIndex(r, ":"); i >= 0 && !strings.Contains(r[i:], "/") {
			r = r[:i]
		}
		repo = r
		if i := strings.LastIndex(r, "/"); i >= 0 {
			name = r[i+1:]
		} else {
			name = r
		}
	}
	p := "pkg:oci/" + url.PathEscape(name) + "@" + url.PathEscape(digest)
	p = strings.ReplaceAll(p, ":", "%3A")
	p = strings.Replace(p, "pkg%3Aoci", "pkg:oci", 1)
	if repo != "" {
		p += "?repository_url=" + url.QueryEscape(repo)
	}
	return p
}

// SBOM implements ports.DocumentWriter.
func (w Writer) SBOM(d ports.ExportData) ([]byte, error) {
	bom := cdxBOM{BOMFormat: "CycloneDX", SpecVersion: "1.6", Version: 1,
		Metadata: cdxMetadata{Timestamp: ts(d.GeneratedAt),
			Tools:     map[string]any{"components": []cdxComponent{{Type: "application", BOMRef: "runwatch", Name: "runwatch", Version: w.Version}}},
			Component: cdxComponent{Type: "container", BOMRef: d.Subject, Name: d.Subject},
			Properties: []property{
				{Name: "runwatch:scope", Value: "components whose code was loaded at runtime"},
				{Name: "runwatch:evidence:observed", Value: fmt.Sprint(d.Observed)},
				{Name: "runwatch:evidence:from", Value: ts(d.Window.From)},
				{Name: "runwatch:evidence:to", Value: ts(d.Window.To)},
			}},
		Components: []cdxComponent{}}
	if len(d.Digests) == 1 {
		bom.Metadata.Component.PURL = imagePURL(d.Digests[0], d.References[d.Digests[0]])
	}
	for _, dg := range d.Digests {
		bom.Metadata.Properties = append(bom.Metadata.Properties, property{Name: "runwatch:image:digest", Value: dg})
	}
	seen := map[string]int{}
	for _, l := range d.Loaded {
		p, err := vuln.ParsePURL(l.Component.PURL)
		if err != nil {
			continue
		}
		if i, ok := seen[l.Component.PURL]; ok {
			bom.Components[i].Evidence.Occurrences = append(bom.Components[i].Evidence.Occurrences, cdxOccurrence{Location: l.Evidence.Path})
			continue
		}
		c := cdxComponent{Type: "library", BOMRef: l.Component.PURL, Name: p.Name, Group: p.Namespace, Version: p.Version, PURL: l.Component.PURL,
			Evidence: &cdxEvidence{Occurrences: []cdxOccurrence{{Location: l.Evidence.Path}}},
			Properties: []property{
				{Name: "runwatch:loaded:matched_by", Value: l.Evidence.By},
				{Name: "runwatch:loaded:first_seen", Value: ts(l.Evidence.FirstSeen)},
				{Name: "runwatch:loaded:last_seen", Value: ts(l.Evidence.LastSeen)},
				{Name: "runwatch:image:digest", Value: l.Digest},
			}}
		if p.Type == "golang" || p.Type == "maven" {
			c.Type = "library"
		}
		if l.Evidence.SHA256 != "" {
			c.Hashes = []cdxHash{{Alg: "SHA-256", Content: l.Evidence.SHA256}}
		}
		seen[l.Component.PURL] = len(bom.Components)
		bom.Components = append(bom.Components, c)
	}
	sort.SliceStable(bom.Components, func(i, j int) bool { return bom.Components[i].BOMRef < bom.Components[j].BOMRef })
	bom.SerialNumber = urn(append([]string{"cdx", d.Subject, ts(d.GeneratedAt)}, d.Digests...)...)
	return json.MarshalIndent(bom, "", "  ")
}

type vexDoc struct {
	Context    string         `json:"@context"`
	ID         string         `json:"@id"`
	Author     string         `json:"author"`
	Role       string         `json:"role,omitempty"`
	Timestamp  string         `json:"timestamp"`
	Version    int            `json:"version"`
	Tooling    string         `json:"tooling,omitempty"`
	Statements []vexStatement `json:"statements"`
}

type vexVuln struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

type vexProduct struct {
	ID            string         `json:"@id"`
	Subcomponents []vexComponent `json:"subcomponents,omitempty"`
}

type vexComponent struct {
	ID string `json:"@id"`
}

type vexStatement struct {
	Vulnerability   vexVuln      `json:"vulnerability"`
	Products        []vexProduct `json:"products"`
	Status          string       `json:"status"`
	Justification   string       `json:"justification,omitempty"`
	ImpactStatement string       `json:"impact_statement,omitempty"`
	ActionStatement string       `json:"action_statement,omitempty"`
	StatusNotes     string       `json:"status_notes,omitempty"`
	Timestamp       string       `json:"timestamp,omitempty"`
}

// VEX implements ports.DocumentWriter. Per vulnerability and image:
// affected when any of its components was loaded; not_affected with
// vulnerable_code_not_in_execute_path when runtime was observed and none
// was; under_investigation when there is no runtime evidence yet.
func (w Writer) VEX(d ports.ExportData) ([]byte, error) {
	type key struct{ id, digest string }
	type agg struct {
		f        vuln.Finding
		comps    []string
		loaded   bool
		observed bool
		evidence []string
		fixed    []string
	}
	by := map[key]*agg{}
	var order []key
	for _, r := range d.Facts {
		k := key{r.Finding.ID, r.Digest}
		a := by[k]
		if a == nil {
			a = &agg{f: r.Finding}
			by[k] = a
			order = append(order, k)
		}
		a.comps = append(a.comps, r.Component)
		a.fixed = append(a.fixed, r.Finding.FixedVersions...)
		switch r.Applicability {
		case risk.Applicable:
			a.loaded, a.observed = true, true
			if r.Evidence != nil {
				a.evidence = append(a.evidence, fmt.Sprintf("%s loaded %s (first %s, last %s)", r.Component, r.Evidence.Path, ts(r.Evidence.FirstSeen), ts(r.Evidence.LastSeen)))
			}
		case risk.NotApplicable:
			a.observed = true
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].id != order[j].id {
			return order[i].id < order[j].id
		}
		return order[i].digest < order[j].digest
	})
	doc := vexDoc{Context: "https://openvex.dev/ns/v0.2.0", Author: "Runwatch", Role: "runtime observer",
		Timestamp: ts(d.GeneratedAt), Version: 1, Tooling: "runwatch " + w.Version, Statements: []vexStatement{}}
	window := fmt.Sprintf("runtime evidence window %s to %s", ts(d.Window.From), ts(d.Window.To))
	for _, k := range order {
		a := by[k]
		prod := vexProduct{ID: imagePURL(k.digest, d.References[k.digest])}
		sort.Strings(a.comps)
		for i, c := range a.comps {
			if i == 0 || c != a.comps[i-1] {
				prod.Subcomponents = append(prod.Subcomponents, vexComponent{ID: c})
			}
		}
		st := vexStatement{Vulnerability: vexVuln{Name: k.id, Description: a.f.Summary, Aliases: a.f.Aliases}, Products: []vexProduct{prod}}
		switch {
		case a.loaded:
			st.Status = "affected"
			st.ImpactStatement = "vulnerable code was loaded at runtime: " + strings.Join(a.evidence, "; ")
			if len(a.fixed) > 0 {
				st.ActionStatement = "update to a fixed version: " + strings.Join(dedup(a.fixed), ", ")
			} else {
				st.ActionStatement = "no fixed version is known; remove or isolate the component"
			}
		case a.observed:
			st.Status = "not_affected"
			st.Justification = "vulnerable_code_not_in_execute_path"
			st.ImpactStatement = "the component's code was never loaded by a process of this image during the " + window
		default:
			st.Status = "under_investigation"
			st.StatusNotes = "no runtime observation of this image yet"
		}
		doc.Statements = append(doc.Statements, st)
	}
	doc.ID = urn(append([]string{"vex", d.Subject, ts(d.GeneratedAt)}, d.Digests...)...)
	return json.MarshalIndent(doc, "", "  ")
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
