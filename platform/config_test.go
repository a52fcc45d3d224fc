package platform

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestResolveSecretKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	t.Run("from RUNWATCH_SECRET_KEY", func(t *testing.T) {
		c := Config{DataDir: t.TempDir(), SecretKey: base64.StdEncoding.EncodeToString(key)}
		got, from, made, err := c.ResolveSecretKey()
		if err != nil || !bytes.Equal(got, key) || from != "RUNWATCH_SECRET_KEY" || made {
			t.Fatalf("= %x, %s, %v, %v", got, from, made, err)
		}
		if _, err := os.Stat(filepath.Join(c.DataDir, "secret-key")); !os.IsNotExist(err) {
			t.Fatal("a key file was written although the key was given")
		}
	})
	t.Run("a malformed RUNWATCH_SECRET_KEY", func(t *testing.T) {
		c := Config{Listen: "x", DataDir: t.TempDir(), Retention: 240 * 3600e9, SecretKey: base64.StdEncoding.EncodeToString(key[:31])}
		if _, _, _, err := c.ResolveSecretKey(); err == nil || !strings.Contains(err.Error(), "RUNWATCH_SECRET_KEY") || !strings.Contains(err.Error(), "31 bytes") {
			t.Fatalf("resolve: %v", err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "RUNWATCH_SECRET_KEY") {
			t.Fatalf("validate: %v", err)
		}
	})
	t.Run("made once in the data directory, then kept", func(t *testing.T) {
		c := Config{DataDir: filepath.Join(t.TempDir(), "data")}
		first, from, made, err := c.ResolveSecretKey()
		path := filepath.Join(c.DataDir, "secret-key")
		if err != nil || len(first) != 32 || from != path || !made {
			t.Fatalf("first start: %x, %s, %v, %v", first, from, made, err)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", st.Mode(), err)
		}
		again, _, made, err := c.ResolveSecretKey()
		if err != nil || !bytes.Equal(again, first) || made {
			t.Fatalf("second start: %x, %v, %v", again, made, err)
		}
	})
	t.Run("processes starting together agree", func(t *testing.T) {
		c := Config{DataDir: t.TempDir()}
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, _, _, err := c.ResolveSecretKey()
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for _, k := range keys[1:] {
			if !bytes.Equal(k, keys[0]) {
				t.Fatal("two keys were made for one data directory")
			}
		}
	})
	t.Run("a malformed key file is an error, never replaced", func(t *testing.T) {
		c := Config{DataDir: t.TempDir()}
		path := filepath.Join(c.DataDir, "secret-key")
		os.WriteFile(path, []byte("not a key\n"), 0o600)
		if _, _, _, err := c.ResolveSecretKey(); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("resolve: %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
			t.Fatalf("the key file was replaced: %q", b)
		}
	})
}

func TestResolveAdminToken(t *testing.T) {
	t.Run("from the environment", func(t *testing.T) {
		c := Config{AdminToken: "an-admin-token-from-env", DataDir: t.TempDir()}
		tok, from, err := c.ResolveAdminToken()
		if err != nil || tok != "an-admin-token-from-env" || from != "RUNWATCH_ADMIN_TOKEN" {
			t.Fatalf("%q %q %v", tok, from, err)
		}
		if _, err := os.Stat(filepath.Join(c.DataDir, "admin-token")); err == nil {
			t.Fatal("a token file was written although the token was given")
		}
	})
	t.Run("made once in the data directory, then kept", func(t *testing.T) {
		c := Config{DataDir: filepath.Join(t.TempDir(), "data")}
		path := filepath.Join(c.DataDir, "admin-token")
		first, from, err := c.ResolveAdminToken()
		if err != nil || !strings.HasPrefix(string(first), "rwa_") || from != path+" (new)" {
			t.Fatalf("first start: %q %q %v", first, from, err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("token file: %v %v", st, err)
		}
		again, from, err := c.ResolveAdminToken()
		if err != nil || again != first || from != path {
			t.Fatalf("second start: %q %q %v", again, from, err)
		}
	})
	t.Run("a truncated token file is replaced", func(t *testing.T) {
		c := Config{DataDir: t.TempDir()}
		path := filepath.Join(c.DataDir, "admin-token")
		os.WriteFile(path, []byte("short\n"), 0o600)
		tok, _, err := c.ResolveAdminToken()
		if err != nil || len(tok) < 16 {
			t.Fatalf("%q %v", tok, err)
		}
		if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != string(tok) {
			t.Fatalf("file holds %q, token is %q", b, tok)
		}
	})
}
