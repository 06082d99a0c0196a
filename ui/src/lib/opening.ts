// A session page opens from one read of the local copy: the session's numbers, its question
// columns and the attendance table's first page come in one answer, which the page and its
// table share (one round trip and one render instead of two).
import type { PageQuery } from '../api';

/** The attendance table's first page as it opens: by name, nothing searched or filtered. */
export const FIRST_PAGE: PageQuery = { search: '', filter: null, sort: 'name', descending: false, offset: 0, limit: 200 };

/** Whether two page queries ask for the same rows. */
export function sameQuery(a: PageQuery, b: PageQuery): boolean {
  return (
    a.search === b.search &&
    a.filter === b.filter &&
    a.sort === b.sort &&
    a.descending === b.descending &&
    a.offset === b.offset &&
    a.limit === b.limit
  );
}
