#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager,
# kwok) and helm from this module into a cache directory outside the clone,
# and does nothing when the binaries there were built from the same
# go.mod/go.sum.
#
#   tools/k8s/build.sh            # build into the default directory if stale
#   RUNWATCH_K8S_BIN=/x tools/k8s/build.sh
#
# Prints the directory on its last line. A cold build takes minutes of CPU
# (Kubernetes is large); it reports progress while it compiles.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s_version=v1.37.2
bin=${RUNWATCH_K8S_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/runwatch/k8s-$k8s_version/bin}
# The versions are those go.mod and go.sum pin; nothing is resolved anew.
export GOWORK=off GOFLAGS=-mod=readonly

stamp=$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -d' ' -f1)
want=(etcd kube-apiserver kube-controller-manager kwok helm)
fresh=true
for b in "${want[@]}"; do [ -x "$bin/$b" ] || fresh=false; done
if $fresh && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "test control plane is up to date in $bin" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
rm -f "$bin/.stamp"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"

# go build -v names each package as it compiles it; count them so a person
# waiting sees progress without thousands of lines.
progress() {
  awk -v what="$1" '{ n++; if (n % 100 == 0) { printf "  %s: %d packages compiled\n", what, n > "/dev/stderr"; fflush("/dev/stderr") } }
    END { printf "  %s: %d packages compiled\n", what, n > "/dev/stderr" }'
}

build() { # build NAME PACKAGE
  local name=$1 pkg=$2 start=$SECONDS
  echo "building $name ($pkg)..." >&2
  (cd "$here" && go build -v -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg") 2>&1 | progress "$name"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "building $name failed" >&2; exit 1; }
  mv "$bin/$name.tmp" "$bin/$name"
  echo "built $name in $((SECONDS - start))s" >&2
}

echo "building the test control plane $k8s_version into $bin (a cold build takes ~10 minutes)" >&2
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kwok sigs.k8s.io/kwok/cmd/kwok
build helm helm.sh/helm/v4/cmd/helm
echo "$stamp" > "$bin/.stamp"
echo "$bin"
