// Package kernel loads Runwatch's eBPF programs, picks the hooks the running
// kernel allows, and turns what they write to the ring buffer into typed
// events.
package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Event types and flags, as in bpf/include/runwatch.h.
const (
	eventExec = 1
	eventExit = 2
	eventFile = 3

	flagPathTruncated = 1 << 0
	flagArgvTruncated = 1 << 1
	flagOverlayUpper  = 1 << 2
	flagDeleted       = 1 << 3
	flagOverlay       = 1 << 4
)

// FileOp says how a file was loaded.
type FileOp uint32

const (
	// OpOpen is an open of a file the kernel filter keeps (archives such as
	// .jar), or of any file when kernel filtering is off.
	OpOpen FileOp = 1
	// OpMmapExec is a mapping with PROT_EXEC: shared libraries, and
	// executables mapped by the dynamic loader.
	OpMmapExec FileOp = 2
	// OpMmap is a mapping without PROT_EXEC (only without kernel filtering).
	OpMmap FileOp = 3
	// OpScript is the script of an exec that ran through an interpreter.
	OpScript FileOp = 4
)

func (o FileOp) String() string {
	switch o {
	case OpOpen:
		return "open"
	case OpMmapExec:
		return "mmap-exec"
	case OpMmap:
		return "mmap"
	case OpScript:
		return "script"
	}
	return fmt.Sprintf("op(%d)", uint32(o))
}

// Header is what every event carries about the task that caused it.
type Header struct {
	BootNS     uint64 // CLOCK_BOOTTIME nanoseconds
	CgroupID   uint64 // cgroup v2 id
	CgroupV1ID uint64 // memory controller v1 cgroup id, 0 without one
	PID        uint32 // thread id
	TGID       uint32 // process id
	PPID       uint32
	UID        uint32
	Comm       string
}

// FileID identifies a file's content as the kernel saw it.
type FileID struct {
	Ino       uint64
	Size      uint64
	MtimeSec  int64
	MtimeNsec uint32
	// Dev is the kernel's dev_t (major<<20 | minor), not the stat(2) encoding.
	Dev   uint32
	Magic uint32
}

// FileFlags describe the file beyond its identity.
type FileFlags struct {
	PathTruncated bool // the path was deeper or longer than the kernel buffers
	Overlay       bool // on an overlayfs mount
	OverlayUpper  bool // in the overlay's upper (writable) layer
	Deleted       bool // no link left (deleted, or a memfd)
}

// Exec is a successful execve.
type Exec struct {
	Header
	File FileID
	FileFlags
	// Path is the resolved executable, relative to the process's root. It is
	// raw bytes: file names need not be UTF-8.
	Path          string
	Argv          []string
	ArgvTruncated bool
}

// Exit is the end of a process (its last thread).
type Exit struct {
	Header
	ExitCode uint32
}

// FileLoad is a file opened or mapped by a process.
type FileLoad struct {
	Header
	File FileID
	FileFlags
	Op   FileOp
	Path string
}

// Event is one of *Exec, *Exit, *FileLoad.
type Event interface{ header() *Header }

func (e *Exec) header() *Header     { return &e.Header }
func (e *Exit) header() *Header     { return &e.Header }
func (e *FileLoad) header() *Header { return &e.Header }

// Sizes and offsets of the C structs (checked against bpf2go's generated
// types in events_test.go).
const (
	headerSize     = 64
	fileIDSize     = 40
	execArgvOff    = headerSize + fileIDSize + 8
	execPathOff    = execArgvOff + 1024
	fileOpOff      = headerSize + fileIDSize
	filePathOff    = fileOpOff + 8
	exitSize       = headerSize + 8
	maxPathLen     = 4096
	maxArgvLen     = 1024
	maxEventLength = execPathOff + maxPathLen
)

// ErrShortEvent is returned for a record shorter than its type requires.
var ErrShortEvent = errors.New("event record too short")

var le = binary.LittleEndian

// Decode parses one ring-buffer record. It never panics on malformed input;
// anything that does not fit is an error, counted by the caller.
func Decode(b []byte) (Event, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, header needs %d", ErrShortEvent, len(b), headerSize)
	}
	typ, flags := le.Uint32(b[0:]), le.Uint32(b[4:])
	h := Header{
		BootNS:     le.Uint64(b[8:]),
		CgroupID:   le.Uint64(b[16:]),
		CgroupV1ID: le.Uint64(b[24:]),
		PID:        le.Uint32(b[32:]),
		TGID:       le.Uint32(b[36:]),
		PPID:       le.Uint32(b[40:]),
		UID:        le.Uint32(b[44:]),
		Comm:       cString(b[48:64]),
	}
	ff := FileFlags{
		PathTruncated: flags&flagPathTruncated != 0,
		Overlay:       flags&flagOverlay != 0,
		OverlayUpper:  flags&flagOverlayUpper != 0,
		Deleted:       flags&flagDeleted != 0,
	}
	switch typ {
	case eventExec:
		if len(b) < execPathOff {
			return nil, fmt.Errorf("%w: exec of %d bytes", ErrShortEvent, len(b))
		}
		pathLen := int(le.Uint16(b[headerSize+fileIDSize:]))
		argvLen := int(le.Uint16(b[headerSize+fileIDSize+2:]))
		if argvLen > maxArgvLen {
			return nil, fmt.Errorf("exec argv length %d exceeds %d", argvLen, maxArgvLen)
		}
		if pathLen > maxPathLen || execPathOff+pathLen > len(b) {
			return nil, fmt.Errorf("exec path length %d does not fit a %d-byte record", pathLen, len(b))
		}
		return &Exec{
			Header:        h,
			File:          fileID(b[headerSize:]),
			FileFlags:     ff,
			Path:          string(b[execPathOff : execPathOff+pathLen]),
			Argv:          splitArgv(b[execArgvOff : execArgvOff+argvLen]),
			ArgvTruncated: flags&flagArgvTruncated != 0,
		}, nil
	case eventExit:
		if len(b) < exitSize {
			return nil, fmt.Errorf("%w: exit of %d bytes", ErrShortEvent, len(b))
		}
		return &Exit{Header: h, ExitCode: le.Uint32(b[headerSize:])}, nil
	case eventFile:
		if len(b) < filePathOff {
			return nil, fmt.Errorf("%w: file event of %d bytes", ErrShortEvent, len(b))
		}
		pathLen := int(le.Uint16(b[fileOpOff+4:]))
		if pathLen > maxPathLen || filePathOff+pathLen > len(b) {
			return nil, fmt.Errorf("file path length %d does not fit a %d-byte record", pathLen, len(b))
		}
		op := FileOp(le.Uint32(b[fileOpOff:]))
		if op < OpOpen || op > OpScript {
			return nil, fmt.Errorf("unknown file op %d", uint32(op))
		}
		return &FileLoad{
			Header:    h,
			File:      fileID(b[headerSize:]),
			FileFlags: ff,
			Op:        op,
			Path:      string(b[filePathOff : filePathOff+pathLen]),
		}, nil
	}
	return nil, fmt.Errorf("unknown event type %d", typ)
}

func fileID(b []byte) FileID {
	return FileID{
		Ino:       le.Uint64(b[0:]),
		Size:      le.Uint64(b[8:]),
		MtimeSec:  int64(le.Uint64(b[16:])),
		MtimeNsec: le.Uint32(b[24:]),
		Dev:       le.Uint32(b[28:]),
		Magic:     le.Uint32(b[32:]),
	}
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// splitArgv splits the NUL-separated argument area. Arguments are kept as
// raw bytes; a trailing NUL ends the last one.
func splitArgv(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
