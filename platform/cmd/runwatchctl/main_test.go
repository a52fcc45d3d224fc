package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/platform/platformtest"
)

func ctl(t *testing.T, in *platformtest.Instance, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--server", in.URL, "--token", platformtest.AdminToken}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestCLI(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	in.Seed(t, "prod", 30)

	out, _, code := ctl(t, in, "token", "create", "--cluster", "staging", "--description", "ci")
	if code != 0 || !strings.HasPrefix(out, "rwr_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"token list", []string{"token", "list", "--cluster", "staging"}, []string{"staging", "active", "ci"}},
		{"clusters", []string{"clusters"}, []string{"prod", "staging", "connected", "1/1"}},
		{"nodes", []string{"nodes", "--cluster", "prod"}, []string{"node-1", "running", "tracepoint"}},
		{"workloads", []string{"workloads", "--namespace", "shop"}, []string{"Deployment/web", "30", "running"}},
		{"images", []string{"images"}, []string{"docker.io/library/nginx", "nginx:1.27", "2/2"}},
		{"image", []string{"image", platformtest.NginxDigest}, []string{"Deployment/web", "/usr/bin/tool-000", "libssl.so.3", "pkg:deb/debian/libssl3@3.0.15"}},
		{"processes with filters", []string{"processes", "--workload", "web", "--text", "tool-02", "--window", "1h"}, []string{"shop/web-1/nginx", "/usr/bin/tool-020", "/usr/bin/tool-029"}},
		{"files by purl", []string{"files", "--purl", "pkg:deb/debian/libssl3"}, []string{"libssl.so.3", "shared_library"}},
		{"processes sorted by path", []string{"processes", "--sort", "path", "--limit", "2"}, []string{"/usr/bin/tool-000", "/usr/bin/tool-001"}},
		{"overview", []string{"overview"}, []string{"processes", "30", "sensor running 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := ctl(t, in, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// JSON output is the API's own JSON, for scripts; paging with --all.
	out, _, code = ctl(t, in, "-o", "json", "processes", "--limit", "7", "--all")
	if code != 0 {
		t.Fatal(out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	total, pages := 0, 0
	for dec.More() {
		var page struct {
			Processes []struct {
				ExecutablePath string `json:"executablePath"`
			} `json:"processes"`
		}
		if err := dec.Decode(&page); err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(page.Processes)
	}
	if total != 30 || pages != 5 {
		t.Errorf("--all gave %d processes in %d pages, want 30 in 5", total, pages)
	}

	// Errors say what is wrong and exit non-zero.
	for _, args := range [][]string{
		{"token", "create"},
		{"processes", "--window", "forever"},
		{"image", "sha256:nope"},
		{"frobnicate"},
		{"-o", "yaml", "clusters"},
		{"processes", "--sort", "argv"},
	} {
		if _, errs, code := ctl(t, in, args...); code == 0 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	var out2, errb bytes.Buffer
	if code := run(context.Background(), []string{"--server", in.URL, "--token", "wrong-token-123", "clusters"}, strings.NewReader(""), &out2, &errb); code == 0 || !strings.Contains(errb.String(), "unauthenticated") {
		t.Errorf("wrong token: exit %d, %q", code, errb.String())
	}
}
