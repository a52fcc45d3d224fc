#!/usr/bin/env bash
# Runs Runwatch on this machine: the platform on its embedded SQLite store
# and, when this is Linux, we are root and the kernel has BTF, a host-mode
# sensor beside it that reports this machine's processes and libraries.
# Ctrl-C stops both. Flags after -- go to runwatch-platform.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA_DIR=${DATA_DIR:-./runwatch-data}
LISTEN=${RUNWATCH_LISTEN:-127.0.0.1:8080}
# The platform's own --listen, if given, is where it will be.
prev=""
for a in "$@"; do
  case "$a" in --listen=*) LISTEN=${a#--listen=} ;; esac
  [ "$prev" = --listen ] && LISTEN=$a
  prev=$a
done
mkdir -p bin "$DATA_DIR"

echo "building runwatch-platform and runwatchctl ..." >&2
go build -o bin/ ./platform/cmd/runwatch-platform ./platform/cmd/runwatchctl

sensor_ok=""
if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ] && [ -z "${RUNWATCH_NO_SENSOR:-}" ]; then
  echo "building runwatch-sensor ..." >&2
  (cd agents && go build -o ../bin/ ./cmd/runwatch-sensor) && sensor_ok=1
else
  echo "not starting a host sensor (it needs Linux, root and /sys/kernel/btf/vmlinux); the platform runs alone" >&2
fi

pids=()
stop() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait; }
trap stop INT TERM EXIT

bin/runwatch-platform --listen "$LISTEN" --data-dir "$DATA_DIR" "$@" &
pids+=($!)
url="http://$LISTEN"
ready=""
for _ in $(seq 1 300); do
  if curl -fsS "$url/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "${pids[0]}" 2>/dev/null || exit 1
  sleep 0.1
done
[ -n "$ready" ] || { echo "the platform did not become ready at $url/readyz" >&2; exit 1; }

if [ -n "$sensor_ok" ]; then
  # One registration token for the host sensor, kept in the data
  # directory; a new one is made if it was revoked or expired.
  tokfile="$DATA_DIR/host-sensor.token"
  export RUNWATCH_DATA_DIR="$DATA_DIR"
  id=$(cut -d_ -f2 "$tokfile" 2>/dev/null || true)
  if [ -z "$id" ] || ! bin/runwatchctl --server "$url" token list --cluster local 2>/dev/null | awk -v id="$id" '$1 == id && $3 == "active" { ok = 1 } END { exit !ok }'; then
    bin/runwatchctl --server "$url" token create --cluster local --description "host sensor of $(hostname)" > "$tokfile" 2>/dev/null
    chmod 600 "$tokfile"
  fi
  RUNWATCH_PLATFORM="$url" RUNWATCH_TOKEN="$(cat "$tokfile")" \
    bin/runwatch-sensor --host --spool-dir "$DATA_DIR/sensor-spool" --listen 127.0.0.1:9464 &
  pids+=($!)
  echo "host sensor started: this machine appears as cluster \"local\" (try: bin/runwatchctl processes --window 1h)" >&2
fi
echo "Runwatch is at $url (admin token in $DATA_DIR/admin-token; the first admin's password is in the log above on a first start)" >&2
wait -n "${pids[@]}"
