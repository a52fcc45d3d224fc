// Package web holds the browser UI: its TypeScript sources (src/), the
// built bundle (dist/, committed and embedded here, so the platform binary
// alone serves the UI) and the HTTP handler that serves it.
package web

import (
	"embed"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built bundle: index.html and assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// Only possible if the embed pattern above changes.
		panic(err)
	}
	return sub
}

// Handler serves the bundle with client-side routing: a GET of any path
// that is not a file of the bundle, not an API path and does not look like
// a file name answers index.html, so /workloads?namespace=shop is a link
// that works. Hashed assets are cached for a year; index.html never, so a
// new platform version is picked up on the next load.
func Handler(bundle fs.FS) http.Handler {
	files := http.FileServerFS(bundle)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		if isAPIPath(p) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		name := strings.TrimPrefix(p, "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(bundle, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
			// A missing file (a stale asset, a typo) is a 404, not the app.
			if path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
		}
		serveIndex(w, r, bundle)
	})
}

// isAPIPath says whether a path belongs to the API (Connect and gRPC
// procedures are /<package>.<Service>/<Method>): an unknown procedure must
// be a 404, not the UI's index.html.
func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/runwatch.") || strings.HasPrefix(p, "/grpc.")
}

func serveIndex(w http.ResponseWriter, r *http.Request, bundle fs.FS) {
	f, err := bundle.Open("index.html")
	if err != nil {
		http.Error(w, "the web UI is not built into this binary", http.StatusNotFound)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// The UI talks only to its own origin; nothing may frame it.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "index.html is not seekable", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, "index.html", time.Time{}, rs)
}
