/**
 * Charts for the statistics page, as geometry the template draws with inline SVG elements: no script,
 * no style attributes (the CSP's style-src 'self' forbids them) - colours come from classes in
 * console.css. Pure: numbers in, rectangles and labels out. Each chart has its data table beside it on
 * the page, which is what a screen reader reads.
 */

export interface Bar {
  label: string;
  /** null: no value (suppressed, or nothing to measure). */
  value: number | null;
  valueText: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface HBarChart {
  width: number;
  height: number;
  labelWidth: number;
  bars: Bar[];
}

const WIDTH = 640;
const LABEL = 170;
const ROW = 30;
const BAR = 20;
const VALUE_ROOM = 80;

/** Horizontal bars, one per row; `max` fixes the scale (1 for shares), else the largest value. */
export function horizontalBars(rows: Array<{ label: string; value: number | null }>, format: (v: number | null) => string, max?: number): HBarChart {
  const top = Math.max(max ?? 0, ...rows.map((r) => r.value ?? 0));
  const room = WIDTH - LABEL - VALUE_ROOM;
  return {
    width: WIDTH,
    height: Math.max(ROW, rows.length * ROW) + 4,
    labelWidth: LABEL,
    bars: rows.map((r, i) => ({
      label: r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label,
      value: r.value,
      valueText: format(r.value),
      x: LABEL,
      y: i * ROW + (ROW - BAR) / 2,
      // A value above zero is at least 2 px wide, so it does not read as nothing.
      width: r.value === null || top === 0 ? 0 : Math.max(r.value > 0 ? 2 : 0, Math.round((r.value / top) * room)),
      height: BAR,
    })),
  };
}

export interface ColumnGroup {
  label: string;
  x: number;
  columns: Array<{ series: number; value: number | null; x: number; y: number; width: number; height: number }>;
}

export interface ColumnChart {
  width: number;
  height: number;
  baseline: number;
  max: number;
  groups: ColumnGroup[];
  /** Horizontal grid lines with their values. */
  grid: Array<{ y: number; value: number }>;
}

const COL_HEIGHT = 180;
const COL_TOP = 10;

/** Grouped columns: one group per label (a month), one column per series in it. */
export function groupedColumns(groups: Array<{ label: string; values: Array<number | null> }>): ColumnChart {
  const series = Math.max(1, ...groups.map((g) => g.values.length));
  const top = Math.max(1, ...groups.flatMap((g) => g.values.map((v) => v ?? 0)));
  // A round scale: 1, 2 or 5 times a power of ten, so the grid lines carry plain numbers.
  const step = [1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(top / 4 || 1))).find((s) => top / s <= 5) ?? 10 ** Math.ceil(Math.log10(top));
  const max = Math.ceil(top / step) * step;
  const left = 40;
  const groupWidth = Math.max(36, Math.min(90, Math.floor((WIDTH - left) / Math.max(1, groups.length))));
  const colWidth = Math.floor((groupWidth - 10) / series);
  const baseline = COL_TOP + COL_HEIGHT;
  const y = (v: number) => baseline - Math.round((v / max) * COL_HEIGHT);
  return {
    width: Math.max(WIDTH, left + groups.length * groupWidth),
    height: baseline + 28,
    baseline,
    max,
    grid: Array.from({ length: Math.round(max / step) + 1 }, (_, i) => ({ y: y(i * step), value: i * step })),
    groups: groups.map((g, gi) => ({
      label: g.label,
      x: left + gi * groupWidth + groupWidth / 2,
      columns: g.values.map((v, si) => ({
        series: si,
        value: v,
        x: left + gi * groupWidth + 5 + si * colWidth,
        y: v === null ? baseline : y(v),
        width: colWidth - 2,
        height: v === null ? 0 : baseline - y(v),
      })),
    })),
  };
}
