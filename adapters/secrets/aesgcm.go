// Package secrets seals credentials at rest with AES-256-GCM under one
// platform key, implementing ports.SecretSealer.
//
// A sealed secret is text: "rwsec1:<key id>:<base64 of nonce and
// ciphertext>". The key id (the first 6 bytes of a hash of the key, in
// hex) names the key it was sealed under, so a platform with another key
// says so instead of failing obscurely; the associated data binds the
// ciphertext to the record it belongs to, so a sealed value copied onto
// another record does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/runwatch/runwatch/ports"
)

// KeySize is the key length AES-256 takes.
const KeySize = 32

const prefix = "rwsec1:"

// ErrWrongKey is the error of a secret sealed under another key.
var ErrWrongKey = errors.New("sealed under another key")

// AESGCM seals and opens secrets with one key.
type AESGCM struct {
	aead cipher.AEAD
	id   string
	// origin says where the key came from, for errors a person reads.
	origin string
}

var _ ports.SecretSealer = (*AESGCM)(nil)

// New makes a sealer of a 32-byte key; origin names where the key came
// from (an environment variable, a file) in the errors it gives.
func New(key []byte, origin string) (*AESGCM, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AESGCM{aead: aead, id: KeyID(key), origin: origin}, nil
}

// KeyID names a key without revealing it: the first 6 bytes of a
// domain-separated SHA-256 of it, in hex.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("runwatch secret key id\x00"), key...))
	return hex.EncodeToString(h[:6])
}

// KeyID is the id of this sealer's key.
func (a *AESGCM) KeyID() string { return a.id }

// Seal implements ports.SecretSealer. A fresh random nonce per secret:
// GCM's 96-bit nonces are safe for far more secrets than a platform keeps.
func (a *AESGCM) Seal(plaintext, boundTo string) (string, error) {
	nonce := make([]byte, a.aead.NonceSize(), a.aead.NonceSize()+len(plaintext)+a.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	sealed := a.aead.Seal(nonce, nonce, []byte(plaintext), []byte(boundTo))
	return prefix + a.id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open implements ports.SecretSealer.
func (a *AESGCM) Open(stored, boundTo string) (string, bool, error) {
	if !IsSealed(stored) {
		return stored, false, nil
	}
	id, payload, ok := strings.Cut(strings.TrimPrefix(stored, prefix), ":")
	if !ok {
		return "", true, errors.New("malformed sealed secret: no key id")
	}
	if id != a.id {
		return "", true, fmt.Errorf("%w: it was sealed under key %s, and this platform's key (from %s) is %s; "+
			"give every replica the key the secrets were sealed with, or put the secret again", ErrWrongKey, id, a.origin, a.id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(payload)
	if err != nil || len(raw) < a.aead.NonceSize()+a.aead.Overhead() {
		return "", true, errors.New("malformed sealed secret: the payload is not what was sealed")
	}
	ns := a.aead.NonceSize()
	plain, err := a.aead.Open(nil, raw[:ns], raw[ns:], []byte(boundTo))
	if err != nil {
		return "", true, fmt.Errorf("sealed secret does not open under key %s: it was altered, or belongs to another record", a.id)
	}
	return string(plain), true, nil
}

// IsSealed says whether stored text is a sealed secret rather than one
// kept in the clear.
func IsSealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// ParseKey decodes a key given as base64 (standard or URL alphabet,
// padded or not) of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key decodes to %d bytes, want %d (make one with: openssl rand -base64 32)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("the key is not base64 (make one with: openssl rand -base64 32)")
}

// NewRandom makes a sealer of a fresh random key, which lives as long as
// it does: for tests and tools that keep nothing.
func NewRandom(origin string) (*AESGCM, error) {
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	return New(k, origin)
}

// NewKey makes a random key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}
