// Command gen packs the OSV records of golang.org/x/vulndb (data/osv) at
// govulndb.Version into ../../osv.tar.gz, deterministically: sorted names,
// fixed times and modes, so regenerating the same version changes nothing.
// It fetches the module with `go mod download`.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/runwatch/runwatch/adapters/osv/govulndb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	out := "osv.tar.gz"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	cmd := exec.Command("go", "mod", "download", "-json", govulndb.Module+"@"+govulndb.Version)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir()
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go mod download %s@%s: %w", govulndb.Module, govulndb.Version, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(raw, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download: %s %v", mod.Error, err)
	}
	dir := filepath.Join(mod.Dir, "data", "osv")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		h := &tar.Header{Name: "osv/" + n, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0).UTC(),
			Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	fmt.Printf("%d records of %s@%s, %d bytes -> %s\n", len(names), govulndb.Module, govulndb.Version, buf.Len(), out)
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
