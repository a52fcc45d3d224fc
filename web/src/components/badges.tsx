import { ControllerStatus, SensorStatus } from "../gen/runwatch/v1/runtime_types_pb";
import { enumLabel } from "../format";

type Tone = "ok" | "warn" | "bad" | "muted" | "info";

export function Badge({ tone, children, title }: { tone: Tone; children: preact.ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${tone}`} title={title}>
      <span class="dot" aria-hidden="true" />
      {children}
    </span>
  );
}

export const sensorTone: Record<SensorStatus, Tone> = {
  [SensorStatus.UNSPECIFIED]: "muted",
  [SensorStatus.NOT_INSTALLED]: "muted",
  [SensorStatus.RUNNING]: "ok",
  [SensorStatus.DEGRADED]: "warn",
  [SensorStatus.FAILED]: "bad",
  [SensorStatus.DISABLED]: "muted",
  [SensorStatus.RESTRICTED]: "bad",
  [SensorStatus.STOPPED]: "muted",
};

export function SensorBadge({ status, title }: { status: SensorStatus; title?: string }) {
  return (
    <Badge tone={sensorTone[status] ?? "muted"} title={title}>
      {enumLabel(SensorStatus, status)}
    </Badge>
  );
}

const controllerTone: Record<ControllerStatus, Tone> = {
  [ControllerStatus.UNSPECIFIED]: "muted",
  [ControllerStatus.NOT_CONNECTED]: "muted",
  [ControllerStatus.CONNECTED]: "ok",
  [ControllerStatus.DEGRADED]: "warn",
  [ControllerStatus.DISCONNECTED]: "bad",
};

export function ControllerBadge({ status, title }: { status: ControllerStatus; title?: string }) {
  return (
    <Badge tone={controllerTone[status] ?? "muted"} title={title}>
      {enumLabel(ControllerStatus, status)}
    </Badge>
  );
}

export function GoneBadge({ gone }: { gone: boolean }) {
  return gone ? <Badge tone="muted">gone</Badge> : <Badge tone="ok">running</Badge>;
}

export function DriftBadge() {
  return (
    <Badge tone="bad" title="The executable is not part of the container's image">
      drift
    </Badge>
  );
}
