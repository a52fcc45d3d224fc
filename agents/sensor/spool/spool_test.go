package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOrderLimitAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 25)
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"first-----", "second----"} {
		if err := s.Put([]byte(body), i+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put([]byte("third-----"), 3); !errors.Is(err, ErrFull) {
		t.Fatalf("third put: %v, want ErrFull", err)
	}
	if b, r, n := s.Stats(); b != 2 || r != 3 || n != 20 {
		t.Errorf("stats %d %d %d", b, r, n)
	}
	// A crash and a restart keep the order, and a half-written batch is gone.
	os.WriteFile(filepath.Join(dir, "x.batch.tmp"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "nonsense.batch"), []byte("?"), 0o600)
	s, err = Open(dir, 25)
	if err != nil {
		t.Fatal(err)
	}
	b, ok, err := s.Peek()
	if err != nil || !ok || string(b.Data) != "first-----" || b.Records != 1 {
		t.Fatalf("peek after restart %+v %v %v", b, ok, err)
	}
	if err := s.Remove(b.Seq + 1); err == nil {
		t.Error("removed a batch that is not the oldest")
	}
	if err := s.Remove(b.Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Put([]byte("third-----"), 3); err != nil {
		t.Fatalf("room after remove: %v", err)
	}
	var got []string
	for {
		b, ok, err := s.Peek()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(b.Data))
		if b.Records == 3 {
			s.SetAside(b.Seq, ".rejected")
		} else {
			s.Remove(b.Seq)
		}
	}
	if len(got) != 2 || got[0] != "second----" || got[1] != "third-----" {
		t.Errorf("drain order %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "nonsense.batch.corrupt")); err != nil {
		t.Errorf("corrupt file not set aside: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.rejected"))
	if len(matches) != 1 {
		t.Errorf("rejected files %v", matches)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.batch.tmp")); !os.IsNotExist(err) {
		t.Error("temporary file left")
	}
}

func TestSetAsideIsBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for range maxAside + 10 {
		if err := s.Put([]byte("x"), 1); err != nil {
			t.Fatal(err)
		}
		b, _, _ := s.Peek()
		if err := s.SetAside(b.Seq, ".rejected"); err != nil {
			t.Fatal(err)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.rejected"))
	if len(matches) != maxAside {
		t.Errorf("%d batches set aside, want at most %d", len(matches), maxAside)
	}
}
