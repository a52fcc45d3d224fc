package packages

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/agents/internal/sensortest/fixture"
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

func TestParseDpkgStatus(t *testing.T) {
	pkgs, err := ParseDpkgStatus(strings.NewReader(dpkgStatus))
	if err != nil {
		t.Fatal(err)
	}
	want := []DebPackage{{"dash", "0.5.12-2", "amd64"}, {"libc6", "2.36-9+deb12u4", "amd64"}}
	if !slices.Equal(pkgs, want) {
		t.Errorf("got %+v", pkgs)
	}
	if _, err := ParseDpkgStatus(strings.NewReader("Package: x\nthis line has no colon\n")); err == nil {
		t.Error("corrupt status: want an error")
	}
}

func TestPURLs(t *testing.T) {
	deb := DebPURL(OSRelease{ID: "debian", VersionID: "12"}, "libc6", "1:2.36-9+deb12u4", "amd64")
	if deb != "pkg:deb/debian/libc6@1%3A2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12" {
		t.Errorf("deb %s", deb)
	}
	if g := GolangPURL("github.com/cilium/ebpf", "v0.22.0"); g != "pkg:golang/github.com/cilium/ebpf@v0.22.0" {
		t.Errorf("golang %s", g)
	}
	if m := MavenPURL("org.apache.commons", "commons-lang3", "3.14.0"); m != "pkg:maven/org.apache.commons/commons-lang3@3.14.0" {
		t.Errorf("maven %s", m)
	}
	if a := ApkPURL(OSRelease{ID: "alpine", VersionID: "3.20.3"}, "musl", "1.2.5-r0", "x86_64"); a != "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3" {
		t.Errorf("apk %s", a)
	}
}

const apkInstalled = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
F:lib
R:ld-musl-x86_64.so.1
R:libc.musl-x86_64.so.1

P:busybox
V:1.36.1-r29
A:x86_64
F:bin
R:busybox
F:etc
R:securetty
`

func TestParseApkInstalled(t *testing.T) {
	pkgs, err := ParseApkInstalled(strings.NewReader(apkInstalled))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "musl" || pkgs[1].Version != "1.36.1-r29" {
		t.Fatalf("got %+v", pkgs)
	}
	if !slices.Equal(pkgs[0].Files, []string{"/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"}) {
		t.Errorf("musl files %v", pkgs[0].Files)
	}
	if !slices.Equal(pkgs[1].Files, []string{"/bin/busybox", "/etc/securetty"}) {
		t.Errorf("busybox files %v", pkgs[1].Files)
	}
	if _, err := ParseApkInstalled(strings.NewReader("P:x\ngarbage\n")); err == nil {
		t.Error("corrupt database: want an error")
	}
}

func makeJar(t testing.TB, poms map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range poms {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	w, _ := zw.Create("com/example/Main.class")
	w.Write([]byte{0xca, 0xfe, 0xba, 0xbe})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJarArtifacts(t *testing.T) {
	jar := makeJar(t, map[string]string{
		"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": "#Generated\nversion=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n",
		"META-INF/maven/com.example/app/pom.properties":                     "groupId = com.example\nartifactId: app\nversion=1.0.0\n",
		"META-INF/maven/broken/x/pom.properties":                            "nothing useful",
	})
	arts, err := JarArtifacts(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		t.Fatal(err)
	}
	var purls []string
	for _, a := range arts {
		purls = append(purls, MavenPURL(a.GroupID, a.ArtifactID, a.Version))
	}
	slices.Sort(purls)
	want := []string{"pkg:maven/com.example/app@1.0.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
	if !slices.Equal(purls, want) {
		t.Errorf("got %v", purls)
	}
	if _, err := JarArtifacts(bytes.NewReader([]byte("not a zip")), 9); err == nil {
		t.Error("not a zip: want an error")
	}
}

func TestGoModulesOfARealBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "knownbin")
	fixture.BuildKnownBin(t, bin)
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	purls, err := GoModules(f)
	if err != nil {
		t.Fatal(err)
	}
	if !fixture.HasKnownModules(purls) {
		t.Errorf("purls %v lack one of %v", purls, fixture.KnownModules)
	}
	if _, err := GoModules(bytes.NewReader([]byte("\x7fELF garbage that is not a binary"))); err == nil {
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

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add(dpkgStatus)
	f.Add("Package: a\nVersion: 1\n\n\n Status: x\n")
	f.Fuzz(func(t *testing.T, s string) {
		pkgs, _ := ParseDpkgStatus(strings.NewReader(s))
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
		ParseDpkgList(strings.NewReader(s), true)
		ParseDpkgList(strings.NewReader(s), false)
	})
}

func FuzzParseApkInstalled(f *testing.F) {
	f.Add(apkInstalled)
	f.Add("P:x\nV:1\nR:../../etc/passwd\n")
	f.Fuzz(func(t *testing.T, s string) {
		pkgs, _ := ParseApkInstalled(strings.NewReader(s))
		for _, p := range pkgs {
			for _, file := range p.Files {
				if !strings.HasPrefix(file, "/") {
					t.Fatalf("relative path %q", file)
				}
			}
		}
	})
}

func FuzzParsePomProperties(f *testing.F) {
	f.Add("groupId=g\nartifactId=a\nversion=1\n")
	f.Add("#c\n!c\nversion:2\n groupId = x")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParsePomProperties(strings.NewReader(s))
		if err == nil && (a.GroupID == "" || a.ArtifactID == "" || a.Version == "") {
			t.Fatalf("accepted incomplete %+v", a)
		}
		if err == nil {
			_ = MavenPURL(a.GroupID, a.ArtifactID, a.Version)
		}
	})
}

func FuzzJarArtifacts(f *testing.F) {
	f.Add(makeJar(f, map[string]string{"META-INF/maven/g/a/pom.properties": "groupId=g\nartifactId=a\nversion=1\n"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		JarArtifacts(bytes.NewReader(b), int64(len(b)))
	})
}
