// Package govulndb ships a snapshot of the Go vulnerability database's OSV
// records, so the platform matches Go modules and the Go standard library
// out of the box, offline.
//
// The data is the directory data/osv of the module golang.org/x/vulndb at
// Version, packed by `./task generate:vulndb` (internal/gen) into a
// deterministic tar.gz. It is published by the Go team under the Creative
// Commons Attribution 4.0 licence (CC-BY-4.0); Attribution must be shown
// with findings that come from it.
package govulndb

import (
	"bytes"
	"context"
	_ "embed"

	"github.com/runwatch/runwatch/adapters/osv"
	"github.com/runwatch/runwatch/domain/vuln"
)

// Module and Version name the snapshot's source.
const (
	Module  = "golang.org/x/vulndb"
	Version = "v0.0.0-20261105234957-e22db6528018"
)

// Attribution credits the data as its licence requires.
const Attribution = "Go Vulnerability Database (https://go.dev/security/vuln), " + Module + "@" + Version +
	", by the Go Authors, licensed CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)"

//go:embed osv.tar.gz
var archive []byte

// Source is the embedded snapshot as a scanner source.
func Source() osv.Source {
	return osv.Source{Name: "go-vulndb", Attribution: Attribution,
		Load: func(ctx context.Context) (*vuln.Index, osv.ImportStats, error) {
			return osv.ImportTarGz(ctx, bytes.NewReader(archive), osv.DefaultLimits)
		}}
}

// Archive is the embedded tar.gz of the records.
func Archive() []byte { return archive }
