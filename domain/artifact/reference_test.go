package artifact

import "testing"

func TestParseReference(t *testing.T) {
	const d = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
	tests := []struct {
		in   string
		want string
		name string
	}{
		{"nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx"},
		{"nginx:1.27", "docker.io/library/nginx:1.27", "docker.io/library/nginx"},
		{"bitnami/redis:7", "docker.io/bitnami/redis:7", "docker.io/bitnami/redis"},
		{"docker.io/nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx"},
		{"index.docker.io/library/nginx:1", "docker.io/library/nginx:1", "docker.io/library/nginx"},
		{"ghcr.io/org/app:v1.2.3", "ghcr.io/org/app:v1.2.3", "ghcr.io/org/app"},
		{"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app"},
		{"localhost/app:dev", "localhost/app:dev", "localhost/app"},
		{"registry.example.com:443/team/svc/api@" + d, "registry.example.com:443/team/svc/api@" + d, "registry.example.com:443/team/svc/api"},
		{"nginx:1.27@" + d, "docker.io/library/nginx:1.27@" + d, "docker.io/library/nginx"},
		{"my.registry/a-b/c_d.e:tag-1", "my.registry/a-b/c_d.e:tag-1", "my.registry/a-b/c_d.e"},
	}
	for _, tt := range tests {
		r, err := ParseReference(tt.in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tt.in, err)
			continue
		}
		if r.String() != tt.want || r.Name() != tt.name {
			t.Errorf("ParseReference(%q) = %q (%q), want %q (%q)", tt.in, r.String(), r.Name(), tt.want, tt.name)
		}
	}
	for _, bad := range []string{"", "Nginx", "nginx:", "nginx@sha256", "nginx@", "a//b", "ghcr.io/", "nginx:-x", "-a/b", "a/b-", "x:" + string(make([]byte, 200))} {
		if _, err := ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"nginx", "ghcr.io/o/a:1@sha256:abc", "localhost:5000/x", "a/b/c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		// A parsed reference parses again to itself.
		r2, err := ParseReference(r.String())
		if err != nil || r2 != r {
			t.Fatalf("%q -> %q -> %+v, %v", s, r.String(), r2, err)
		}
	})
}
