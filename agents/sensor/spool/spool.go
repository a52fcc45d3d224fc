// Package spool is a bounded on-disk queue of batches waiting for the
// platform. Batches leave in the order they came in. When the spool is full
// a new batch is refused (and the caller counts its records as dropped):
// what is already spooled keeps its place, so the platform receives an
// unbroken prefix of what the sensor saw.
package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrFull is returned by Put when the batch does not fit.
var ErrFull = errors.New("spool full")

// Batch is one queued batch.
type Batch struct {
	Seq     uint64
	Records int
	Data    []byte
}

type meta struct {
	seq     uint64
	records int
	size    int64
}

// Spool is safe for concurrent use.
type Spool struct {
	dir      string
	maxBytes int64

	mu      sync.Mutex
	queue   []meta // ordered by seq
	bytes   int64
	records int
	nextSeq uint64
}

const suffix = ".batch"

// Open opens (creating) the spool in dir, holding at most maxBytes. What a
// previous run left is picked up in order; a file that does not look like
// a batch is set aside (renamed *.corrupt), not deleted.
func Open(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, nextSeq: 1}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spool dir: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name)) // a write cut short by a crash
			continue
		}
		if !strings.HasSuffix(name, suffix) {
			continue
		}
		m, ok := parseName(name)
		info, err := e.Info()
		if !ok || err != nil {
			os.Rename(filepath.Join(dir, name), filepath.Join(dir, name+".corrupt"))
			continue
		}
		m.size = info.Size()
		s.queue = append(s.queue, m)
		s.bytes += m.size
		s.records += m.records
		if m.seq >= s.nextSeq {
			s.nextSeq = m.seq + 1
		}
	}
	sort.Slice(s.queue, func(i, j int) bool { return s.queue[i].seq < s.queue[j].seq })
	return s, nil
}

func fileName(seq uint64, records int) string {
	return fmt.Sprintf("%020d-%d%s", seq, records, suffix)
}

func parseName(name string) (meta, bool) {
	base := strings.TrimSuffix(name, suffix)
	a, b, ok := strings.Cut(base, "-")
	if !ok {
		return meta{}, false
	}
	seq, err1 := strconv.ParseUint(a, 10, 64)
	rec, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || rec < 0 {
		return meta{}, false
	}
	return meta{seq: seq, records: rec}, true
}

// Put appends a batch of records. It is written to a temporary file,
// synced and renamed, so a crash leaves either the whole batch or none.
func (s *Spool) Put(data []byte, records int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+int64(len(data)) > s.maxBytes {
		return fmt.Errorf("%w: %d of %d bytes used, batch of %d", ErrFull, s.bytes, s.maxBytes, len(data))
	}
	seq := s.nextSeq
	final := filepath.Join(s.dir, fileName(seq, records))
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool batch: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool batch: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool batch: %w", err)
	}
	f.Close()
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool batch: %w", err)
	}
	s.nextSeq++
	s.queue = append(s.queue, meta{seq: seq, records: records, size: int64(len(data))})
	s.bytes += int64(len(data))
	s.records += records
	return nil
}

// Peek returns the oldest batch, or ok=false when the spool is empty.
func (s *Spool) Peek() (b Batch, ok bool, err error) {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.mu.Unlock()
		return Batch{}, false, nil
	}
	m := s.queue[0]
	s.mu.Unlock()
	data, err := os.ReadFile(filepath.Join(s.dir, fileName(m.seq, m.records)))
	if err != nil {
		return Batch{}, false, fmt.Errorf("read spooled batch %d: %w", m.seq, err)
	}
	return Batch{Seq: m.seq, Records: m.records, Data: data}, true, nil
}

// Remove deletes the oldest batch once it has been delivered.
func (s *Spool) Remove(seq uint64) error {
	return s.drop(seq, "")
}

// SetAside moves the oldest batch out of the queue into a file with the
// given suffix (e.g. ".rejected"), for a batch the platform will never
// accept: it is kept for a person to look at, and no longer blocks the
// queue.
func (s *Spool) SetAside(seq uint64, why string) error {
	return s.drop(seq, why)
}

func (s *Spool) drop(seq uint64, aside string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 || s.queue[0].seq != seq {
		return fmt.Errorf("batch %d is not the oldest", seq)
	}
	m := s.queue[0]
	p := filepath.Join(s.dir, fileName(m.seq, m.records))
	var err error
	if aside != "" {
		err = os.Rename(p, p+aside)
		s.pruneAside()
	} else {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove batch %d: %w", seq, err)
	}
	s.queue = s.queue[1:]
	s.bytes -= m.size
	s.records -= m.records
	return nil
}

// maxAside bounds the batches kept for a person to look at; beyond it the
// oldest go, so a platform that rejects everything cannot fill the disk.
const maxAside = 64

func (s *Spool) pruneAside() {
	var aside []string
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); strings.Contains(n, suffix+".") {
			aside = append(aside, n)
		}
	}
	if len(aside) <= maxAside {
		return
	}
	sort.Strings(aside) // names start with the zero-padded sequence number
	for _, n := range aside[:len(aside)-maxAside] {
		os.Remove(filepath.Join(s.dir, n))
	}
}

// Stats returns the queued batches, records and bytes.
func (s *Spool) Stats() (batches, records int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue), s.records, s.bytes
}
