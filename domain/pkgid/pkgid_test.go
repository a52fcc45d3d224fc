package pkgid

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"
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
	want := []Deb{{Name: "dash", Version: "0.5.12-2", Architecture: "amd64"}, {Name: "libc6", Version: "2.36-9+deb12u4", Architecture: "amd64"}}
	if !slices.Equal(pkgs, want) {
		t.Errorf("got %+v", pkgs)
	}
	if _, err := ParseDpkgStatus(strings.NewReader("Package: x\nthis line has no colon\n")); err == nil {
		t.Error("corrupt status: want an error")
	}
}

func TestPURLs(t *testing.T) {
	deb := Deb{Name: "libc6", Version: "1:2.36-9+deb12u4", Architecture: "amd64"}.PURL(OSRelease{ID: "debian", VersionID: "12"}).String()
	if deb != "pkg:deb/debian/libc6@1%3A2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12" {
		t.Errorf("deb %s", deb)
	}
	if g := GoPURL("github.com/cilium/ebpf", "v0.22.0").String(); g != "pkg:golang/github.com/cilium/ebpf@v0.22.0" {
		t.Errorf("golang %s", g)
	}
	if m := (MavenArtifact{"org.apache.commons", "commons-lang3", "3.14.0"}).PURL().String(); m != "pkg:maven/org.apache.commons/commons-lang3@3.14.0" {
		t.Errorf("maven %s", m)
	}
	if a := (Apk{Name: "musl", Version: "1.2.5-r0", Architecture: "x86_64"}).PURL(OSRelease{ID: "alpine", VersionID: "3.20.3"}).String(); a != "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3" {
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
	arts, err := JarArtifacts(bytes.NewReader(jar), int64(len(jar)), JarLimits{})
	if err != nil {
		t.Fatal(err)
	}
	var purls []string
	for _, a := range arts {
		purls = append(purls, a.PURL().String())
	}
	slices.Sort(purls)
	want := []string{"pkg:maven/com.example/app@1.0.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
	if !slices.Equal(purls, want) {
		t.Errorf("got %v", purls)
	}
	if _, err := JarArtifacts(bytes.NewReader([]byte("not a zip")), 9, JarLimits{}); err == nil {
		t.Error("not a zip: want an error")
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
			_ = a.PURL().String()
		}
	})
}

func FuzzJarArtifacts(f *testing.F) {
	f.Add(makeJar(f, map[string]string{"META-INF/maven/g/a/pom.properties": "groupId=g\nartifactId=a\nversion=1\n"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		JarArtifacts(bytes.NewReader(b), int64(len(b)), JarLimits{MaxNested: 1 << 20})
	})
}

func TestSourcePackagesBecomeUpstream(t *testing.T) {
	pkgs, err := ParseDpkgStatus(strings.NewReader("Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.15-1)\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n"))
	if err != nil || len(pkgs) != 1 || pkgs[0].Source != "openssl" {
		t.Fatalf("got %+v %v", pkgs, err)
	}
	if p := pkgs[0].PURL(OSRelease{ID: "debian", VersionID: "12"}).String(); p != "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl" {
		t.Errorf("deb %s", p)
	}
	apks, err := ParseApkInstalled(strings.NewReader("P:libcrypto3\nV:3.3.2-r0\no:openssl\n"))
	if err != nil || len(apks) != 1 {
		t.Fatalf("got %+v %v", apks, err)
	}
	if p := apks[0].PURL(OSRelease{ID: "alpine", VersionID: "3.20.3"}).String(); p != "pkg:apk/alpine/libcrypto3@3.3.2-r0?distro=alpine-3.20.3&upstream=openssl" {
		t.Errorf("apk %s", p)
	}
}

func TestNestedJars(t *testing.T) {
	inner := makeJar(t, map[string]string{"META-INF/maven/org.yaml/snakeyaml/pom.properties": "groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n"})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("BOOT-INF/lib/snakeyaml-1.33.jar")
	w.Write(inner)
	zw.Close()
	outer := buf.Bytes()
	for _, tt := range []struct {
		lim  JarLimits
		want int
	}{{JarLimits{}, 0}, {JarLimits{MaxNested: 1 << 20}, 1}, {JarLimits{MaxNested: 10}, 0}} {
		arts, err := JarArtifacts(bytes.NewReader(outer), int64(len(outer)), tt.lim)
		if err != nil || len(arts) != tt.want {
			t.Errorf("limits %+v: %v %v, want %d artifacts", tt.lim, arts, err, tt.want)
		}
	}
}

func TestParseOSRelease(t *testing.T) {
	o := ParseOSRelease(strings.NewReader("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=Debian\nnot a line\n"))
	if o != (OSRelease{ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}) {
		t.Fatalf("%+v", o)
	}
}
