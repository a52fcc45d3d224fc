package cgroup

import (
	"strings"
	"testing"
)

const (
	cid  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	uid  = "1f3e5d7a-0b2c-4d6e-8f90-a1b2c3d4e5f6"
	uidu = "1f3e5d7a_0b2c_4d6e_8f90_a1b2c3d4e5f6"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		name    string
		path    string
		kind    Kind
		runtime Runtime
		id, pod string
	}{
		{"containerd systemd burstable", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidu + ".slice/cri-containerd-" + cid + ".scope", KindContainer, RuntimeContainerd, cid, uid},
		{"containerd systemd guaranteed", "/kubepods.slice/kubepods-pod" + uidu + ".slice/cri-containerd-" + cid + ".scope", KindContainer, RuntimeContainerd, cid, uid},
		{"containerd cgroupfs besteffort", "/kubepods/besteffort/pod" + uid + "/" + cid, KindContainer, RuntimeContainerd, cid, uid},
		{"containerd cgroupfs guaranteed", "/kubepods/pod" + uid + "/" + cid, KindContainer, RuntimeContainerd, cid, uid},
		{"kind node nesting", "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + uidu + ".slice/cri-containerd-" + cid + ".scope", KindContainer, RuntimeContainerd, cid, uid},
		{"crio systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidu + ".slice/crio-" + cid + ".scope", KindContainer, RuntimeCRIO, cid, uid},
		{"crio cgroupfs", "/kubepods/burstable/pod" + uid + "/crio-" + cid, KindContainer, RuntimeCRIO, cid, uid},
		{"crio conmon is not the container", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidu + ".slice/crio-conmon-" + cid + ".scope", KindHost, RuntimeCRIO, "", ""},
		{"docker systemd", "/system.slice/docker-" + cid + ".scope", KindContainer, RuntimeDocker, cid, ""},
		{"docker cgroupfs", "/docker/" + cid, KindContainer, RuntimeDocker, cid, ""},
		{"podman rootful", "/machine.slice/libpod-" + cid + ".scope", KindContainer, RuntimePodman, cid, ""},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + cid + ".scope", KindContainer, RuntimePodman, cid, ""},
		{"podman cgroupfs", "/libpod_parent/libpod-" + cid, KindContainer, RuntimePodman, cid, ""},
		{"podman conmon", "/machine.slice/libpod-conmon-" + cid + ".scope", KindHost, RuntimePodman, "", ""},
		{"systemd inside a container", "/system.slice/docker-" + cid + ".scope/init.scope", KindContainer, RuntimeDocker, cid, ""},
		{"host root", "/", KindHost, RuntimeUnknown, "", ""},
		{"host service", "/system.slice/ssh.service", KindHost, RuntimeUnknown, "", ""},
		{"user session", "/user.slice/user-0.slice/session-3.scope", KindHost, RuntimeUnknown, "", ""},
		{"pod cgroup without container", "/kubepods/burstable/pod" + uid, KindUnknown, RuntimeUnknown, "", uid},
		{"kubepods of unknown shape", "/kubepods.slice/kubepods-burstable.slice/something-else", KindUnknown, RuntimeUnknown, "", ""},
		{"truncated id", "/system.slice/docker-" + cid[:20] + ".scope", KindUnknown, RuntimeUnknown, "", ""},
		{"uppercase id is not an id", "/docker/" + strings.ToUpper(cid), KindHost, RuntimeUnknown, "", ""},
		{"bare id without a known parent", "/weird/" + cid, KindUnknown, RuntimeUnknown, "", ""},
		{"static pod hash uid", "/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" + cid, KindContainer, RuntimeContainerd, cid, "0123456789abcdef0123456789abcdef"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParsePath(c.path)
			if got.Kind != c.kind || got.ContainerID != c.id || got.PodUID != c.pod {
				t.Errorf("ParsePath(%q) = %+v, want kind %d id %q pod %q", c.path, got, c.kind, c.id, c.pod)
			}
			if c.kind == KindContainer && got.Runtime != c.runtime {
				t.Errorf("runtime %s, want %s", got.Runtime, c.runtime)
			}
			if got.Path != c.path {
				t.Errorf("path %q", got.Path)
			}
		})
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/", "/kubepods/besteffort/pod" + uid + "/" + cid,
		"/kubepods.slice/kubepods-pod" + uidu + ".slice/cri-containerd-" + cid + ".scope",
		"/docker/" + cid, "/machine.slice/libpod-conmon-" + cid + ".scope", "//kubepods-pod.slice//",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		ref := ParsePath(path)
		switch ref.Kind {
		case KindContainer:
			if !isContainerID(ref.ContainerID) || !strings.Contains(path, ref.ContainerID) {
				t.Fatalf("container id %q not from %q", ref.ContainerID, path)
			}
		default:
			if ref.ContainerID != "" {
				t.Fatalf("kind %d with container id %q", ref.Kind, ref.ContainerID)
			}
		}
		if ref.PodUID != "" && len(ref.PodUID) != 36 && len(ref.PodUID) != 32 {
			t.Fatalf("pod uid %q", ref.PodUID)
		}
	})
}

func TestParseProcCgroup(t *testing.T) {
	hybrid := "9:name=systemd:/\n4:memory:/docker/" + cid + "\n1:cpu:/\n0::/\n"
	if ref := ParseProcCgroup(hybrid); ref.Kind != KindContainer || ref.ContainerID != cid || ref.Runtime != RuntimeDocker {
		t.Errorf("hybrid %+v", ref)
	}
	v2 := "0::/kubepods/besteffort/pod" + uid + "/" + cid + "\n"
	if ref := ParseProcCgroup(v2); ref.ContainerID != cid || ref.PodUID != uid {
		t.Errorf("v2 %+v", ref)
	}
	if ref := ParseProcCgroup("0::/user.slice/user-0.slice/session-1.scope\n"); ref.Kind != KindHost {
		t.Errorf("host %+v", ref)
	}
	if ref := ParseProcCgroup("garbage"); ref.Kind != KindHost {
		t.Errorf("garbage %+v", ref)
	}
}
