package ports

// SecretSealer keeps secrets sealed at rest: the store seals a credential
// before it writes it and opens it when it reads it, so the database
// never holds one in the clear. Where the key comes from is the
// composition root's business, not the store's.
type SecretSealer interface {
	// Seal encrypts plaintext bound to what it belongs to (boundTo, e.g.
	// "integration/corp"): opened for anything else, it fails.
	Seal(plaintext, boundTo string) (string, error)
	// Open decrypts what Seal made for the same boundTo. Text that was
	// never sealed (written before secrets were sealed) comes back as is
	// with sealed false, so it can be sealed. A secret sealed under another
	// key, or altered, is an error saying which: never a wrong plaintext.
	Open(stored, boundTo string) (plaintext string, sealed bool, err error)
}
