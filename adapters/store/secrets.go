package store

import (
	"context"
	"errors"
	"fmt"
)

// Credentials of integrations and webhooks are kept sealed by the
// store's ports.SecretSealer: the secret column holds sealed text, bound
// to the record's name (names are the records' stable identity: putting
// an integration again keeps its row). An empty column is no secret.

func integrationSecret(name string) string { return "integration/" + name }
func webhookSecret(name string) string     { return "webhook/" + name }

var errNoSealer = errors.New("this store has no secret sealer, so it keeps no credentials")

// sealSecret seals a secret for the record it belongs to; "" stays "".
func (s *Store) sealSecret(secret, boundTo string) (string, error) {
	if secret == "" {
		return "", nil
	}
	if s.secrets == nil {
		return "", errNoSealer
	}
	return s.secrets.Seal(secret, boundTo)
}

// openSecret opens a stored secret; an error names the record, and no
// secret comes with it.
func (s *Store) openSecret(stored, boundTo, what string) (string, error) {
	if stored == "" {
		return "", nil
	}
	if s.secrets == nil {
		return "", fmt.Errorf("the secret of %s cannot be opened: %w", boundTo, errNoSealer)
	}
	plain, _, err := s.secrets.Open(stored, boundTo)
	if err != nil {
		return "", fmt.Errorf("the secret of %s cannot be opened: %w", boundTo, err)
	}
	return plain, nil
}

// SealReport says what SealSecrets did.
type SealReport struct {
	// Sealed counts secrets found in the clear and sealed.
	Sealed int
	// Unreadable names the records whose secret does not open, with why.
	Unreadable []error
}

// SealSecrets seals every credential still kept in the clear (written
// before the store sealed them) and checks that every sealed one opens
// with this store's key. It runs at start; replicas may run it at once:
// a row is only rewritten if it still holds the text that was read.
func (s *Store) SealSecrets(ctx context.Context) (SealReport, error) {
	var rep SealReport
	if s.secrets == nil {
		return rep, errNoSealer
	}
	for _, t := range []struct{ table, kind string }{{"integrations", "integration"}, {"webhooks", "webhook"}} {
		var rows []struct {
			ID     string `bun:"id"`
			Name   string `bun:"name"`
			Secret string `bun:"secret"`
		}
		if err := s.db.NewRaw(`SELECT id, name, secret FROM `+t.table+` WHERE secret <> '' ORDER BY name`).Scan(ctx, &rows); err != nil {
			return rep, fmt.Errorf("read %s: %w", t.table, err)
		}
		for _, r := range rows {
			boundTo := t.kind + "/" + r.Name
			plain, sealed, err := s.secrets.Open(r.Secret, boundTo)
			if err != nil {
				rep.Unreadable = append(rep.Unreadable, fmt.Errorf("%s %q: the secret cannot be opened: %w", t.kind, r.Name, err))
				continue
			}
			if sealed {
				continue
			}
			enc, err := s.secrets.Seal(plain, boundTo)
			if err != nil {
				return rep, fmt.Errorf("seal the secret of %s %q: %w", t.kind, r.Name, err)
			}
			res, err := s.db.ExecContext(ctx, `UPDATE `+t.table+` SET secret = ? WHERE id = ? AND secret = ?`, enc, r.ID, r.Secret)
			if err != nil {
				return rep, fmt.Errorf("seal the secret of %s %q: %w", t.kind, r.Name, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				rep.Sealed++
			}
		}
	}
	return rep, nil
}
