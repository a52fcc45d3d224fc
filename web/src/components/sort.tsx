// SortNote says how a list is sorted and offers every order the platform
// has for it, including those no column shows (a workload's kind, when a
// process was first seen). Columns whose header is a button sort the same
// way; the others are not sortable because the platform cannot sort the
// whole list by them.
import type { ComponentChildren } from "preact";
import type { SortOption } from "../sorts";

export function SortNote({
  options,
  order,
  onOrder,
  noun,
  children,
}: {
  options: SortOption[];
  order: string;
  onOrder: (order: string) => void;
  noun: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="table-note sort-note">
      <label class="sort-select">
        Sort {noun} by{" "}
        <select value={order} onChange={(e) => onOrder((e.currentTarget as HTMLSelectElement).value)}>
          {options.map((o) => (
            <option key={o.order} value={o.order}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <span>
        The platform sorts all the {noun}, across pages; columns without a sort button cannot be sorted by it. {children}
      </span>
    </div>
  );
}
