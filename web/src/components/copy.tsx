import { useState } from "preact/hooks";

// CopyField shows a value with a button that copies it, and says so to
// screen readers.
export function CopyField({ label, value, multiline, testId }: { label: string; value: string; multiline?: boolean; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="copy-field">
      <span class="field-label">{label}</span>
      <div class="copy-row">
        {multiline ? (
          <pre class="mono copy-value" tabIndex={0} data-testid={testId}>
            {value}
          </pre>
        ) : (
          <code class="mono copy-value" data-testid={testId}>
            {value}
          </code>
        )}
        <button type="button" class="button" onClick={copy} aria-label={`Copy: ${label}`}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <span class="sr-only" aria-live="polite">
        {copied ? `${label} copied` : ""}
      </span>
    </div>
  );
}
