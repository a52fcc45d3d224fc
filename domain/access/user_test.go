package access

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
)

func TestValidateUsernameAndPassword(t *testing.T) {
	for name, ok := range map[string]bool{"alice": true, "bob.smith": true, "ci-bot_2": true, "a1b": true,
		"al": false, "Alice": false, "-x-": false, ".abc": false, "al ice": false, strings.Repeat("a", 65): false} {
		if err := ValidateUsername(name); (err == nil) != ok {
			t.Errorf("ValidateUsername(%q) = %v", name, err)
		}
	}
	for pw, ok := range map[string]bool{"correct horse battery": true, "short": false, "ünïcödé-pässwörd": true,
		strings.Repeat("x", 300): false, "alice-alice-1": true} {
		if err := ValidatePassword("alice", pw); (err == nil) != ok {
			t.Errorf("ValidatePassword(%q) = %v", pw, err)
		}
	}
	if err := ValidatePassword("alicealicealice", "alicealicealice"); err == nil {
		t.Error("a password equal to the username was accepted")
	}
}

func TestAPITokens(t *testing.T) {
	viewer := Principal{Kind: User, Role: RoleViewer, UserID: "u1", Username: "val"}
	admin := Principal{Kind: User, Role: RoleAdmin, UserID: "u2", Username: "ada"}
	text, rec, err := NewAPIToken(rand.Reader, viewer, "ci", "", 0, now)
	if err != nil || rec.Role != RoleViewer || rec.Username != "val" || !rec.ExpiresAt.Equal(now.Add(DefaultAPITokenTTL)) || !strings.HasPrefix(text, APITokenPrefix) {
		t.Fatalf("NewAPIToken = %q %+v %v", text, rec, err)
	}
	if id, err := ParseAPIToken(text); err != nil || id != rec.ID {
		t.Fatalf("ParseAPIToken = %q %v", id, err)
	}
	if err := rec.Verify(text, now); err != nil {
		t.Fatal(err)
	}
	if err := rec.Verify(text, rec.ExpiresAt); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
	r := rec
	r.RevokedAt = now
	if err := r.Verify(text, now); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked: %v", err)
	}
	if _, _, err := NewAPIToken(rand.Reader, viewer, "x", RoleAdmin, 0, now); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Errorf("a viewer made an admin token: %v", err)
	}
	if _, rec, err := NewAPIToken(rand.Reader, admin, "x", RoleViewer, time.Hour, now); err != nil || rec.Role != RoleViewer {
		t.Errorf("an admin making a viewer token: %+v %v", rec, err)
	}
	if _, _, err := NewAPIToken(rand.Reader, Principal{Kind: Agent, ClusterID: "c"}, "x", "", 0, now); !errors.Is(err, domain.ErrPermissionDenied) {
		t.Errorf("an agent made an API token: %v", err)
	}
	if _, rec, _ := NewAPIToken(rand.Reader, Principal{Kind: AdminToken, Role: RoleAdmin}, "automation", "", 0, now); rec.Username != "admin-token" {
		t.Errorf("admin-token creator = %q", rec.Username)
	}
	// A registration token is not an API token and the reverse.
	reg, _, _ := NewRegistrationToken(rand.Reader, "c", "c", "", 0, now)
	if _, err := ParseAPIToken(reg); err == nil {
		t.Error("a registration token parsed as an API token")
	}
	if _, err := ParseRegistrationToken(text); err == nil {
		t.Error("an API token parsed as a registration token")
	}
}

func TestSessions(t *testing.T) {
	text, s, err := NewSession(rand.Reader, "u1", now)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := ParseSession(text); err != nil || id != s.ID {
		t.Fatalf("ParseSession = %q %v", id, err)
	}
	if err := s.Verify(text, now.Add(SessionTTL-time.Second)); err != nil {
		t.Error(err)
	}
	if err := s.Verify(text, now.Add(SessionTTL)); err == nil {
		t.Error("an expired session verified")
	}
	if err := s.Verify(strings.Replace(text, text[len(text)-3:], "aaa", 1), now); err == nil && !strings.HasSuffix(text, "aaa") {
		t.Error("a forged session verified")
	}
}

func TestRoles(t *testing.T) {
	if !RoleViewer.AtMost(RoleAdmin) || RoleAdmin.AtMost(RoleViewer) || Role("root").Valid() {
		t.Error("role order")
	}
	if _, err := ParseRole("owner"); err == nil {
		t.Error("ParseRole accepted owner")
	}
}

func FuzzParseAPIToken(f *testing.F) {
	text, _, _ := NewAPIToken(rand.Reader, Principal{Kind: AdminToken, Role: RoleAdmin}, "x", "", 0, now)
	f.Add(text)
	f.Add("rwk_")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseAPIToken(s)
		if err == nil && (len(id) != 8 || !strings.HasPrefix(s, APITokenPrefix+id+"_")) {
			t.Fatalf("accepted %q", s)
		}
		if _, err := ParseSession(s); err == nil && !strings.HasPrefix(s, SessionPrefix) {
			t.Fatalf("session accepted %q", s)
		}
	})
}
