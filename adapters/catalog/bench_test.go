package catalog_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/catalog"
	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
)

// hostTree takes up to max bytes of real files under dirs of this machine,
// in three layers, plus its dpkg database.
func hostTree(b *testing.B, max int64, dirs ...string) [][]byte {
	var files []catalogtest.File
	var total int64
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || total >= max || !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err != nil || total+info.Size() > max {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			info, _ := d.Info()
			files = append(files, catalogtest.File{Name: strings.TrimPrefix(p, "/"), Data: data, Mode: int64(info.Mode().Perm())})
			total += int64(len(data))
			return nil
		})
	}
	files = append(files, catalogtest.HostFile(b, "/var/lib/dpkg/status"), catalogtest.HostFile(b, "/etc/os-release"))
	third := len(files) / 3
	return [][]byte{
		catalogtest.Layer(b, files[:third]...),
		catalogtest.Layer(b, files[third:2*third]...),
		catalogtest.Layer(b, files[2*third:]...),
	}
}

// BenchmarkCatalogue100MB catalogues an image of about 100 MB of real
// executables and libraries of this machine (uncompressed), and reports
// the peak Go heap while doing so.
func BenchmarkCatalogue100MB(b *testing.B) {
	layers := hostTree(b, 100<<20, "/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/local/go/bin", "/usr/local/go/pkg/tool")
	img := image(layers...)
	var compressed int64
	for _, l := range layers {
		compressed += int64(len(l))
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	var uncompressed int64
	var comps int
	b.ResetTimer()
	for b.Loop() {
		c, err := catalog.New().Catalogue(ctx, img)
		if err != nil {
			b.Fatal(err)
		}
		uncompressed, comps = c.Bytes, len(c.Components)
	}
	close(stop)
	b.ReportMetric(float64(uncompressed)/(1<<20), "MB-uncompressed")
	b.ReportMetric(float64(compressed)/(1<<20), "MB-compressed")
	b.ReportMetric(float64(comps), "components")
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "MB-peak-heap-above-baseline")
}
