package catalog_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/adapters/catalog"
	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

var ctx = context.Background()

func image(layers ...[]byte) ports.ImageContent {
	img := ports.ImageContent{Digest: "sha256:test"}
	for i, l := range layers {
		data := l
		sum := sha256.Sum256(data)
		img.Layers = append(img.Layers, ports.Layer{
			Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Size: int64(len(data)),
			Open: func(context.Context) (io.ReadCloser, error) { _ = i; return io.NopCloser(bytes.NewReader(data)), nil },
		})
	}
	return img
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func component(t *testing.T, c ports.Catalogue, prefix string) risk.Component {
	t.Helper()
	for _, comp := range c.Components {
		if strings.HasPrefix(comp.PURL, prefix) {
			return comp
		}
	}
	var all []string
	for _, comp := range c.Components {
		all = append(all, comp.PURL)
	}
	t.Fatalf("no component %s in %d components: %.2000s", prefix, len(all), strings.Join(all, "\n"))
	return risk.Component{}
}

// An image built from real files: this machine's dpkg database and C
// library, a Go binary compiled now against golang.org/x/text v0.3.5, a
// Spring Boot style jar, an apk database, across layers with whiteouts.
func TestCatalogueRealFiles(t *testing.T) {
	bin := catalogtest.GoBinary(t, t.TempDir())
	binData, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	status := catalogtest.HostFile(t, "/var/lib/dpkg/status")
	list := catalogtest.HostFile(t, "/var/lib/dpkg/info/libc6:amd64.list")
	libc := catalogtest.HostFile(t, "/lib/x86_64-linux-gnu/libc.so.6")
	osRelease := catalogtest.HostFile(t, "/etc/os-release")
	inner := catalogtest.Jar(t, "org.apache.logging.log4j", "log4j-core", "2.14.1", nil)
	app := catalogtest.Jar(t, "com.example", "shop", "1.0.0", map[string][]byte{"log4j-core-2.14.1.jar": inner})

	base := catalogtest.Layer(t, osRelease, status, list, libc,
		catalogtest.File{Name: "usr/bin/removed-later", Data: []byte("\x7fELF gone"), Mode: 0o755},
		catalogtest.File{Name: "opt/old/tool", Data: []byte("#!/bin/sh\n"), Mode: 0o755})
	appLayer := catalogtest.Layer(t,
		catalogtest.File{Name: "app/langserver", Data: binData, Mode: 0o755},
		catalogtest.File{Name: "app/shop.jar", Data: app},
		catalogtest.File{Name: "usr/bin/.wh.removed-later"},
		catalogtest.File{Name: "opt/old/.wh..wh..opq"},
		catalogtest.File{Name: "../../etc/evil", Data: []byte("\x7fELF escaped"), Mode: 0o755},
		catalogtest.File{Name: "app/link", Typeflag: tar.TypeSymlink, Linkname: "/../../etc/shadow"})

	c, err := catalog.New().Catalogue(ctx, image(base, appLayer))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Distro, "debian-") {
		t.Errorf("distro %q", c.Distro)
	}
	text := component(t, c, "pkg:golang/golang.org/x/text@v0.3.5")
	if len(text.Files) != 1 || text.Files[0].Path != "/app/langserver" || text.Files[0].SHA256 != sha(binData) {
		t.Errorf("x/text files %+v", text.Files)
	}
	component(t, c, "pkg:golang/stdlib@1.")
	component(t, c, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
	shop := component(t, c, "pkg:maven/com.example/shop@1.0.0")
	if shop.Files[0].Path != "/app/shop.jar" || shop.Files[0].SHA256 != sha(app) {
		t.Errorf("jar files %+v", shop.Files)
	}
	libc6 := component(t, c, "pkg:deb/debian/libc6@")
	if !strings.Contains(libc6.PURL, "distro=debian-") || !strings.Contains(libc6.PURL, "upstream=glibc") {
		t.Errorf("libc6 purl %s", libc6.PURL)
	}
	if !slices.ContainsFunc(libc6.Files, func(f risk.ComponentFile) bool {
		return f.Path == "/lib/x86_64-linux-gnu/libc.so.6" && f.SHA256 == sha(libc.Data)
	}) {
		t.Errorf("libc6 does not own the hashed libc.so.6: %+v", libc6.Files)
	}
	for _, comp := range c.Components {
		for _, f := range comp.Files {
			if f.Path == "/usr/bin/removed-later" || strings.HasPrefix(f.Path, "/opt/old/") || strings.Contains(f.Path, "evil") {
				t.Errorf("whited-out or escaping file %s catalogued in %s", f.Path, comp.PURL)
			}
		}
	}
}

func TestCatalogueAlpine(t *testing.T) {
	installed := "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\n" +
		"C:Q1def=\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\nF:usr/lib\nR:libcrypto.so.3\nR:../../../../etc/escape\n\n"
	l := catalogtest.Layer(t,
		catalogtest.File{Name: "etc/os-release", Data: []byte("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n")},
		catalogtest.File{Name: "lib/apk/db/installed", Data: []byte(installed)},
		catalogtest.File{Name: "lib/ld-musl-x86_64.so.1", Data: []byte("\x7fELF musl"), Mode: 0o755},
		catalogtest.File{Name: "usr/lib/libcrypto.so.3", Data: []byte("\x7fELF crypto"), Mode: 0o755})
	c, err := catalog.New().Catalogue(ctx, image(l))
	if err != nil {
		t.Fatal(err)
	}
	crypto := component(t, c, "pkg:apk/alpine/libcrypto3@3.1.4-r0")
	if crypto.PURL != "pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&distro=alpine-3.19.1&upstream=openssl" {
		t.Errorf("purl %s", crypto.PURL)
	}
	if len(crypto.Files) != 1 || crypto.Files[0].SHA256 != sha([]byte("\x7fELF crypto")) {
		t.Errorf("files %+v", crypto.Files)
	}
	component(t, c, "pkg:apk/alpine/musl@1.2.4-r2")
}

// Bombs and lies stop with a limit error, in bounded memory.
func TestCatalogueLimits(t *testing.T) {
	zeros := catalogtest.Layer(t, catalogtest.File{Name: "zeros", Data: make([]byte, 8<<20), Mode: 0o755})
	cat := &catalog.Cataloguer{Limits: catalog.DefaultLimits}
	cat.Limits.MaxImageBytes = 4 << 20
	if _, err := cat.Catalogue(ctx, image(zeros)); !errors.Is(err, catalog.ErrLimit) {
		t.Fatalf("uncompressed limit: %v", err)
	}
	many := make([]catalogtest.File, 50)
	for i := range many {
		many[i] = catalogtest.File{Name: "f" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
	}
	cat = &catalog.Cataloguer{Limits: catalog.DefaultLimits}
	cat.Limits.MaxEntries = 10
	if _, err := cat.Catalogue(ctx, image(catalogtest.Layer(t, many...))); !errors.Is(err, catalog.ErrLimit) {
		t.Fatalf("entry limit: %v", err)
	}
	cat = &catalog.Cataloguer{Limits: catalog.DefaultLimits}
	cat.Limits.MaxMetadataBytes = 100
	big := catalogtest.Layer(t, catalogtest.File{Name: "var/lib/dpkg/status", Data: bytes.Repeat([]byte("Package: x\n"), 100)})
	if _, err := cat.Catalogue(ctx, image(big)); !errors.Is(err, catalog.ErrLimit) {
		t.Fatalf("metadata limit: %v", err)
	}
	if _, err := catalog.New().Catalogue(ctx, image([]byte("\x28\xb5\x2f\xfd not really zstd"))); err == nil || !strings.Contains(err.Error(), "zstd") {
		t.Fatalf("zstd: %v", err)
	}
	if _, err := catalog.New().Catalogue(ctx, image([]byte("\x1f\x8b garbage"))); err == nil {
		t.Fatal("a corrupt gzip layer was accepted")
	}
}

func FuzzCatalogueLayer(f *testing.F) {
	installed := []byte("P:musl\nV:1.2.4-r2\nF:lib\nR:x\n\n")
	f.Add(catalogtest.Layer(f,
		catalogtest.File{Name: "lib/apk/db/installed", Data: installed},
		catalogtest.File{Name: "var/lib/dpkg/status", Data: []byte("Package: a\nVersion: 1\nStatus: install ok installed\n\n")},
		catalogtest.File{Name: "a.jar", Data: catalogtest.Jar(f, "g", "a", "1", nil)},
		catalogtest.File{Name: "x/.wh..wh..opq"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat := &catalog.Cataloguer{Limits: catalog.Limits{MaxImageBytes: 16 << 20, MaxEntries: 1000,
			MaxMetadataBytes: 1 << 20, MaxBinaryBytes: 8 << 20, MaxArchiveEntries: 1000}, TempDir: t.TempDir()}
		c, err := cat.Catalogue(ctx, image(data))
		if err != nil {
			return
		}
		for _, comp := range c.Components {
			for _, f := range comp.Files {
				if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "/../") {
					t.Fatalf("unnormalised path %q", f.Path)
				}
			}
		}
	})
}
