package passwords

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Argon2id{P: Params{Memory: 1024, Time: 1, Threads: 1}}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("encoded = %q", enc)
	}
	if ok, err := h.Verify(enc, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify(enc, "correct horse battery stapl"); ok {
		t.Error("wrong password verified")
	}
	enc2, _ := h.Hash("correct horse battery staple")
	if enc2 == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	// Verification uses the stored parameters, not the hasher's.
	if ok, _ := (Argon2id{P: DefaultParams}).Verify(enc, "correct horse battery staple"); !ok {
		t.Error("a hash made with other parameters did not verify")
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"} {
		if ok, err := h.Verify(bad, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v", bad, ok, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	h := Argon2id{P: Params{Memory: 64, Time: 1, Threads: 1}}
	enc, _ := h.Hash("password-password")
	f.Add(enc)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		if p, _, _, err := decode(s); err == nil && p.Memory > maxMemory {
			t.Fatalf("accepted memory %d", p.Memory)
		}
	})
}

// BenchmarkLogin is the password check a login costs.
func BenchmarkLogin(b *testing.B) {
	h := Argon2id{P: DefaultParams}
	enc, _ := h.Hash("correct horse battery staple")
	for b.Loop() {
		if ok, _ := h.Verify(enc, "correct horse battery staple"); !ok {
			b.Fatal("did not verify")
		}
	}
}
