package packages

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/agents/internal/sensortest/fixture"
	"github.com/runwatch/runwatch/domain/pkgid"
)

const dpkgStatus = `Package: dash
Status: install ok installed
Priority: required
Architecture: amd64
Version: 0.5.12-2
Description: POSIX-compliant shell
 The Debian Almquist Shell (dash) is a POSIX-compliant shell
 derived from ash.

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`

func TestGoModulesOfARealBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "knownbin")
	fixture.BuildKnownBin(t, bin)
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mods, err := pkgid.GoModules(f)
	if err != nil {
		t.Fatal(err)
	}
	purls := purlStrings(mods)
	if !fixture.HasKnownModules(purls) {
		t.Errorf("purls %v lack one of %v", purls, fixture.KnownModules)
	}
	if _, err := pkgid.GoModules(bytes.NewReader([]byte("\x7fELF garbage that is not a binary"))); err == nil {
		t.Error("malformed binary: want an error")
	}
}

func writeFile(t *testing.T, root, rel, body string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIndexOfARootfs(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
	writeFile(t, root, "var/lib/dpkg/status", dpkgStatus)
	writeFile(t, root, "var/lib/dpkg/info/dash.list", "/.\n/bin\n/bin/dash\n/usr/share/man/man1/dash.1.gz\n")
	writeFile(t, root, "var/lib/dpkg/info/libc6:amd64.list", "/lib/x86_64-linux-gnu/libc.so.6\n")
	writeFile(t, root, "var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4\nArchitecture: amd64\n")
	writeFile(t, root, "var/lib/dpkg/status.d/base-files.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n")
	ix := LoadIndex(root)
	if len(ix.Problems) != 0 {
		t.Errorf("problems: %v", ix.Problems)
	}
	cases := map[string]string{
		"/usr/bin/dash":                       "pkg:deb/debian/dash@0.5.12-2?arch=amd64&distro=debian-12", // merged /usr
		"/bin/dash":                           "pkg:deb/debian/dash@0.5.12-2?arch=amd64&distro=debian-12",
		"/usr/lib/x86_64-linux-gnu/libc.so.6": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
		"/etc/debian_version":                 "pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12",
	}
	for p, want := range cases {
		if got := ix.Owners(p); !slices.Equal(got, []string{want}) {
			t.Errorf("Owners(%s) = %v, want %s", p, got, want)
		}
	}
	if got := ix.Owners("/usr/local/bin/mine"); got != nil {
		t.Errorf("unowned file: %v", got)
	}

	// A corrupt database is reported, and what parsed is kept.
	writeFile(t, root, "var/lib/dpkg/status", dpkgStatus+"\n\x00\x01garbage without a colon\n")
	ix = LoadIndex(root)
	if len(ix.Problems) == 0 || !strings.Contains(ix.Problems[0], "corrupt") {
		t.Errorf("problems %v", ix.Problems)
	}
	if len(ix.Owners("/bin/dash")) != 1 {
		t.Error("lost the packages that did parse")
	}
}
