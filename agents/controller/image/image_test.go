package image

import (
	"errors"
	"strings"
	"testing"
)

const (
	hexA = "4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"
	hexB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want Reference
	}{
		{"nginx", Reference{Domain: "docker.io", Path: "library/nginx"}},
		{"nginx:1.27", Reference{Domain: "docker.io", Path: "library/nginx", Tag: "1.27"}},
		{"docker.io/nginx:1.27", Reference{Domain: "docker.io", Path: "library/nginx", Tag: "1.27"}},
		{"index.docker.io/library/nginx", Reference{Domain: "docker.io", Path: "library/nginx"}},
		{"bitnami/redis:7.2", Reference{Domain: "docker.io", Path: "bitnami/redis", Tag: "7.2"}},
		{"ghcr.io/org/team/app:v1.2.3-rc.1", Reference{Domain: "ghcr.io", Path: "org/team/app", Tag: "v1.2.3-rc.1"}},
		{"localhost/app", Reference{Domain: "localhost", Path: "app"}},
		{"localhost:5000/app:dev", Reference{Domain: "localhost:5000", Path: "app", Tag: "dev"}},
		{"registry.k8s.io/pause:3.10", Reference{Domain: "registry.k8s.io", Path: "pause", Tag: "3.10"}},
		{"10.0.0.1:5000/ns/app", Reference{Domain: "10.0.0.1:5000", Path: "ns/app"}},
		{"[fd00::1]:5000/app", Reference{Domain: "[fd00::1]:5000", Path: "app"}},
		{"Registry/app", Reference{Domain: "Registry", Path: "app"}},
		{"nginx@sha256:" + hexA, Reference{Domain: "docker.io", Path: "library/nginx", Digest: Digest("sha256:" + hexA)}},
		{"quay.io/a/b:1@sha256:" + hexA, Reference{Domain: "quay.io", Path: "a/b", Tag: "1", Digest: Digest("sha256:" + hexA)}},
		{"my_org/my__app-x--y.z", Reference{Domain: "docker.io", Path: "my_org/my__app-x--y.z"}},
		{"nginx:" + strings.Repeat("a", 128), Reference{Domain: "docker.io", Path: "library/nginx", Tag: strings.Repeat("a", 128)}},
	}
	for _, tt := range tests {
		got, err := ParseReference(tt.in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseReference(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseReferenceRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"Nginx",    // upper case in a path
		"nginx:",   // empty tag
		":1.0",     // no name
		"nginx:-x", // tag starts with a dash
		"nginx:" + strings.Repeat("a", 129),
		"nginx@sha256:abc", // short digest
		"nginx@sha256:" + strings.ToUpper(hexA),
		"nginx@" + hexA,     // no algorithm
		"a//b",              // empty component
		"-a/b",              // component starts with a separator
		"a/b-",              // component ends with a separator
		"a/b_-c",            // two separators
		"a/b___c",           // three underscores
		"reg.io:port/app",   // non-numeric port
		"reg.io:123456/app", // port too long
		"[fd00::1/app",      // unterminated IPv6
		"-reg.io/app",       // host label starts with a dash
		"reg..io/app",       // empty host label
		"app with space",
		"a/" + strings.Repeat("b", 255),
		"nginx@sha256:" + hexA + "@sha256:" + hexA,
	} {
		if got, err := ParseReference(in); err == nil {
			t.Errorf("ParseReference(%q) = %+v, want an error", in, got)
		}
	}
}

func TestReferenceString(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                        "docker.io/library/nginx",
		"nginx:1.27":                   "docker.io/library/nginx:1.27",
		"ghcr.io/a/b@sha256:" + hexA:   "ghcr.io/a/b@sha256:" + hexA,
		"ghcr.io/a/b:1@sha256:" + hexA: "ghcr.io/a/b:1@sha256:" + hexA,
		"localhost:5000/app:dev":       "localhost:5000/app:dev",
	} {
		ref, err := ParseReference(in)
		if err != nil {
			t.Fatalf("ParseReference(%q): %v", in, err)
		}
		if got := ref.String(); got != want {
			t.Errorf("ParseReference(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestParseDigest(t *testing.T) {
	for in, wantErr := range map[string]bool{
		"sha256:" + hexA:                     false,
		"sha512:" + hexA + hexB:              false,
		"blake3:" + hexA:                     false, // unregistered but well-formed
		"multihash+base58:" + hexA:           false,
		"sha256:" + hexA[:63]:                true,
		"sha256:" + hexA + "0":               true,
		"sha512:" + hexA:                     true,
		"SHA256:" + hexA:                     true,
		"sha256:" + strings.ToUpper(hexA):    true,
		"sha256":                             true,
		":" + hexA:                           true,
		"sha256:":                            true,
		"x:abc":                              true,
		"sha256:" + hexA[:60] + "ghij":       true,
		"-sha:" + hexA:                       true,
		"sh__a:" + hexA:                      true,
		"blake3:" + strings.Repeat("a", 257): true,
	} {
		d, err := ParseDigest(in)
		if gotErr := err != nil; gotErr != wantErr {
			t.Errorf("ParseDigest(%q) error = %v, want error %v", in, err, wantErr)
		}
		if err == nil && string(d) != in {
			t.Errorf("ParseDigest(%q) = %q", in, d)
		}
	}
	if a := Digest("sha256:" + hexA).Algorithm(); a != "sha256" {
		t.Errorf("Algorithm() = %q", a)
	}
}

func TestParseID(t *testing.T) {
	dA := Digest("sha256:" + hexA)
	tests := []struct {
		in   string
		want ID
	}{
		// Docker through cri-dockerd.
		{"docker-pullable://nginx@sha256:" + hexA, ID{Scheme: "docker-pullable", Kind: RepoDigest, Repository: "docker.io/library/nginx", Digest: dA}},
		{"docker-pullable://registry.example.com:5000/team/app@sha256:" + hexA, ID{Scheme: "docker-pullable", Kind: RepoDigest, Repository: "registry.example.com:5000/team/app", Digest: dA}},
		{"docker://sha256:" + hexA, ID{Scheme: "docker", Kind: LocalID, Digest: dA}},
		// containerd and CRI-O.
		{"docker.io/library/nginx@sha256:" + hexA, ID{Kind: RepoDigest, Repository: "docker.io/library/nginx", Digest: dA}},
		{"quay.io/org/app:v1@sha256:" + hexA, ID{Kind: RepoDigest, Repository: "quay.io/org/app", Digest: dA}},
		{"sha256:" + hexA, ID{Kind: LocalID, Digest: dA}},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.in)
		if err != nil {
			t.Errorf("ParseID(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseID(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseIDRejects(t *testing.T) {
	if _, err := ParseID(""); !errors.Is(err, ErrEmptyID) {
		t.Errorf("ParseID(\"\") = %v, want ErrEmptyID", err)
	}
	for _, in := range []string{
		"nginx:1.27",                // a tag is not an id
		"docker-pullable://nginx",   // no digest
		"docker://" + hexA,          // no algorithm
		"sha256:" + hexA[:10],       // truncated
		"://sha256:" + hexA,         // empty scheme
		"DOCKER://sha256:" + hexA,   // invalid scheme
		"nginx@sha256:" + hexA[:63], // short digest
		"@sha256:" + hexA,           // no repository
		"docker-pullable://Nginx@sha256:" + hexA,
	} {
		if got, err := ParseID(in); err == nil {
			t.Errorf("ParseID(%q) = %+v, want an error", in, got)
		}
	}
}

func TestResolveRunning(t *testing.T) {
	dA, dB := Digest("sha256:"+hexA), Digest("sha256:"+hexB)
	tests := []struct {
		name, spec, id string
		want           Digest
		wantRepo       string
		wantNote       bool
	}{
		{"repo digest from containerd", "nginx:1.27", "docker.io/library/nginx@" + string(dA), dA, "docker.io/library/nginx", false},
		{"repo digest from docker", "nginx:1.27", "docker-pullable://nginx@" + string(dA), dA, "docker.io/library/nginx", false},
		{"the image id wins over the spec", "nginx@" + string(dB), "docker.io/library/nginx@" + string(dA), dA, "docker.io/library/nginx", false},
		{"local id with a pinned spec", "ghcr.io/a/b@" + string(dB), "sha256:" + hexA, dB, "ghcr.io/a/b", true},
		{"local id with a tag only", "ghcr.io/a/b:1", "sha256:" + hexA, "", "", true},
		{"docker local id with a tag only", "app:dev", "docker://sha256:" + hexA, "", "", true},
		{"no image id yet, pinned spec", "nginx@" + string(dB), "", "", "", true},
		{"malformed image id", "nginx:1.27", "nonsense", "", "", true},
		{"malformed spec, repo digest id", "not a ref", "docker.io/library/nginx@" + string(dA), dA, "docker.io/library/nginx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ResolveRunning(tt.spec, tt.id)
			if got.Digest != tt.want || got.Repository != tt.wantRepo || (got.Note != "") != tt.wantNote {
				t.Errorf("ResolveRunning(%q, %q) = %+v, want digest %q repo %q note %v", tt.spec, tt.id, got, tt.want, tt.wantRepo, tt.wantNote)
			}
		})
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.27", "ghcr.io/org/app:v1@sha256:" + hexA, "localhost:5000/a/b",
		"[fd00::1]:5000/app", "a/b__c--d.e", "Registry/app", "nginx@sha256:" + hexA, "", ":", "@", "a:b:c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseReference(s)
		if err != nil {
			return
		}
		if ref.Domain == "" || ref.Path == "" {
			t.Fatalf("ParseReference(%q) = %+v: empty domain or path", s, ref)
		}
		// The normal form parses back to itself.
		again, err := ParseReference(ref.String())
		if err != nil {
			t.Fatalf("ParseReference(%q).String() = %q does not parse: %v", s, ref.String(), err)
		}
		if again != ref {
			t.Fatalf("round trip of %q: %+v, then %+v", s, ref, again)
		}
		if ref.Digest != "" {
			if _, err := ParseDigest(string(ref.Digest)); err != nil {
				t.Fatalf("ParseReference(%q) kept an invalid digest: %v", s, err)
			}
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"docker-pullable://nginx@sha256:" + hexA, "docker://sha256:" + hexA, "sha256:" + hexA,
		"docker.io/library/nginx@sha256:" + hexA, "quay.io/a/b:1@sha256:" + hexA, "", "://", "x://y@z",
	} {
		f.Add(s, "nginx:1.27")
	}
	f.Add("sha256:"+hexA, "nginx@sha256:"+hexB)
	f.Fuzz(func(t *testing.T, id, spec string) {
		got, err := ParseID(id)
		if err == nil {
			if _, derr := ParseDigest(string(got.Digest)); derr != nil {
				t.Fatalf("ParseID(%q) kept an invalid digest %q", id, got.Digest)
			}
			switch got.Kind {
			case RepoDigest:
				if got.Repository == "" {
					t.Fatalf("ParseID(%q): a repo digest without a repository", id)
				}
			case LocalID:
				if got.Repository != "" {
					t.Fatalf("ParseID(%q): a local id with a repository", id)
				}
			default:
				t.Fatalf("ParseID(%q): kind %v", id, got.Kind)
			}
		}
		// Whatever the input, a digest is reported only when the id is a
		// repo digest or the spec pins one: never a local id.
		r := ResolveRunning(spec, id)
		if r.Digest == "" {
			if r.Note == "" {
				t.Fatalf("ResolveRunning(%q, %q): no digest and no note", spec, id)
			}
			return
		}
		if err == nil && got.Kind == RepoDigest {
			if r.Digest != got.Digest {
				t.Fatalf("ResolveRunning(%q, %q) = %q, the image id says %q", spec, id, r.Digest, got.Digest)
			}
			return
		}
		ref, serr := ParseReference(spec)
		if serr != nil || ref.Digest != r.Digest || err != nil {
			t.Fatalf("ResolveRunning(%q, %q) = %+v: a digest from neither a repo digest nor a pinned spec", spec, id, r)
		}
	})
}
