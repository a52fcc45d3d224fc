package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func mustNew(t testing.TB, key []byte, origin string) *AESGCM {
	t.Helper()
	a, err := New(key, origin)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var (
	keyA = bytes.Repeat([]byte{0xA1}, KeySize)
	keyB = bytes.Repeat([]byte{0xB2}, KeySize)
)

func TestSealOpen(t *testing.T) {
	a := mustNew(t, keyA, "RUNWATCH_SECRET_KEY")
	for _, plain := range []string{"s3cret", "", "ünïcode and spaces ", strings.Repeat("x", 10_000)} {
		sealed, err := a.Seal(plain, "integration/corp")
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && strings.Contains(sealed, plain) {
			t.Fatalf("sealed text holds the secret: %s", sealed)
		}
		if !IsSealed(sealed) || !strings.HasPrefix(sealed, "rwsec1:"+a.KeyID()+":") {
			t.Fatalf("sealed %q", sealed)
		}
		got, wasSealed, err := a.Open(sealed, "integration/corp")
		if err != nil || !wasSealed || got != plain {
			t.Fatalf("open = %q, %v, %v; want %q", got, wasSealed, err, plain)
		}
	}
	// Every seal has its own nonce.
	x, _ := a.Seal("same", "integration/corp")
	y, _ := a.Seal("same", "integration/corp")
	if x == y {
		t.Fatal("two seals of one secret are identical: the nonce repeats")
	}
}

func TestOpenRefuses(t *testing.T) {
	a := mustNew(t, keyA, "RUNWATCH_SECRET_KEY")
	b := mustNew(t, keyB, "/data/secret-key")
	sealed, _ := a.Seal("s3cret", "integration/corp")
	payload := strings.TrimPrefix(sealed, "rwsec1:"+a.KeyID()+":")
	raw, _ := base64.RawStdEncoding.DecodeString(payload)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name    string
		by      *AESGCM
		stored  string
		boundTo string
		want    string
	}{
		{"another key", b, sealed, "integration/corp", "sealed under key " + a.KeyID() + ", and this platform's key (from /data/secret-key) is " + b.KeyID()},
		{"another record", a, sealed, "integration/other", "belongs to another record"},
		{"altered ciphertext", a, "rwsec1:" + a.KeyID() + ":" + base64.RawStdEncoding.EncodeToString(flipped), "integration/corp", "altered"},
		{"no key id", a, "rwsec1:abc", "integration/corp", "no key id"},
		{"not base64", a, "rwsec1:" + a.KeyID() + ":***", "integration/corp", "malformed"},
		{"too short", a, "rwsec1:" + a.KeyID() + ":AAAA", "integration/corp", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wasSealed, err := tt.by.Open(tt.stored, tt.boundTo)
			if err == nil || got != "" || !wasSealed {
				t.Fatalf("open = %q, %v, %v; want an error and no plaintext", got, wasSealed, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
	if _, _, err := b.Open(sealed, "integration/corp"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("another key: %v is not ErrWrongKey", err)
	}
}

func TestOpenPlainText(t *testing.T) {
	a := mustNew(t, keyA, "test")
	for _, s := range []string{"", "hunter2", "rwsec2:not-ours", "RWSEC1:case"} {
		got, sealed, err := a.Open(s, "webhook/ops")
		if err != nil || sealed || got != s {
			t.Fatalf("open(%q) = %q, %v, %v; want it back unsealed", s, got, sealed, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"standard base64", base64.StdEncoding.EncodeToString(keyA), true},
		{"with a newline", base64.StdEncoding.EncodeToString(keyA) + "\n", true},
		{"unpadded", base64.RawStdEncoding.EncodeToString(keyA), true},
		{"URL alphabet", base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xFB}, 32)), true},
		{"16 bytes", base64.StdEncoding.EncodeToString(keyA[:16]), false},
		{"not base64", "not a key!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKey = %x, %v", k, err)
			}
			if err != nil && !strings.Contains(err.Error(), "openssl rand -base64 32") {
				t.Fatalf("the error %q does not say how to make a key", err)
			}
		})
	}
	if _, err := New(keyA[:16], "x"); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
}

// FuzzOpen: whatever the database holds, Open never panics, gives text
// that was never sealed back as is, and gives no plaintext with an error.
func FuzzOpen(f *testing.F) {
	a := mustNew(f, keyA, "fuzz")
	sealed, _ := a.Seal("s3cret", "integration/corp")
	for _, s := range []string{sealed, "", "plain", "rwsec1:", "rwsec1::", "rwsec1:" + a.KeyID() + ":", "rwsec1:" + a.KeyID() + ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", sealed[:len(sealed)-3]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stored string) {
		got, wasSealed, err := a.Open(stored, "integration/corp")
		if !IsSealed(stored) && (wasSealed || err != nil || got != stored) {
			t.Fatalf("unsealed text %q came back as %q, %v, %v", stored, got, wasSealed, err)
		}
		if err != nil && got != "" {
			t.Fatalf("an error with plaintext %q", got)
		}
		if err == nil && wasSealed && stored != sealed && got == "s3cret" {
			// Another encoding of the same ciphertext would be fine; a
			// different ciphertext opening to the secret is a forgery.
			if _, _, err2 := a.Open(stored, "integration/other"); err2 == nil {
				t.Fatalf("%q opens for any record", stored)
			}
		}
	})
}

// BenchmarkOpen is the cost a store pays per secret it reads (every list
// of integrations opens each one).
func BenchmarkOpen(b *testing.B) {
	a := mustNew(b, keyA, "bench")
	sealed, _ := a.Seal("a-registry-access-token-of-64-characters-0123456789abcdef012345", "integration/corp")
	for b.Loop() {
		if _, _, err := a.Open(sealed, "integration/corp"); err != nil {
			b.Fatal(err)
		}
	}
}
