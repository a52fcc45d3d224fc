//go:build linux

package kernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
)

func TestLoadTracepointAndSeeExec(t *testing.T) {
	privtest.RequireBPF(t)
	l, err := Load(Options{Mode: HookAuto, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, a := range l.Attempts() {
		t.Logf("hook mode %s: err=%v", a.Mode, a.Err)
	}
	t.Logf("running in hook mode %s", l.Mode())

	dir := t.TempDir()
	bin := filepath.Join(dir, "copy-of-true")
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 1024)
	go func() {
		for {
			ev, err := l.ReadEvent()
			if err == ErrClosed {
				close(events)
				return
			}
			if err != nil {
				continue
			}
			events <- ev
		}
	}()
	cmd := exec.Command(bin, "first", "second\xff")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	var sawExec, sawExit, sawLibc bool
	deadline := time.After(5 * time.Second)
	for !(sawExec && sawExit && sawLibc) {
		select {
		case ev := <-events:
			switch e := ev.(type) {
			case *Exec:
				if e.TGID == pid {
					sawExec = true
					if e.Path != bin {
						t.Errorf("exec path %q, want %q", e.Path, bin)
					}
					if strings.Join(e.Argv, " ") != bin+" first second\xff" {
						t.Errorf("argv %q", e.Argv)
					}
					if e.PPID != uint32(os.Getpid()) {
						t.Errorf("ppid %d, want %d", e.PPID, os.Getpid())
					}
					if e.File.Size != uint64(len(data)) || e.File.Ino == 0 {
						t.Errorf("file id %+v", e.File)
					}
				}
			case *Exit:
				if e.TGID == pid {
					sawExit = true
				}
			case *FileLoad:
				if e.TGID == pid && e.Op == OpMmapExec && strings.Contains(e.Path, "libc.so") {
					sawLibc = true
				}
			}
		case <-deadline:
			t.Fatalf("after 5s: exec=%v exit=%v libc mapped=%v", sawExec, sawExit, sawLibc)
		}
	}
	c, err := l.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.Emitted == 0 {
		t.Errorf("counters %+v: nothing emitted", c)
	}
}
