package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
)

// runIn runs runwatchctl with stdin, and without a token flag: the token
// comes from the environment or the saved login.
func runIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestAccessCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RUNWATCH_CONFIG", filepath.Join(dir, "config.json"))
	t.Setenv("RUNWATCH_DATA_DIR", filepath.Join(dir, "none"))

	// The issuer's side: a key pair and a licence.
	pub, errs, code := runIn(t, "", "license", "keygen", "--private-key", filepath.Join(dir, "signing.key"))
	if code != 0 {
		t.Fatal(errs)
	}
	lic, errs, code := runIn(t, "", "license", "issue", "--private-key", filepath.Join(dir, "signing.key"),
		"--organization", "Example Corp", "--nodes", "25", "--expires", "2099-12-31")
	if code != 0 || !strings.HasPrefix(lic, "rwl1.") {
		t.Fatalf("issue: %q %s", lic, errs)
	}
	in := platformtest.StartWith(t, "sqlite", func(c *platform.Config) { c.LicensePublicKey = strings.TrimSpace(pub) })
	srv := []string{"--server", in.URL}

	// login keeps an API token; later commands use it.
	t.Setenv("RUNWATCH_PASSWORD", platformtest.AdminPassword)
	out, errs, code := runIn(t, "", append(srv, "login", "--username", "admin")...)
	if code != 0 || !strings.Contains(out, "signed in") {
		t.Fatalf("login: %q %s", out, errs)
	}
	st, err := os.Stat(filepath.Join(dir, "config.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v %v", st, err)
	}
	t.Setenv("RUNWATCH_PASSWORD", "")
	steps := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"whoami", "", []string{"whoami"}, "admin, admin, as api_token"},
		{"create a user, password on stdin", "viewer-password-0123\n", []string{"users", "create", "val", "--role", "viewer"}, "val"},
		{"list users", "", []string{"users", "list"}, "viewer"},
		{"disable a user", "", []string{"users", "update", "val", "--disable"}, "disabled"},
		{"make an API token", "", []string{"api-token", "create", "--name", "ci", "--role", "viewer"}, "rwk_"},
		{"list API tokens", "", []string{"api-token", "list"}, "ci"},
		{"apply a licence", lic, []string{"license", "apply", "-"}, "sensors on up to 25 nodes"},
		{"show the licence", "", []string{"license", "show"}, "Example Corp"},
		{"audit", "", []string{"audit"}, "AdminService/ApplyLicense"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, errs, code := runIn(t, s.stdin, append(srv, s.args...)...)
			if code != 0 || !strings.Contains(out, s.want) {
				t.Errorf("exit %d, out %q, err %q; want %q", code, out, errs, s.want)
			}
		})
	}
	// A wrong password fails clearly.
	t.Setenv("RUNWATCH_PASSWORD", "not-the-password")
	if _, errs, code := runIn(t, "", append(srv, "login", "--username", "admin")...); code == 0 || !strings.Contains(errs, "wrong username or password") {
		t.Errorf("bad login: exit %d %q", code, errs)
	}
}
