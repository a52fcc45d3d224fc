package image

import (
	"fmt"
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// Digest is a content digest, "<algorithm>:<hex>", e.g. "sha256:…".
type Digest string

// Algorithm is the part before the colon.
func (d Digest) Algorithm() string {
	a, _, _ := strings.Cut(string(d), ":")
	return a
}

// hexLengths are the encoded lengths of the algorithms the OCI image
// specification registers. Other algorithms are accepted when they follow
// the grammar, with at least 32 hex characters.
var hexLengths = map[string]int{"sha256": 64, "sha512": 128}

// ParseDigest checks a digest: a lower-case algorithm, a colon, and
// lower-case hex of the algorithm's length.
func ParseDigest(s string) (Digest, error) {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("digest %q: no algorithm", domain.Clip(s))
	}
	if !validAlgorithm(alg) {
		return "", fmt.Errorf("digest %q: invalid algorithm %q", domain.Clip(s), domain.Clip(alg))
	}
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("digest %q: not lower-case hex", domain.Clip(s))
		}
	}
	if want, known := hexLengths[alg]; known {
		if len(enc) != want {
			return "", fmt.Errorf("digest %q: %s needs %d hex characters, has %d", domain.Clip(s), alg, want, len(enc))
		}
	} else if len(enc) < 32 || len(enc) > 256 {
		return "", fmt.Errorf("digest %q: %d hex characters is not a digest", domain.Clip(s), len(enc))
	}
	return Digest(s), nil
}

// validAlgorithm follows the OCI grammar: components of [a-z0-9] joined by
// one of "+._-".
func validAlgorithm(a string) bool {
	if a == "" || len(a) > 32 || !isAlnumLower(a[0]) || !isAlnumLower(a[len(a)-1]) {
		return false
	}
	for i := 1; i < len(a); i++ {
		c := a[i]
		if isAlnumLower(c) {
			continue
		}
		if !strings.ContainsRune("+._-", rune(c)) || !isAlnumLower(a[i-1]) {
			return false
		}
	}
	return true
}
