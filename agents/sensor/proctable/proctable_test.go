package proctable

import (
	"os"
	"testing"
)

func TestExecExitAndContainers(t *testing.T) {
	tab := New(3)
	tab.Exec(Process{PID: 10, Exe: "/bin/sh", Container: "c1"})
	tab.Exec(Process{PID: 11, Exe: "/bin/app", Container: "c1"})
	tab.Exec(Process{PID: 12, Exe: "/usr/sbin/sshd"})
	if got := tab.InContainer("c1", 10, 5); len(got) != 1 || got[0] != 11 {
		t.Errorf("InContainer = %v", got)
	}
	// exec in place moves nothing but the program.
	tab.Exec(Process{PID: 11, Exe: "/bin/other", Container: "c1"})
	if p, _ := tab.Get(11); p.Exe != "/bin/other" {
		t.Errorf("exec did not replace: %+v", p)
	}
	tab.Exit(11)
	if _, ok := tab.Get(11); ok {
		t.Error("exited process still present")
	}
	if got := tab.InContainer("c1", 0, 5); len(got) != 1 || got[0] != 10 {
		t.Errorf("after exit InContainer = %v", got)
	}
	// Lost exits: the table stays bounded and its index consistent.
	for pid := uint32(100); pid < 1000; pid++ {
		tab.Exec(Process{PID: pid, Container: "c2"})
	}
	if tab.Len() != 3 || len(tab.InContainer("c2", 0, 100)) != 3 || len(tab.InContainer("c1", 0, 5)) != 0 {
		t.Errorf("len %d, c2 %d, c1 %d", tab.Len(), len(tab.InContainer("c2", 0, 100)), len(tab.InContainer("c1", 0, 5)))
	}
}

func TestExeOf(t *testing.T) {
	self, _ := os.Executable()
	if got := ExeOf("/proc", uint32(os.Getpid())); got != self {
		t.Errorf("ExeOf(self) = %q, want %q", got, self)
	}
	if got := ExeOf("/proc", 1<<30); got != "" {
		t.Errorf("missing pid: %q", got)
	}
}
