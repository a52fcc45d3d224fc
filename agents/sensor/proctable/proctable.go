// Package proctable keeps what the sensor knows about live processes: the
// executable each runs and the container it is in. Exec events fill it,
// exit events empty it, and it is bounded, so a lost exit event costs at
// most one stale entry until it is pushed out.
package proctable

import (
	"os"
	"strconv"
	"sync"

	"github.com/runwatch/runwatch/agents/sensor/lru"
)

// Process is one live process.
type Process struct {
	PID, PPID uint32
	// Exe is the executable's path inside the process's root.
	Exe string
	// Container is the attribution key of the process's container ("" for
	// the host).
	Container string
}

// Table is safe for concurrent use.
type Table struct {
	mu          sync.Mutex
	procs       *lru.Cache[uint32, Process]
	byContainer map[string]map[uint32]struct{}
}

// New keeps at most capacity processes.
func New(capacity int) *Table {
	t := &Table{procs: lru.New[uint32, Process](capacity), byContainer: make(map[string]map[uint32]struct{})}
	t.procs.OnEvict = func(pid uint32, p Process) { t.unindex(pid, p.Container) }
	return t
}

func (t *Table) unindex(pid uint32, container string) {
	if set := t.byContainer[container]; set != nil {
		delete(set, pid)
		if len(set) == 0 {
			delete(t.byContainer, container)
		}
	}
}

// Exec records that pid now runs p (a new process, or an exec replacing
// the program of an existing one).
func (t *Table) Exec(p Process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.procs.Peek(p.PID); ok {
		t.unindex(p.PID, old.Container)
	}
	t.procs.Add(p.PID, p)
	set := t.byContainer[p.Container]
	if set == nil {
		set = make(map[uint32]struct{})
		t.byContainer[p.Container] = set
	}
	set[p.PID] = struct{}{}
}

// Exit forgets pid.
func (t *Table) Exit(pid uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.procs.Peek(pid); ok {
		t.unindex(pid, old.Container)
		t.procs.Remove(pid)
	}
}

// Get returns pid's entry.
func (t *Table) Get(pid uint32) (Process, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.procs.Get(pid)
}

// InContainer returns up to n live pids of container other than except:
// the roots through which a file of an exited process can still be read.
func (t *Table) InContainer(container string, except uint32, n int) []uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []uint32
	for pid := range t.byContainer[container] {
		if pid != except {
			out = append(out, pid)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// Len is the number of processes held.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.procs.Len()
}

// ExeOf returns the executable of pid from /proc, for processes that
// started before the sensor. procRoot is /proc normally.
func ExeOf(procRoot string, pid uint32) string {
	p, err := os.Readlink(procRoot + "/" + strconv.FormatUint(uint64(pid), 10) + "/exe")
	if err != nil {
		return ""
	}
	return p
}
