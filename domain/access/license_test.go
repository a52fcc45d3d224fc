package access

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
)

func keys(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func license() License {
	return License{ID: "lic-001", Organization: "Example Corp", IssuedAt: now.Add(-24 * time.Hour), ExpiresAt: now.Add(365 * 24 * time.Hour),
		SensorNodes: 50, SensorsLicensed: true}
}

func TestParseLicense(t *testing.T) {
	pub, priv := keys(t)
	otherPub, otherPriv := keys(t)
	_ = otherPub
	sign := func(l License, k ed25519.PrivateKey) string {
		s, err := SignLicense(l, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(license(), priv)
	got, err := ParseLicense(good, pub, now)
	if err != nil || got.SensorNodes != 50 || got.Organization != "Example Corp" || !got.ExpiresAt.Equal(license().ExpiresAt) {
		t.Fatalf("ParseLicense = %+v, %v", got, err)
	}
	flipped := []byte(good)
	flipped[len(LicensePrefix)+10] ^= 0x01
	with := func(f func(*License)) string { l := license(); f(&l); return sign(l, priv) }
	tests := []struct {
		name string
		text string
		key  ed25519.PublicKey
		at   time.Time
		want string
	}{
		{"a changed byte", string(flipped), pub, now, ""},
		{"signed by another key", sign(license(), otherPriv), pub, now, "does not verify"},
		{"no public key configured", good, nil, now, "no licence public key"},
		{"not a licence", "hello", pub, now, "not a Runwatch licence"},
		{"no signature", LicensePrefix + "abc", pub, now, "no signature"},
		{"bad base64", LicensePrefix + "!!.??", pub, now, "bad encoding"},
		{"expired", with(func(l *License) { l.ExpiresAt = now.Add(-time.Second) }), pub, now, "expired"},
		{"expires exactly now", with(func(l *License) { l.ExpiresAt = now }), pub, now, "expired"},
		{"issued in the future beyond the skew", with(func(l *License) { l.IssuedAt = now.Add(time.Hour) }), pub, now, "issued in the future"},
		{"issued slightly in the future is clock skew", with(func(l *License) { l.IssuedAt = now.Add(time.Minute) }), pub, now, "ok"},
		{"negative nodes", with(func(l *License) { l.SensorNodes = -1 }), pub, now, "grants -1 nodes"},
		{"no organisation", with(func(l *License) { l.Organization = "" }), pub, now, "names no organisation"},
		{"empty validity", with(func(l *License) { l.ExpiresAt = l.IssuedAt }), pub, now, "validity is empty"},
		{"huge", LicensePrefix + strings.Repeat("a", 10000), pub, now, "not a licence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLicense(tt.text, tt.key, tt.at)
			if tt.want == "ok" {
				if err != nil {
					t.Fatalf("ParseLicense: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, domain.ErrInvalid) || (tt.want != "" && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("ParseLicense = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	// Every single-byte change anywhere is refused.
	for i := range len(good) {
		b := []byte(good)
		b[i] ^= 0x20
		if l, err := ParseLicense(string(b), pub, now); err == nil && l != license() {
			t.Fatalf("byte %d changed and the licence still verified: %+v", i, l)
		}
	}
}

func TestInForce(t *testing.T) {
	l := license()
	if got, src := InForce(nil, now); src != SourceDefault || got != DefaultEntitlement {
		t.Errorf("no licence: %v %v", got, src)
	}
	if got, src := InForce(&l, now); src != SourceLicense || got.SensorNodes != 50 {
		t.Errorf("licence: %v %v", got, src)
	}
	if got, src := InForce(&l, l.ExpiresAt); src != SourceExpired || got != DefaultEntitlement {
		t.Errorf("at expiry: %v %v", got, src)
	}
}

func TestRestrict(t *testing.T) {
	n := func(cluster, node string, ago time.Duration) NodeInOperation {
		return NodeInOperation{ClusterID: cluster, ClusterName: cluster, Node: node, Since: now.Add(-ago)}
	}
	nodes := []NodeInOperation{n("b", "n1", time.Hour), n("a", "n2", time.Minute), n("a", "n1", 2*time.Hour), n("a", "n3", time.Minute), n("c", "n9", 3*time.Hour)}
	tests := []struct {
		name       string
		license    License
		restricted []string
	}{
		{"within the entitlement", License{SensorNodes: 5, SensorsLicensed: true}, nil},
		{"one over: the newest goes, ties by cluster and name", License{SensorNodes: 4, SensorsLicensed: true}, []string{"a/n3"}},
		{"two over", License{SensorNodes: 3, SensorsLicensed: true}, []string{"a/n2", "a/n3"}},
		{"zero nodes", License{SensorNodes: 0, SensorsLicensed: true}, []string{"c/n9", "a/n1", "b/n1", "a/n2", "a/n3"}},
		{"sensors not licensed", License{SensorNodes: 100, SensorsLicensed: false}, []string{"c/n9", "a/n1", "b/n1", "a/n2", "a/n3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Restrict(nodes, tt.license) {
				if d.Restricted {
					got = append(got, d.ClusterID+"/"+d.Node)
					if d.Reason == "" {
						t.Errorf("%s restricted without a reason", d.Node)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.restricted) {
				t.Errorf("restricted %v, want %v", got, tt.restricted)
			}
		})
	}
}

func FuzzParseLicense(f *testing.F) {
	pub, priv := keys(f)
	good, _ := SignLicense(license(), priv)
	f.Add(good)
	f.Add(LicensePrefix + "e30.AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLicense(s, pub, now)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("non-input error: %v", err)
			}
			return
		}
		// Whatever verifies was signed by the key: only the good licence.
		if l != license() {
			t.Fatalf("accepted a licence nobody signed: %+v", l)
		}
	})
}
