// FilterBar edits the filter parameters of the URL. Text fields apply on
// Enter or "Apply" (one request per intent, not per keystroke); the time
// window applies at once.
import { useEffect, useRef } from "preact/hooks";
import { WINDOWS, windowOf } from "../query";
import { type Location, setParams } from "../router";

export interface FieldSpec {
  key: string;
  label: string;
  placeholder?: string;
  // Suggestions offered as a datalist.
  options?: string[];
  wide?: boolean;
}

export function FilterBar({
  loc,
  fields,
  defaultWindow,
  windowHint,
  extra,
  label = "Filters",
}: {
  label?: string;
  loc: Location;
  fields: FieldSpec[];
  defaultWindow?: string;
  windowHint?: string;
  extra?: preact.ComponentChildren;
}) {
  const form = useRef<HTMLFormElement>(null);
  // Keep the inputs in step with the URL when it changes by navigation.
  useEffect(() => {
    const f = form.current;
    if (!f) return;
    for (const spec of fields) {
      const input = f.elements.namedItem(spec.key) as HTMLInputElement | null;
      if (input) input.value = loc.params.get(spec.key) ?? "";
    }
  }, [loc.params.toString()]);

  const apply = (e: Event) => {
    e.preventDefault();
    const f = form.current!;
    const patch: Record<string, string> = {};
    for (const spec of fields) {
      const input = f.elements.namedItem(spec.key) as HTMLInputElement;
      patch[spec.key] = input.value.trim();
    }
    setParams(loc, patch);
  };
  const clear = () => {
    const patch: Record<string, undefined> = {};
    for (const spec of fields) patch[spec.key] = undefined;
    setParams(loc, patch);
  };
  const active = fields.some((f) => loc.params.get(f.key));
  return (
    <form class="filters" ref={form} onSubmit={apply} role="search" aria-label={label}>
      {fields.map((f) => (
        <label key={f.key} class={f.wide ? "field wide" : "field"}>
          <span class="field-label">{f.label}</span>
          <input
            name={f.key}
            type="search"
            defaultValue={loc.params.get(f.key) ?? ""}
            placeholder={f.placeholder}
            list={f.options?.length ? `opts-${f.key}` : undefined}
            autocomplete="off"
            spellcheck={false}
          />
          {f.options?.length ? (
            <datalist id={`opts-${f.key}`}>
              {f.options.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          ) : null}
        </label>
      ))}
      {defaultWindow && (
        <label class="field window">
          <span class="field-label">Time window</span>
          <select
            name="window"
            value={windowOf(loc.params.get("window"), defaultWindow).key}
            title={windowHint}
            onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value;
              setParams(loc, { window: v === defaultWindow ? undefined : v });
            }}
          >
            {WINDOWS.map((w) => (
              <option key={w.key} value={w.key}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {extra}
      <div class="filter-actions">
        <button type="submit" class="button primary">
          Apply
        </button>
        {active && (
          <button type="button" class="button" onClick={clear}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
