// The designed states of anything that loads: loading, empty and error.
import type { ComponentChildren } from "preact";
import { describeError } from "../api";

export function Loading({ label, rows = 6 }: { label: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="sr-only">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div class="skeleton" key={i} aria-hidden="true" />
      ))}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-hint">{children}</div>}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const d = describeError(error);
  return (
    <div class="error-box" role="alert">
      <p class="error-title">{d.title}</p>
      <p class="error-detail">{d.detail}</p>
      {retry && (
        <button type="button" class="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
