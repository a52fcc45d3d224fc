package kernel

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unsafe"
)

// The decoder's offsets must match the C layout that bpf2go read from the
// objects' BTF.
func TestLayoutMatchesC(t *testing.T) {
	var e processRwExecEvent
	var f processRwFileEvent
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"header size", unsafe.Sizeof(processRwHeader{}), headerSize},
		{"file id size", unsafe.Sizeof(processRwFileId{}), fileIDSize},
		{"exec argv", unsafe.Offsetof(e.Argv), execArgvOff},
		{"exec path", unsafe.Offsetof(e.Path), execPathOff},
		{"exec path_len", unsafe.Offsetof(e.PathLen), headerSize + fileIDSize},
		{"file op", unsafe.Offsetof(f.Op), fileOpOff},
		{"file path_len", unsafe.Offsetof(f.PathLen), fileOpOff + 4},
		{"file path", unsafe.Offsetof(f.Path), filePathOff},
		{"comm", unsafe.Offsetof(e.H.Comm), 48},
		{"exec size", unsafe.Sizeof(e), maxEventLength},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: C has %d, decoder uses %d", c.name, c.got, c.want)
		}
	}
}

func encodeExec(t testing.TB, pid uint32, path string, argv []byte, flags uint32) []byte {
	t.Helper()
	var e processRwExecEvent
	e.H.Type = eventExec
	e.H.Flags = flags
	e.H.Pid, e.H.Tgid, e.H.Ppid = pid, pid, 1
	e.H.CgroupId = 42
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.H.Comm[0])), 16), "tick")
	e.File.Ino = 7
	e.PathLen = uint16(len(path))
	e.ArgvLen = uint16(len(argv))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.Path[0])), len(e.Path)), path)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.Argv[0])), len(e.Argv)), argv)
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, &e); err != nil {
		t.Fatal(err)
	}
	// The kernel sends only the used part of path.
	return buf.Bytes()[:execPathOff+len(path)]
}

func TestDecodeExec(t *testing.T) {
	rec := encodeExec(t, 99, "/usr/bin/dash", []byte("sh\x00-c\x00\xff\xfe binary\x00"), flagArgvTruncated|flagOverlayUpper)
	ev, err := Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	ex, ok := ev.(*Exec)
	if !ok {
		t.Fatalf("got %T", ev)
	}
	if ex.Path != "/usr/bin/dash" || ex.TGID != 99 || ex.CgroupID != 42 || ex.Comm != "tick" || ex.File.Ino != 7 {
		t.Errorf("decoded %+v", ex)
	}
	if len(ex.Argv) != 3 || ex.Argv[0] != "sh" || ex.Argv[2] != "\xff\xfe binary" {
		t.Errorf("argv %q", ex.Argv)
	}
	if !ex.ArgvTruncated || !ex.OverlayUpper || ex.Deleted {
		t.Errorf("flags %+v truncated=%v", ex.FileFlags, ex.ArgvTruncated)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := encodeExec(t, 1, "/bin/true", nil, 0)
	cases := map[string][]byte{
		"empty":          nil,
		"short header":   good[:10],
		"exec truncated": good[:execPathOff-1],
		"path past end":  good[:len(good)-1],
		"unknown type":   append([]byte{9, 0, 0, 0}, good[4:]...),
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encodeExec(f, 1, "/bin/true", []byte("true\x00"), 0))
	f.Add(encodeExec(f, 2, "", nil, 0xffffffff))
	fe := make([]byte, filePathOff+4)
	binary.LittleEndian.PutUint32(fe, eventFile)
	binary.LittleEndian.PutUint32(fe[fileOpOff:], uint32(OpMmapExec))
	binary.LittleEndian.PutUint16(fe[fileOpOff+4:], 4)
	copy(fe[filePathOff:], "/a.so")
	f.Add(fe)
	ex := make([]byte, exitSize)
	binary.LittleEndian.PutUint32(ex, eventExit)
	f.Add(ex)
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Decode(b)
		if err != nil {
			return
		}
		switch e := ev.(type) {
		case *Exec:
			if len(e.Path) > maxPathLen {
				t.Fatalf("path of %d bytes", len(e.Path))
			}
		case *FileLoad:
			if len(e.Path) > maxPathLen {
				t.Fatalf("path of %d bytes", len(e.Path))
			}
		}
	})
}
