package osv_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/adapters/osv"
	"github.com/runwatch/runwatch/adapters/osv/govulndb"
	"github.com/runwatch/runwatch/domain/vuln"
)

var ctx = context.Background()

func goDB(t testing.TB) *osv.Scanner {
	t.Helper()
	s := osv.NewScanner(slog.New(slog.DiscardHandler), govulndb.Source())
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(fs []vuln.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// The real Go vulnerability database flags golang.org/x/text v0.3.5 and
// old standard libraries, and nothing in fixed versions.
func TestGoVulnDBRealData(t *testing.T) {
	s := goDB(t)
	src := s.Sources()
	if len(src) != 1 || src[0].Records < 4000 || src[0].Rejected != 0 || !strings.Contains(src[0].Attribution, "CC-BY-4.0") {
		t.Fatalf("sources: %+v", src)
	}
	if src[0].Withdrawn == 0 {
		t.Error("the Go database holds withdrawn records; none were counted")
	}
	text := "pkg:golang/golang.org/x/text@v0.3.5"
	fixedText := "pkg:golang/golang.org/x/text@v0.3.8"
	oldStd := "pkg:golang/stdlib@1.20.1"
	got, err := s.Match(ctx, []string{text, fixedText, oldStd, "pkg:golang/github.com/example/nothing@v1.0.0", "not a purl"})
	if err != nil {
		t.Fatal(err)
	}
	tf := got[text]
	for _, want := range []string{"GO-2021-0113", "GO-2022-1059"} {
		if !slices.Contains(ids(tf), want) {
			t.Errorf("x/text v0.3.5: %v, want %s", ids(tf), want)
		}
	}
	for _, f := range tf {
		if f.ID == "GO-2022-1059" {
			if !slices.Contains(f.CVEs(), "CVE-2022-32149") || f.FixedVersions[0] != "0.3.8" || f.Source != "go-vulndb" {
				t.Errorf("GO-2022-1059: %+v", f)
			}
		}
	}
	for _, fixed := range []string{"GO-2021-0113", "GO-2022-1059"} {
		if slices.Contains(ids(got[fixedText]), fixed) {
			t.Errorf("x/text v0.3.8 still matched %s, which it fixes", fixed)
		}
	}
	if len(got[oldStd]) < 10 {
		t.Errorf("stdlib 1.20.1 matched only %v", ids(got[oldStd]))
	}
	// The toolchain's own spelling of the version matches the same.
	toolchain := "pkg:golang/stdlib@go1.20.1"
	if again, _ := s.Match(ctx, []string{toolchain}); !slices.Equal(ids(again[toolchain]), ids(got[oldStd])) {
		t.Errorf("go1.20.1 matched %d, 1.20.1 matched %d", len(again[toolchain]), len(got[oldStd]))
	}
	if _, ok := got["not a purl"]; ok {
		t.Error("a malformed purl matched")
	}
}

// Withdrawn records in the real data match nothing they name.
func TestGoVulnDBWithdrawnNeverMatch(t *testing.T) {
	s := goDB(t)
	tr := tarRecords(t, govulndb.Archive())
	n := 0
	for name, data := range tr {
		r, err := vuln.ParseRecord(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !r.IsWithdrawn() {
			continue
		}
		n++
		for _, a := range r.Affected {
			for _, rg := range a.Ranges {
				for _, e := range rg.Events {
					if e.Introduced == "" || e.Introduced == "0" {
						continue
					}
					purl := "pkg:golang/" + a.Package.Name + "@v" + e.Introduced
					got, _ := s.Match(ctx, []string{purl})
					if slices.Contains(ids(got[purl]), r.ID) {
						t.Errorf("withdrawn %s matched %s", r.ID, purl)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no withdrawn record in the data")
	}
}

func tarRecords(t testing.TB, archive []byte) map[string][]byte {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = data
	}
}

const malRecord = `{"id":"MAL-2025-0001","modified":"2025-01-01T00:00:00Z","summary":"Malicious code in left-padd (npm)",
"affected":[{"package":{"ecosystem":"npm","name":"left-padd"},"versions":["1.0.0","1.0.1"]}]}`

const debRecord = `{"id":"DSA-5532-1","modified":"2025-01-01T00:00:00Z","aliases":["CVE-2023-5363"],
"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}],
"database_specific":{"severity":"HIGH"}}`

// An all.zip export with good, malformed and oversized entries: the good
// ones are imported, the others counted and named.
func TestImportZipExport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "all.zip")
	f, _ := os.Create(file)
	zw := zip.NewWriter(f)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	add("MAL-2025-0001.json", malRecord)
	add("DSA-5532-1.json", debRecord)
	add("broken.json", `{"id": "X-1", "affected": [{"package": {}}]}`)
	add("not-json.json", `<html>`)
	add("README.txt", "ignored")
	add("huge.json", `{"id":"X-2","details":"`+strings.Repeat("a", vuln.MaxRecordBytes)+`"}`)
	zw.Close()
	f.Close()

	idx, stats, err := osv.Import(ctx, file, osv.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Records != 2 || stats.Malicious != 1 || stats.Rejected != 3 || idx.Len() != 2 {
		t.Fatalf("stats %+v len %d", stats, idx.Len())
	}
	joined := strings.Join(stats.RejectedSamples, "\n")
	for _, want := range []string{"broken.json", "not-json.json", "huge.json"} {
		if !strings.Contains(joined, want) {
			t.Errorf("rejections do not name %s:\n%s", want, joined)
		}
	}
	s := osv.NewScanner(slog.New(slog.DiscardHandler), osv.DirSource(file, osv.DefaultLimits))
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Match(ctx, []string{"pkg:npm/left-padd@1.0.1", "pkg:npm/left-padd@2.0.0",
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&upstream=openssl"})
	if fs := got["pkg:npm/left-padd@1.0.1"]; len(fs) != 1 || !fs[0].Malicious || fs[0].Severity != vuln.SeverityCritical {
		t.Errorf("malicious: %+v", fs)
	}
	if fs := got["pkg:npm/left-padd@2.0.0"]; len(fs) != 0 {
		t.Errorf("a version the MAL record does not name matched: %+v", fs)
	}
	if fs := got["pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&upstream=openssl"]; len(fs) != 1 || fs[0].Severity != vuln.SeverityHigh {
		t.Errorf("debian: %+v", fs)
	}
}

func TestImportLimitsAndDirectory(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("X-%d.json", i)), []byte(fmt.Sprintf(`{"id":"X-%d"}`, i)), 0o644)
	}
	if _, _, err := osv.ImportDir(ctx, dir, osv.Limits{MaxRecords: 3}); err == nil || !strings.Contains(err.Error(), "more than 3 records") {
		t.Fatalf("record limit: %v", err)
	}
	if _, _, err := osv.ImportDir(ctx, dir, osv.Limits{MaxTotalBytes: 20}); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("byte limit: %v", err)
	}
	idx, stats, err := osv.ImportDir(ctx, dir, osv.DefaultLimits)
	if err != nil || stats.Records != 5 || idx.Len() != 5 {
		t.Fatalf("%v %+v", err, stats)
	}
	if _, _, err := osv.Import(ctx, filepath.Join(dir, "missing"), osv.DefaultLimits); err == nil {
		t.Fatal("a missing source was accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := osv.ImportTarGz(cancelled, bytes.NewReader(govulndb.Archive()), osv.DefaultLimits); err == nil {
		t.Fatal("a cancelled import went on")
	}
}

// A source that fails on reload keeps its previous data and the revision.
func TestReloadKeepsDataOfAFailingSource(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MAL-2025-0001.json"), []byte(malRecord), 0o644)
	s := osv.NewScanner(slog.New(slog.DiscardHandler), osv.DirSource(dir, osv.DefaultLimits))
	if s.Ready() {
		t.Fatal("ready before loading")
	}
	if _, err := s.Match(ctx, []string{"pkg:npm/left-padd@1.0.0"}); err == nil {
		t.Fatal("matched before loading")
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	rev := s.Revision()
	os.RemoveAll(dir)
	if err := s.Reload(ctx); err == nil {
		t.Fatal("a missing source reloaded without error")
	}
	if got, _ := s.Match(ctx, []string{"pkg:npm/left-padd@1.0.0"}); len(got) != 1 || s.Revision() != rev {
		t.Fatalf("data lost after a failed reload: %v, revision %s -> %s", got, rev, s.Revision())
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "MAL-2025-0001.json"), []byte(malRecord), 0o644)
	os.WriteFile(filepath.Join(dir, "DSA-5532-1.json"), []byte(debRecord), 0o644)
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Revision() == rev {
		t.Fatal("new data did not change the revision")
	}
}

// BenchmarkMatchGoVulnDB measures components matched per second against
// the full Go vulnerability database: a mix of module versions, half of
// them affected, and standard-library versions.
func BenchmarkMatchGoVulnDB(b *testing.B) {
	s := goDB(b)
	var purls []string
	// One component per module the database names (as an image would
	// hold each module once), at a version below most fixes, plus the
	// same number of modules it does not know.
	seen := map[string]bool{}
	for _, data := range tarRecords(b, govulndb.Archive()) {
		r, err := vuln.ParseRecord(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range r.Affected {
			if !seen[a.Package.Name] {
				seen[a.Package.Name] = true
				purls = append(purls, "pkg:golang/"+a.Package.Name+"@v0.1.0",
					fmt.Sprintf("pkg:golang/example.com/unknown/m%d@v1.0.0", len(purls)))
			}
		}
	}
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		got, err := s.Match(ctx, purls)
		if err != nil {
			b.Fatal(err)
		}
		matched += len(purls)
		_ = got
	}
	b.ReportMetric(float64(matched)/b.Elapsed().Seconds(), "components/s")
	b.ReportMetric(float64(len(purls)), "components/op")
}

func BenchmarkImportGoVulnDB(b *testing.B) {
	for b.Loop() {
		if _, _, err := osv.ImportTarGz(ctx, bytes.NewReader(govulndb.Archive()), osv.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzImportTarGz feeds arbitrary bytes as an OSV archive: never a panic,
// and what is imported is counted.
func FuzzImportTarGz(f *testing.F) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"osv/MAL-2025-0001.json": malRecord, "osv/DSA.json": debRecord, "osv/bad.json": "{"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		io.WriteString(tw, body)
	}
	tw.Close()
	gz.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, stats, err := osv.ImportTarGz(ctx, bytes.NewReader(data), osv.Limits{MaxRecords: 100, MaxTotalBytes: 1 << 20})
		if err != nil {
			return
		}
		if idx.Len() > stats.Records {
			t.Fatalf("index holds %d records, import counted %d", idx.Len(), stats.Records)
		}
	})
}
