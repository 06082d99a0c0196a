// Which rows of a table whose rows all have one height the viewport shows, and where to scroll
// to bring a row into view: arithmetic on the scroll position, so a table of 64,000 rows costs
// what one of 64 does. (A general virtualizer measures every row each time the row count
// changes — 7–13 ms for 64,000 rows, on the way to a table's first paint.)

/** Rows `first` to `last`, both included; empty when `last < first`. */
export interface RowSpan {
  first: number;
  last: number;
}

/** The rows a viewport of `height` pixels scrolled to `top` shows, with `overscan` more on each
 * side so a scroll shows rows already there. */
export function rowsInView(top: number, height: number, count: number, rowHeight: number, overscan: number): RowSpan {
  if (count <= 0 || rowHeight <= 0) return { first: 0, last: -1 };
  const firstShown = Math.min(count - 1, Math.max(0, Math.floor(top / rowHeight)));
  const lastShown = Math.min(count - 1, Math.max(firstShown, Math.ceil((top + Math.max(0, height)) / rowHeight) - 1));
  return { first: Math.max(0, firstShown - overscan), last: Math.min(count - 1, lastShown + overscan) };
}

/** The scroll position that brings row `index` fully into view with the least movement, or
 * `null` when it is already in view. */
export function scrollToShow(index: number, top: number, height: number, rowHeight: number): number | null {
  const start = index * rowHeight;
  const end = start + rowHeight;
  if (start < top) return start;
  if (end > top + height) return Math.max(0, end - height);
  return null;
}
