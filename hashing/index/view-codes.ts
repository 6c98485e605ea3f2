/**
 * View codes: each index entry says which view of the material its hash was taken from (the plain hash,
 * a dihedral variant, the border-trimmed image, a region...). Storing the label per entry would cost a JS
 * string per entry; a one-byte code into this small table costs one byte.
 *
 * The first codes are fixed so that they mean the same thing in every process; other labels (e.g.
 * 'crop:...') get the next free code when first seen. Labels are what the database stores, codes are
 * only an in-memory detail.
 */
export const FIXED_VIEWS = [
  'orig', // the plain whole-image hash, or a video frame
  'rot90',
  'rot180',
  'rot270',
  'flipx',
  'flipy',
  'flipp',
  'flipm',
  'trim',
] as const;

/** At most 256 distinct labels fit a byte. */
export const MAX_VIEWS = 256;

const LABEL = /^[a-z0-9][a-z0-9:._-]{0,63}$/i;

export class ViewTable {
  private readonly labels: string[] = [...FIXED_VIEWS];
  private readonly codes = new Map<string, number>(FIXED_VIEWS.map((v, i) => [v, i]));

  /** The code of `label`, registering it when new. */
  code(label: string): number {
    const known = this.codes.get(label);
    if (known !== undefined) return known;
    if (typeof label !== 'string' || !LABEL.test(label)) {
      throw new Error(
        `A view label must be 1-64 letters, digits or ':._-' starting with a letter or digit (like 'rot90' or 'crop:tl'); got ${JSON.stringify(String(label).slice(0, 80))}.`,
      );
    }
    if (this.labels.length >= MAX_VIEWS) {
      throw new Error(`The index already knows ${MAX_VIEWS} view labels, the most it can hold; cannot add '${label}'.`);
    }
    const code = this.labels.length;
    this.labels.push(label);
    this.codes.set(label, code);
    return code;
  }

  /** The label of `code`; throws for a code never handed out. */
  label(code: number): string {
    const label = this.labels[code];
    if (label === undefined) throw new Error(`View code ${code} is not known to this index.`);
    return label;
  }

  get size(): number {
    return this.labels.length;
  }
}
