// Package cgroup attributes a process to its container from its cgroup:
// cgroup id → cgroup path (resolver.go) → container id, pod UID and runtime
// (this file). The shapes recognised are those containerd (systemd and
// cgroupfs drivers), CRI-O, Docker and podman create on cgroup v1 and v2.
package cgroup

import (
	"strings"
)

// Runtime is the container runtime recognised from a cgroup path.
type Runtime int

const (
	RuntimeUnknown Runtime = iota
	RuntimeContainerd
	RuntimeCRIO
	RuntimeDocker
	RuntimePodman
)

func (r Runtime) String() string {
	switch r {
	case RuntimeContainerd:
		return "containerd"
	case RuntimeCRIO:
		return "cri-o"
	case RuntimeDocker:
		return "docker"
	case RuntimePodman:
		return "podman"
	}
	return "unknown"
}

// Kind says what a cgroup path belongs to.
type Kind int

const (
	// KindHost is a host process (including runtime helpers such as conmon).
	KindHost Kind = iota
	// KindContainer is a process in a container whose id was found.
	KindContainer
	// KindUnknown is a cgroup that looks like a container's (it is under
	// kubepods, or names a runtime) but whose container id could not be
	// read. It is reported with its path, never guessed.
	KindUnknown
)

// Ref is the attribution of one cgroup path.
type Ref struct {
	Kind        Kind
	ContainerID string // 64 lowercase hex characters
	PodUID      string // with dashes, as Kubernetes shows it
	Runtime     Runtime
	Path        string // the cgroup path it was parsed from
}

// ParsePath attributes a cgroup path (as in /proc/<pid>/cgroup, or relative
// to a cgroup mount). The deepest segment naming a container wins, so
// cgroups a container makes below its own (systemd inside a container,
// "init.scope") are attributed to it.
func ParsePath(path string) Ref {
	ref := Ref{Kind: KindHost, Path: path}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	suspicious := false
	for i := len(segs) - 1; i >= 0; i-- {
		seg := segs[i]
		if ref.PodUID == "" {
			if uid, ok := podUID(seg); ok {
				ref.PodUID = uid
			}
		}
		if strings.HasPrefix(seg, "kubepods") || strings.Contains(seg, "-kubepods") {
			suspicious = true
		}
		if ref.Kind == KindContainer {
			continue // still looking for the pod UID above the container
		}
		id, rt, conmon, named := containerSegment(seg, segs[:i])
		switch {
		case conmon:
			// The runtime's monitor process (CRI-O and podman put it in a scope
			// of its own beside the container): a host process.
			return Ref{Kind: KindHost, Path: path, Runtime: rt}
		case id != "":
			ref.Kind, ref.ContainerID, ref.Runtime = KindContainer, id, rt
		case named:
			suspicious = true
		}
	}
	if ref.Kind == KindContainer {
		return ref
	}
	if suspicious || ref.PodUID != "" {
		ref.Kind = KindUnknown
		return ref
	}
	return Ref{Kind: KindHost, Path: path}
}

// containerSegment recognises one path segment. named reports a segment
// that names a runtime but holds no valid id.
func containerSegment(seg string, parents []string) (id string, rt Runtime, conmon, named bool) {
	for _, p := range []struct {
		prefix string
		rt     Runtime
	}{
		{"cri-containerd-", RuntimeContainerd},
		{"crio-conmon-", RuntimeCRIO},
		{"crio-", RuntimeCRIO},
		{"docker-", RuntimeDocker},
		{"libpod-conmon-", RuntimePodman},
		{"libpod-", RuntimePodman},
	} {
		rest, ok := strings.CutPrefix(seg, p.prefix)
		if !ok {
			continue
		}
		rest = strings.TrimSuffix(rest, ".scope")
		if !isContainerID(rest) {
			return "", p.rt, false, true
		}
		if strings.HasSuffix(p.prefix, "conmon-") {
			return "", p.rt, true, false
		}
		return rest, p.rt, false, false
	}
	if !isContainerID(seg) {
		return "", RuntimeUnknown, false, false
	}
	// A bare id: Docker's cgroupfs driver (/docker/<id>), or a kubelet with
	// the cgroupfs driver (/kubepods/<qos>/pod<uid>/<id>). The latter is
	// containerd's shape and was dockershim's; containerd is by far the
	// common one today, and the platform joins on the id either way.
	if len(parents) > 0 {
		switch parent := parents[len(parents)-1]; {
		case parent == "docker":
			return seg, RuntimeDocker, false, false
		case parent == "libpod_parent":
			return seg, RuntimePodman, false, false
		case strings.HasPrefix(parent, "pod"):
			return seg, RuntimeContainerd, false, false
		}
	}
	return "", RuntimeUnknown, false, true
}

// podUID reads the pod UID from a kubelet pod cgroup: "pod<uid>" (cgroupfs)
// or "[<prefix>-]kubepods[-<qos>]-pod<uid_with_underscores>.slice" (systemd).
func podUID(seg string) (string, bool) {
	var raw string
	switch {
	case strings.HasPrefix(seg, "pod"):
		raw = seg[len("pod"):]
	case strings.Contains(seg, "kubepods") && strings.HasSuffix(seg, ".slice"):
		i := strings.LastIndex(seg, "-pod")
		if i < 0 {
			return "", false
		}
		raw = strings.TrimSuffix(seg[i+len("-pod"):], ".slice")
		raw = strings.ReplaceAll(raw, "_", "-")
	default:
		return "", false
	}
	if isUUID(raw) || (len(raw) == 32 && isHex(raw)) { // static pods: a hash
		return raw, true
	}
	return "", false
}

func isContainerID(s string) bool { return len(s) == 64 && isHex(s) }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i : i+1]) {
				return false
			}
		}
	}
	return true
}

// ParseProcCgroup attributes a process from the text of /proc/<pid>/cgroup:
// the cgroup v2 line ("0::/path") first, then the v1 memory controller's
// line, for v1 and hybrid hosts.
func ParseProcCgroup(text string) Ref {
	var v2, mem string
	haveV2 := false
	for _, line := range strings.Split(text, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2, haveV2 = parts[2], true
		case strings.Contains(","+parts[1]+",", ",memory,"):
			mem = parts[2]
		}
	}
	if haveV2 {
		if ref := ParsePath(v2); ref.Kind != KindHost || mem == "" {
			return ref
		}
	}
	if mem != "" {
		return ParsePath(mem)
	}
	return Ref{Kind: KindHost, Path: "/"}
}
