package risk

import (
	"sort"
	"time"

	"github.com/runwatch/runwatch/domain/vuln"
)

// Applicability says whether a vulnerability's code was loaded.
type Applicability string

// The applicability states.
const (
	// Applicable: its component's code was loaded at runtime.
	Applicable Applicability = "applicable"
	// NotApplicable: runtime was observed and the code was never loaded.
	NotApplicable Applicability = "not_applicable"
	// ApplicabilityUnknown: no runtime observation of the image yet.
	ApplicabilityUnknown Applicability = "unknown"
)

// VulnFact is a vulnerability of a component of an image, judged.
type VulnFact struct {
	Finding       vuln.Finding
	Component     string // the component's purl
	Applicability Applicability
	Evidence      *Evidence
}

// Judge turns the findings of an image's components into facts, given
// what was loaded. observed says whether a sensor has reported anything
// for the image: without it nothing is not_applicable, only unknown.
func Judge(components []Component, findings map[string][]vuln.Finding, loads []Load, observed bool) []VulnFact {
	var out []VulnFact
	for _, c := range components {
		fs := findings[c.PURL]
		if len(fs) == 0 {
			continue
		}
		ev, loaded := LoadedBy(c, loads)
		for _, f := range fs {
			fact := VulnFact{Finding: f, Component: c.PURL, Applicability: ApplicabilityUnknown}
			switch {
			case loaded:
				e := ev
				fact.Applicability, fact.Evidence = Applicable, &e
			case observed:
				fact.Applicability = NotApplicable
			}
			out = append(out, fact)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Finding.ID != out[j].Finding.ID {
			return out[i].Finding.ID < out[j].Finding.ID
		}
		return out[i].Component < out[j].Component
	})
	return out
}

// Funnel counts distinct vulnerabilities through the prioritisation
// stages; each stage is a subset of the one before.
type Funnel struct {
	// All distinct vulnerabilities.
	All int
	// CriticalHigh: of those, critical or high severity.
	CriticalHigh int
	// WithFix: of those, with a fixed version known.
	WithFix int
	// Applicable: of those, with their code loaded at runtime.
	Applicable int
	// ApplicableAny is not a stage: distinct vulnerabilities of any
	// severity, with a fix or not, whose code was loaded at runtime.
	ApplicableAny int
}

// Add adds another funnel's counts (for sums over disjoint sets).
func (f Funnel) Add(o Funnel) Funnel {
	return Funnel{f.All + o.All, f.CriticalHigh + o.CriticalHigh, f.WithFix + o.WithFix, f.Applicable + o.Applicable, f.ApplicableAny + o.ApplicableAny}
}

// CountFunnel counts facts by distinct vulnerability id: a vulnerability
// reaches a stage if any of its facts does (the same CVE in two
// components counts once, applicable if either was loaded).
func CountFunnel(facts []VulnFact) Funnel {
	type agg struct {
		critHigh, fix, applicable, loaded bool
	}
	by := map[string]*agg{}
	for _, f := range facts {
		a := by[f.Finding.ID]
		if a == nil {
			a = &agg{}
			by[f.Finding.ID] = a
		}
		ch := f.Finding.Severity >= vuln.SeverityHigh
		fix := ch && f.Finding.HasFix()
		a.critHigh = a.critHigh || ch
		a.fix = a.fix || fix
		a.applicable = a.applicable || fix && f.Applicability == Applicable
		a.loaded = a.loaded || f.Applicability == Applicable
	}
	var out Funnel
	for _, a := range by {
		out.All++
		if a.critHigh {
			out.CriticalHigh++
		}
		if a.fix {
			out.WithFix++
		}
		if a.applicable {
			out.Applicable++
		}
		if a.loaded {
			out.ApplicableAny++
		}
	}
	return out
}

// Window is the runtime evidence window of a judgement: the first and
// last time a sensor reported the image's loads.
type Window struct {
	From, To time.Time
}
