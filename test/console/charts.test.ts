/** The statistics charts' geometry (console/charts.ts): pure, so checked without a browser. */
import { describe, expect, it } from 'vitest';
import { groupedColumns, horizontalBars } from '../../console/charts.ts';

describe('statistics charts', () => {
  it('horizontal bars scale to the largest value (or a fixed maximum), leave suppressed values empty and keep small ones visible', () => {
    const c = horizontalBars([{ label: 'a', value: 10 }, { label: 'b', value: 5 }, { label: 'c', value: null }, { label: 'd', value: 0.01 }], (v) => (v === null ? '<5' : String(v)));
    const [a, b, none, tiny] = c.bars;
    expect(b.width * 2).toBe(a.width);
    expect(a.x + a.width).toBeLessThanOrEqual(c.width);
    expect(none).toMatchObject({ width: 0, valueText: '<5' });
    expect(tiny.width).toBe(2);
    expect(new Set(c.bars.map((x) => x.y)).size).toBe(4);
    const shares = horizontalBars([{ label: 'x', value: 0.5 }], String, 1);
    expect(shares.bars[0].width).toBe(Math.round(0.5 * (c.width - c.labelWidth - 80)));
    expect(horizontalBars([{ label: 'a very long platform name indeed', value: 1 }], String).bars[0].label).toHaveLength(22);
  });

  it('grouped columns stand on one baseline under a round scale, one column per series', () => {
    const c = groupedColumns([{ label: '2026-01', values: [3, 7, null] }, { label: '2026-02', values: [0, 12, 1] }]);
    expect(c.max).toBe(15);
    expect(c.grid.map((g) => g.value)).toEqual([0, 5, 10, 15]);
    for (const g of c.groups) for (const col of g.columns) expect(col.y + col.height).toBe(c.baseline);
    expect(c.groups[1].columns[1].height).toBe(Math.round((12 / 15) * 180));
    expect(c.groups[0].columns[2].height).toBe(0);
    expect(c.groups[0].columns.map((x) => x.series)).toEqual([0, 1, 2]);
    expect(c.groups[1].columns[0].x).toBeGreaterThan(c.groups[0].columns[2].x);
  });
});
