// Small charts drawn with plain elements, each with a text equivalent.
export interface Segment {
  label: string;
  value: number;
  tone: "ok" | "warn" | "bad" | "muted" | "info";
}

// StackedBar shows parts of a whole, e.g. nodes by sensor status.
export function StackedBar({ title, segments }: { title: string; segments: Segment[] }) {
  const total = segments.reduce((s, x) => s + x.value, 0);
  const summary = segments.map((s) => `${s.label} ${s.value}`).join(", ");
  return (
    <figure class="stacked">
      <div class="stacked-bar" role="img" aria-label={`${title}: ${total ? summary : "none"}`}>
        {total === 0 ? (
          <div class="stacked-empty" />
        ) : (
          segments
            .filter((s) => s.value > 0)
            .map((s) => <div key={s.label} class={`seg ${s.tone}`} style={{ flexGrow: s.value }} title={`${s.label}: ${s.value}`} />)
        )}
      </div>
      <figcaption>
        <ul class="legend">
          {segments.map((s) => (
            <li key={s.label}>
              <span class={`swatch ${s.tone}`} aria-hidden="true" />
              {s.label} <strong>{s.value}</strong>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

export interface FunnelStep {
  label: string;
  value: number;
}

// Funnel shows how a set narrows step by step, e.g. all vulnerabilities →
// critical and high → with a fix → applicable at runtime.
export function Funnel({ title, steps }: { title: string; steps: FunnelStep[] }) {
  const max = Math.max(1, ...steps.map((s) => s.value));
  return (
    <figure class="funnel" role="img" aria-label={title}>
      <ol aria-hidden="true">
        {steps.map((s) => (
          <li key={s.label}>
            <span class="funnel-label">{s.label}</span>
            <span class="funnel-bar" style={{ width: `${s.value > 0 ? Math.max(1, (100 * s.value) / max) : 0}%` }} aria-hidden="true" />
            <strong class="funnel-value">{s.value.toLocaleString("en")}</strong>
          </li>
        ))}
      </ol>
    </figure>
  );
}
