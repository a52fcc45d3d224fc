// Pager moves through a keyset-paged list. The URL holds the current
// page token (so the page is a link); history.state holds the tokens of
// the pages before it, so "Previous" works within a visit.
import { PAGE_SIZES } from "../query";
import { type Location, hrefWith, navigate } from "../router";

export function Pager({ loc, shown, next, noun }: { loc: Location; shown: number; next: string; noun: string }) {
  const prev = loc.state.prev ?? [];
  const token = loc.params.get("page") ?? "";
  const size = loc.params.get("size") ?? "";
  const first = token === "";
  const goNext = () => navigate(hrefWith(loc, { page: next }), { state: { prev: [...prev, token] } });
  const goPrev = () => {
    const p = [...prev];
    const t = p.pop() ?? "";
    navigate(hrefWith(loc, { page: t }), { state: { prev: p } });
  };
  const goFirst = () => navigate(hrefWith(loc, { page: undefined }));
  const pageNo = first ? 1 : prev.length > 0 || token ? prev.length + 1 : 1;
  return (
    <nav class="pager" aria-label={`Pages of ${noun}`}>
      <span class="pager-info" aria-live="polite">
        {first || prev.length ? `Page ${pageNo}` : "A later page"} · {shown} {noun}
        {next ? "" : first ? "" : " (last page)"}
      </span>
      <button type="button" class="button" disabled={first} onClick={goFirst}>
        First
      </button>
      <button type="button" class="button" disabled={first || prev.length === 0} onClick={goPrev}>
        Previous
      </button>
      <button type="button" class="button" disabled={!next} onClick={goNext}>
        Next
      </button>
      <label class="pager-size">
        Rows per page{" "}
        <select
          value={size || String(PAGE_SIZES[0])}
          onChange={(e) => navigate(hrefWith(loc, { size: (e.currentTarget as HTMLSelectElement).value, page: undefined }))}
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
