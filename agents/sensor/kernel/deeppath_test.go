//go:build linux

package kernel

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
)

// An executable deeper and longer than the kernel's path buffers is still
// reported: the end of its path, flagged as truncated.
func TestPathLongerThanTheBuffers(t *testing.T) {
	privtest.RequireBPF(t)
	l, err := Load(Options{Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	// 80 levels of 60-character names: 4,880 bytes, beyond PATH_MAX, so it
	// is built one directory at a time.
	dir, err := unix.Open(t.TempDir(), unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("d", 60)
	for range 80 {
		if err := unix.Mkdirat(dir, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(dir, name, unix.O_DIRECTORY|unix.O_RDONLY, 0)
		unix.Close(dir)
		if err != nil {
			t.Fatal(err)
		}
		dir = next
	}
	data, _ := os.ReadFile("/bin/true")
	fd, err := unix.Openat(dir, "deep-true", unix.O_CREAT|unix.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(fd, data)
	unix.Close(fd)

	f := os.NewFile(uintptr(dir), "deep")
	defer f.Close()
	cmd := exec.Command("/proc/self/fd/3/deep-true")
	cmd.ExtraFiles = []*os.File{f}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	events := make(chan Event, 1024)
	go func() {
		defer close(events)
		for {
			ev, err := l.ReadEvent()
			if err == ErrClosed {
				return
			}
			if err == nil {
				events <- ev
			}
		}
	}()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if e, ok := ev.(*Exec); ok && e.TGID == pid {
				if !e.PathTruncated {
					t.Errorf("path of %d bytes not flagged as truncated", len(e.Path))
				}
				if !strings.HasSuffix(e.Path, "/"+name+"/deep-true") || len(e.Path) >= maxPathLen {
					t.Errorf("path %d bytes, ends %q", len(e.Path), e.Path[max(0, len(e.Path)-80):])
				}
				return
			}
		case <-timeout:
			t.Fatal("no exec event for the deep executable")
		}
	}
}
