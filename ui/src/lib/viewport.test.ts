import { describe, expect, it } from 'vitest';
import { rowsInView, scrollToShow } from './viewport';

describe('the rows a table viewport shows', () => {
  it('shows the rows under the viewport and the overscan after them at the top', () => {
    // 544 px of 34 px rows: rows 0–15 are seen, 4 more are ready below.
    expect(rowsInView(0, 544, 64_218, 34, 4)).toEqual({ first: 0, last: 19 });
  });

  it('counts a row cut by either edge as shown', () => {
    // Scrolled 10 px into row 3: rows 3–19 are (partly) seen.
    expect(rowsInView(3 * 34 + 10, 544, 1_000, 34, 0)).toEqual({ first: 3, last: 19 });
  });

  it('keeps overscan on both sides in the middle', () => {
    expect(rowsInView(34_000, 340, 64_218, 34, 5)).toEqual({ first: 995, last: 1_014 });
  });

  it('stops at the last row when scrolled to the end', () => {
    const count = 64_218;
    const top = count * 34 - 544;
    expect(rowsInView(top, 544, count, 34, 8)).toEqual({ first: count - 16 - 8, last: count - 1 });
  });

  it('shows what is left after the rows shrank under a deep scroll position', () => {
    // A search leaves 12 rows while the viewport is still scrolled far down.
    expect(rowsInView(200_000, 544, 12, 34, 4)).toEqual({ first: 7, last: 11 });
  });

  it('shows nothing without rows, and only the overscan before the viewport is measured', () => {
    expect(rowsInView(0, 544, 0, 34, 4)).toEqual({ first: 0, last: -1 });
    expect(rowsInView(0, 0, 100, 34, 4)).toEqual({ first: 0, last: 4 });
  });
});

describe('scrolling a row into view', () => {
  it('leaves a row in view where it is', () => {
    expect(scrollToShow(5, 0, 544, 34)).toBeNull();
  });

  it('scrolls up to a row above the viewport, and down just enough to a row below it', () => {
    expect(scrollToShow(2, 340, 544, 34)).toBe(68);
    // Row 16 ends at 578 px: scrolled by 34 px it ends at the viewport's bottom edge.
    expect(scrollToShow(16, 0, 544, 34)).toBe(34);
  });
});
