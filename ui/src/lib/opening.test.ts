import { describe, expect, it } from 'vitest';
import { FIRST_PAGE, sameQuery } from './opening';

describe('the first page a session opens with', () => {
  it('is the first rows by name, nothing searched or filtered', () => {
    expect(FIRST_PAGE).toEqual({ search: '', filter: null, sort: 'name', descending: false, offset: 0, limit: 200 });
  });

  it('is told from any other page query', () => {
    expect(sameQuery(FIRST_PAGE, { ...FIRST_PAGE })).toBe(true);
    for (const change of [{ search: 'ann' }, { filter: 'attended' }, { sort: 'email' }, { descending: true }, { offset: 200 }, { limit: 100 }]) {
      expect(sameQuery(FIRST_PAGE, { ...FIRST_PAGE, ...change }), JSON.stringify(change)).toBe(false);
    }
  });
});
