/**
 * Plane geometry for verifying feature matches: 2-point similarity and least-squares affine fits, the
 * affine's singular values (scale, shear), and convex polygon clipping for "which part of the
 * registered picture is in view".
 *
 * An affine [a, b, c, d, e, f] maps (x, y) to (a x + b y + c, d x + e y + f).
 */
export type Affine = [number, number, number, number, number, number];

export interface Point {
  x: number;
  y: number;
}

/** The similarity (rotation, uniform scale, shift) taking r1 -> q1 and r2 -> q2; null if r1 == r2. */
export function similarityFrom2(r1x: number, r1y: number, q1x: number, q1y: number, r2x: number, r2y: number, q2x: number, q2y: number): Affine | null {
  const dx = r2x - r1x;
  const dy = r2y - r1y;
  const n = dx * dx + dy * dy;
  if (n < 1e-6) return null;
  const ex = q2x - q1x;
  const ey = q2y - q1y;
  // q = [[a, -b], [b, a]] r + t
  const a = (dx * ex + dy * ey) / n;
  const b = (dx * ey - dy * ex) / n;
  return [a, -b, q1x - a * r1x + b * r1y, b, a, q1y - b * r1x - a * r1y];
}

/** Least-squares affine over the pairs listed in `idx` (at least 3, not collinear); null if degenerate. */
export function fitAffine(rx: ArrayLike<number>, ry: ArrayLike<number>, qx: ArrayLike<number>, qy: ArrayLike<number>, idx: ArrayLike<number>): Affine | null {
  const n = idx.length;
  if (n < 3) return null;
  // Centre both sides for conditioning, solve the 2x2 normal equations per output coordinate.
  let mrx = 0, mry = 0, mqx = 0, mqy = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    mrx += rx[i]; mry += ry[i]; mqx += qx[i]; mqy += qy[i];
  }
  mrx /= n; mry /= n; mqx /= n; mqy /= n;
  let sxx = 0, sxy = 0, syy = 0, ux = 0, uy = 0, vx = 0, vy = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    const x = rx[i] - mrx, y = ry[i] - mry, u = qx[i] - mqx, v = qy[i] - mqy;
    sxx += x * x; sxy += x * y; syy += y * y;
    ux += u * x; uy += u * y; vx += v * x; vy += v * y;
  }
  const det = sxx * syy - sxy * sxy;
  if (Math.abs(det) < 1e-9 * (sxx + syy) * (sxx + syy) || det === 0) return null;
  const a = (ux * syy - uy * sxy) / det;
  const b = (uy * sxx - ux * sxy) / det;
  const d = (vx * syy - vy * sxy) / det;
  const e = (vy * sxx - vx * sxy) / det;
  return [a, b, mqx - a * mrx - b * mry, d, e, mqy - d * mrx - e * mry];
}

/** Singular values of the affine's linear part, largest first, and its determinant's sign. */
export function linearShape(m: Affine): { s1: number; s2: number; det: number } {
  const [a, b, , d, e] = m;
  const det = a * e - b * d;
  const q = a * a + b * b + d * d + e * e;
  const disc = Math.sqrt(Math.max(0, q * q - 4 * det * det));
  const s1 = Math.sqrt((q + disc) / 2);
  const s2 = Math.sqrt(Math.max(0, (q - disc) / 2));
  return { s1, s2, det };
}

export function invertAffine(m: Affine): Affine | null {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) return null;
  const ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

export function apply(m: Affine, x: number, y: number): Point {
  return { x: m[0] * x + m[1] * y + m[2], y: m[3] * x + m[4] * y + m[5] };
}

export function rectangle(w: number, h: number): Point[] {
  return [{ x: 0, y: 0 }, { x: w, y: 0 }, { x: w, y: h }, { x: 0, y: h }];
}

/** The part of polygon `p` inside the axis-aligned box [0, w] x [0, h] (Sutherland-Hodgman). */
export function clipToBox(p: Point[], w: number, h: number): Point[] {
  const edges: Array<[(q: Point) => number, number]> = [
    [(q) => q.x, 0], [(q) => -q.x, -w], [(q) => q.y, 0], [(q) => -q.y, -h],
  ];
  let out = p;
  for (const [f, lim] of edges) {
    const inp = out;
    out = [];
    for (let i = 0; i < inp.length; i++) {
      const a = inp[i];
      const b = inp[(i + 1) % inp.length];
      const fa = f(a) - lim;
      const fb = f(b) - lim;
      if (fa >= 0) out.push(a);
      if ((fa >= 0) !== (fb >= 0)) {
        const t = fa / (fa - fb);
        out.push({ x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) });
      }
    }
    if (out.length === 0) return out;
  }
  return out;
}

export function polygonArea(p: Point[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i];
    const b = p[(i + 1) % p.length];
    s += a.x * b.y - b.x * a.y;
  }
  return Math.abs(s) / 2;
}

/** Point in convex polygon (either winding). */
export function insideConvex(p: Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i];
    const b = p[(i + 1) % p.length];
    const c = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    if (c !== 0) {
      if (sign === 0) sign = Math.sign(c);
      else if (Math.sign(c) !== sign) return false;
    }
  }
  return true;
}

/** A small deterministic PRNG, so a verification gives the same answer every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
