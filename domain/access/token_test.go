package access

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestRegistrationTokenLifecycle(t *testing.T) {
	text, rec, err := NewRegistrationToken(rand.Reader, "cl_x", "prod", "for prod", 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, RegistrationPrefix) || strings.Contains(rec.SecretHash, text) {
		t.Fatalf("token %q, hash %q", text, rec.SecretHash)
	}
	if !rec.ExpiresAt.Equal(now.Add(DefaultTokenTTL)) {
		t.Errorf("ExpiresAt = %v", rec.ExpiresAt)
	}
	id, err := ParseRegistrationToken(text)
	if err != nil || id != rec.ID {
		t.Fatalf("ParseRegistrationToken = %q, %v; want %q", id, err, rec.ID)
	}
	if err := rec.Verify(text, now); err != nil {
		t.Errorf("Verify of a fresh token: %v", err)
	}
	tests := []struct {
		name string
		tok  func() (string, RegistrationToken)
		at   time.Time
		want string
	}{
		{"wrong secret", func() (string, RegistrationToken) { return text[:len(text)-1] + "a", rec }, now, "unknown registration token"},
		{"expired", func() (string, RegistrationToken) { return text, rec }, rec.ExpiresAt, "expired"},
		{"revoked", func() (string, RegistrationToken) { r := rec; r.RevokedAt = now; return text, r }, now, "was revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, r := tt.tok()
			if tok == text && tt.name == "wrong secret" {
				t.Skip("the mutated token equals the original")
			}
			err := r.Verify(tok, tt.at)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, domain.ErrUnauthenticated) {
				t.Errorf("Verify = %v, want ErrUnauthenticated containing %q", err, tt.want)
			}
		})
	}
}

func TestTokenState(t *testing.T) {
	r := RegistrationToken{ExpiresAt: now.Add(time.Hour)}
	if r.State(now) != TokenActive || r.State(now.Add(time.Hour)) != TokenExpired {
		t.Error("expiry")
	}
	r.RevokedAt = now
	if r.State(now) != TokenRevoked || r.State(now.Add(2*time.Hour)) != TokenRevoked {
		t.Error("revocation wins over expiry")
	}
}

func TestNewRegistrationTokenRules(t *testing.T) {
	for _, ttl := range []time.Duration{time.Second, MaxTokenTTL + time.Hour} {
		if _, _, err := NewRegistrationToken(rand.Reader, "c", "n", "", ttl, now); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ttl %s: err = %v", ttl, err)
		}
	}
	if _, _, err := NewRegistrationToken(rand.Reader, "c", "n", strings.Repeat("d", 300), 0, now); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("long description: err = %v", err)
	}
	if _, _, err := NewRegistrationToken(bytes.NewReader(nil), "c", "n", "", 0, now); err == nil {
		t.Error("an exhausted random source did not fail")
	}
}

func TestParseRegistrationToken(t *testing.T) {
	for _, s := range []string{"", "Bearer x", "rwr_", "rwr_abcdefgh", "rwr_abcdefgh_short", "rwr_ABCDEFGH_" + strings.Repeat("a", 32), "rwr_abcdefg1_" + strings.Repeat("a", 32), "rwa_abcdefgh_" + strings.Repeat("a", 32)} {
		if _, err := ParseRegistrationToken(s); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Errorf("ParseRegistrationToken(%q) = %v, want ErrUnauthenticated", s, err)
		}
	}
}

func FuzzParseRegistrationToken(f *testing.F) {
	text, _, _ := NewRegistrationToken(rand.Reader, "c", "n", "", 0, now)
	f.Add(text)
	f.Add("rwr_abcdefgh_" + strings.Repeat("z", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRegistrationToken(s)
		if err == nil && (len(id) != 8 || !strings.HasPrefix(s, RegistrationPrefix+id+"_")) {
			t.Fatalf("accepted %q with id %q", s, id)
		}
	})
}

func TestValidateClusterName(t *testing.T) {
	for name, ok := range map[string]bool{
		"prod": true, "prod-eu-1": true, "a": true, "k8s.example": true, "0day": true,
		"": false, "Prod": false, "-prod": false, "prod-": false, "prod_eu": false, "pr od": false, strings.Repeat("a", 64): false, "prod.": false,
	} {
		if err := ValidateClusterName(name); (err == nil) != ok {
			t.Errorf("ValidateClusterName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestPrincipalAllows(t *testing.T) {
	agent := Principal{Kind: Agent, ClusterID: "cl_a"}
	viewer := Principal{Kind: User, Role: RoleViewer}
	admin := Principal{Kind: User, Role: RoleAdmin}
	viewerToken := Principal{Kind: APIToken, Role: RoleViewer}
	adminToken := Principal{Kind: AdminToken, Role: RoleAdmin}
	var anonymous Principal
	perms := []Permission{PermPublic, PermSelf, PermIngest, PermRead, PermAdminister}
	tests := []struct {
		name string
		p    Principal
		want []bool // in the order of perms
	}{
		{"anonymous", anonymous, []bool{true, false, false, false, false}},
		{"agent", agent, []bool{true, false, true, false, false}},
		{"agent without cluster", Principal{Kind: Agent}, []bool{true, false, false, false, false}},
		{"viewer", viewer, []bool{true, true, false, true, false}},
		{"admin", admin, []bool{true, true, false, true, true}},
		{"viewer API token", viewerToken, []bool{true, true, false, true, false}},
		{"admin token", adminToken, []bool{true, true, false, true, true}},
		{"user without a role", Principal{Kind: User}, []bool{true, true, false, false, false}},
	}
	for _, tt := range tests {
		for i, perm := range perms {
			if got := tt.p.Allows(perm); got != tt.want[i] {
				t.Errorf("%s allows %s = %v, want %v", tt.name, perm, got, tt.want[i])
			}
		}
	}
}
