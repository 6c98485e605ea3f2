/*
 * The hot loops of local-feature extraction (hashing/features/js-kernel.ts is the reference), as a
 * plain-C Node-API addon. Every function gives byte for byte what the TypeScript gives:
 *   - floating point is double with float stores exactly where the TypeScript stores into a
 *     Float32Array; binding.gyp builds with -ffp-contract=off (no fused multiply-add) and no fast-math;
 *   - Math.round is mirrored by js_round (halves up, also for negatives), not C's round(); the one
 *     half-to-even rounding (greyFromSrgb, after libvips' rintf) is float arithmetic in the default
 *     rounding mode;
 *   - no transcendental functions here (V8's and glibc's differ in the last ulp): orientation returns
 *     the integer moments and the TypeScript takes atan2.
 * Scratch memory is per call (worker threads call this concurrently).
 */
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* Loops written for AVX2 as well, run when the CPU has it (asked once, when the addon loads). */
#define AVX2_PATHS 1
static int have_avx2 = 0;
#endif
/* A loop the compiler vectorises, compiled twice: for AVX2 and for any x86-64, the one to run chosen
   when the addon loads (glibc's ifunc). Integer arithmetic, so both give the same bytes. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__)
#define AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AVX2_CLONES
#endif

#define GRID 8
#define PATCH_RADIUS 15
#define ANGLE_BINS 30
#define PAIRS 256
#define MAX_SIDE 65535

/* Math.round: the nearest integer, halves towards +infinity. x - floor(x) is exact for |x| < 2^52. */
static double js_round(double x) {
  double f = floor(x);
  return x - f >= 0.5 ? f + 1.0 : f;
}

/* ---- argument handling: every mistake is a JS TypeError/RangeError, never a crash ---- */

static int fail(napi_env env, const char *code, const char *msg) {
  napi_throw_range_error(env, code, msg);
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: too few arguments.");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value v, int64_t lo, int64_t hi, const char *name, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d != floor(d) || d < (double)lo || d > (double)hi) {
    char msg[160];
    snprintf(msg, sizeof msg, "staydown features kernel: %s must be an integer from %lld to %lld.", name, (long long)lo, (long long)hi);
    napi_throw_range_error(env, "ERR_STAYDOWN_FEATURES_ARGS", msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static int get_array(napi_env env, napi_value v, napi_typedarray_type want, const char *name, void **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  char msg[160];
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is || napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) {
    static const char *names[] = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"};
    snprintf(msg, sizeof msg, "staydown features kernel: %s must be a %s.", name, (int)want < 9 ? names[want] : "typed array");
    napi_throw_type_error(env, "ERR_STAYDOWN_FEATURES_ARGS", msg);
    return 0;
  }
  if (*len > 0 && *data == NULL) {
    napi_throw_type_error(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: a detached buffer was given.");
    return 0;
  }
  return 1;
}

/* An image argument: data of exactly w * h bytes, w and h >= min. */
static int get_image(napi_env env, napi_value *argv, int64_t min, const uint8_t **data, int64_t *w, int64_t *h) {
  size_t len;
  if (!get_array(env, argv[0], napi_uint8_array, "the picture's data", (void **)data, &len)) return 0;
  if (!get_int(env, argv[1], min, MAX_SIDE, "the width", w) || !get_int(env, argv[2], min, MAX_SIDE, "the height", h)) return 0;
  if (*w * *h > (INT64_C(1) << 30)) return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the picture has more than 2^30 pixels.");
  if ((int64_t)len != *w * *h) return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the picture's data is not width x height bytes.");
  return 1;
}

static napi_value new_array(napi_env env, napi_typedarray_type type, size_t n, size_t elem, void **data) {
  napi_value ab, out;
  /* V8 zero-fills a new ArrayBuffer (box_sums relies on it for the edges). */
  if (napi_create_arraybuffer(env, n * elem, data, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, type, n, ab, 0, &out) != napi_ok) return NULL;
  return out;
}

static napi_value out_of_memory(napi_env env) {
  napi_throw_error(env, "ERR_STAYDOWN_FEATURES_MEMORY", "staydown features kernel: out of memory.");
  return NULL;
}

/* ---- greyFromSrgb(rgb, channels, w, h, toLinear, toSrgb): libvips' B_W of 8-bit sRGB ----
 * vips_col_scRGB2BW_8 in the same float arithmetic; the two tables come from js-kernel.ts. */

/* inline, with the stride a constant at each call, so each loop is compiled for its own stride. */
static inline void grey_pixels(const uint8_t *restrict src, int64_t n, const int stride, const float *restrict lr, const float *restrict lg,
                               const float *restrict lb, const float *restrict base, const float *restrict step, uint8_t *restrict out) {
  for (int64_t i = 0; i < n; i++, src += stride) {
    float yf = ((lr[src[0]] + lg[src[1]]) + lb[src[2]]) * 255;
    /* Whatever a caller's table holds, the index stays in range. */
    if (!(yf >= 0)) yf = 0;
    if (yf > 255) yf = 255;
    int yi = (int)yf;
    float v = base[yi] + step[yi] * (yf - (float)yi);
    /* rintf without a libm call: adding and taking away 2^23 rounds [0, 2^23) half to even. */
    out[i] = (uint8_t)((v + 8388608.0F) - 8388608.0F);
  }
}

static napi_value grey_from_srgb(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  const uint8_t *src;
  const float *lin;
  const int32_t *enc;
  size_t len, lin_len, enc_len;
  int64_t ch, w, h;
  if (!get_args(env, info, 6, argv)) return NULL;
  if (!get_array(env, argv[0], napi_uint8_array, "the pixels", (void **)&src, &len)) return NULL;
  if (!get_int(env, argv[1], 3, 4, "the channels", &ch) || !get_int(env, argv[2], 0, MAX_SIDE, "the width", &w) || !get_int(env, argv[3], 0, MAX_SIDE, "the height", &h)) return NULL;
  if (w * h > (INT64_C(1) << 30)) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the picture has more than 2^30 pixels."); return NULL; }
  if ((int64_t)len != w * h * ch) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the pixels are not width x height x channels bytes."); return NULL; }
  if (!get_array(env, argv[4], napi_float32_array, "the linear table", (void **)&lin, &lin_len) || !get_array(env, argv[5], napi_int32_array, "the sRGB table", (void **)&enc, &enc_len)) return NULL;
  if (lin_len != 256 || enc_len != 257) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the colour tables have the wrong length."); return NULL; }
  for (int k = 0; k < 257; k++) if (enc[k] < 0 || enc[k] > 255) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the sRGB table is out of range."); return NULL; }
  /* The products and steps as tables: the same float values the expressions give, once a call. */
  float lr[256], lg[256], lb[256], base[257], step[257];
  for (int k = 0; k < 256; k++) { lr[k] = 0.2126F * lin[k]; lg[k] = 0.7152F * lin[k]; lb[k] = 0.0722F * lin[k]; }
  for (int k = 0; k < 256; k++) { base[k] = (float)enc[k]; step[k] = (float)(enc[k + 1] - enc[k]); }
  base[256] = (float)enc[256]; step[256] = 0;
  int64_t n = w * h;
  uint8_t *out;
  napi_value result = new_array(env, napi_uint8_array, (size_t)n, 1, (void **)&out);
  if (!result) return NULL;
  if (ch == 3) grey_pixels(src, n, 3, lr, lg, lb, base, step, out);
  else grey_pixels(src, n, 4, lr, lg, lb, base, step, out);
  return result;
}

/* ---- reduceLinear(src, w, h, vFirst, vPhase, vMasks, vPoints, hFirst, hPhase, hMasks, hPoints) ----
 * libvips' linear reduce, rows then columns, with the plans js-kernel.ts makes (first input line and
 * mask phase of each output line, 12-bit masks). Integer sums: exact in any order. */

typedef struct { const int32_t *first, *phase; const int16_t *masks; int64_t points, out; } Plan;

static int get_plan(napi_env env, napi_value *argv, int64_t n, Plan *p) {
  size_t lf, lp, lm;
  if (!get_array(env, argv[0], napi_int32_array, "a plan's first lines", (void **)&p->first, &lf)) return 0;
  if (!get_array(env, argv[1], napi_int32_array, "a plan's phases", (void **)&p->phase, &lp)) return 0;
  if (!get_array(env, argv[2], napi_int16_array, "a plan's masks", (void **)&p->masks, &lm)) return 0;
  if (!get_int(env, argv[3], 1, 15, "a plan's points", &p->points)) return 0;
  p->out = (int64_t)lf;
  if (lf == 0 || lf != lp || (int64_t)lf > n || (int64_t)lm != 65 * p->points)
    return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: a reduce plan does not fit the picture.");
  for (int64_t k = 0; k < p->out; k++)
    if (p->phase[k] < 0 || p->phase[k] > 64) return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: a reduce plan's phase is out of range.");
  return 1;
}

static inline int64_t clamp_line(int64_t v, int64_t n) { return v < 0 ? 0 : v >= n ? n - 1 : v; }
static inline uint8_t fixed_to_byte(int32_t sum) { int32_t v = sum >> 12; return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* One output row of the vertical pass: the taps' rows summed in `acc` (restrict: no aliasing, so the
 * compiler vectorises the sums). */
AVX2_CLONES static void vertical_taps(int32_t *restrict acc, const uint8_t *restrict src, int64_t w, int64_t h, int64_t first,
                          const int16_t *restrict m, int64_t points, uint8_t *restrict q) {
  for (int64_t x = 0; x < w; x++) acc[x] = 2048;
  for (int64_t i = 0; i < points; i++) {
    const uint8_t *restrict row = src + clamp_line(first + i, h) * w;
    const int32_t k = m[i];
    for (int64_t x = 0; x < w; x++) acc[x] += k * row[x];
  }
  for (int64_t x = 0; x < w; x++) q[x] = fixed_to_byte(acc[x]);
}

/* inline with n a constant at each call: the taps' loop is unrolled (n is 3 for most shrinks). */
static inline void horizontal_taps_n(const uint8_t *restrict row, int64_t w, const Plan *p, uint8_t *restrict q, const int n) {
  for (int64_t x = 0; x < p->out; x++) {
    const int16_t *restrict m = p->masks + p->phase[x] * n;
    const int64_t f = p->first[x];
    int32_t sum = 2048;
    if (f >= 0 && f + n <= w) {
      const uint8_t *restrict r = row + f;
      for (int i = 0; i < n; i++) sum += m[i] * r[i];
    } else {
      for (int i = 0; i < n; i++) sum += m[i] * row[clamp_line(f + i, w)];
    }
    q[x] = fixed_to_byte(sum);
  }
}

static void horizontal_taps(const uint8_t *restrict row, int64_t w, const Plan *p, uint8_t *restrict q) {
  switch (p->points) {
    case 2: horizontal_taps_n(row, w, p, q, 2); break;
    case 3: horizontal_taps_n(row, w, p, q, 3); break;
    case 4: horizontal_taps_n(row, w, p, q, 4); break;
    case 5: horizontal_taps_n(row, w, p, q, 5); break;
    default: horizontal_taps_n(row, w, p, q, (int)p->points);
  }
}

static napi_value reduce_linear(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  const uint8_t *src;
  int64_t w, h;
  Plan pv, ph;
  if (!get_args(env, info, 11, argv) || !get_image(env, argv, 1, &src, &w, &h)) return NULL;
  if (!get_plan(env, argv + 3, h, &pv) || !get_plan(env, argv + 7, w, &ph)) return NULL;
  int64_t ow = ph.out, oh = pv.out;
  uint8_t *mid = malloc((size_t)(w * oh));
  int32_t *acc = malloc((size_t)w * sizeof(int32_t));
  if (!mid || !acc) { free(mid); free(acc); return out_of_memory(env); }
  for (int64_t y = 0; y < oh; y++) {
    const int16_t *m = pv.masks + pv.phase[y] * pv.points;
    vertical_taps(acc, src, w, h, pv.first[y], m, pv.points, mid + y * w);
  }
  free(acc);
  uint8_t *out;
  napi_value result = new_array(env, napi_uint8_array, (size_t)(ow * oh), 1, (void **)&out);
  if (result) {
    for (int64_t y = 0; y < oh; y++) horizontal_taps(mid + y * w, w, &ph, out + y * ow);
  }
  free(mid);
  return result;
}

/* ---- nearestPairs(q, qCount, r, rCount, prune, maxDistance, ratio): ratio-tested nearest descriptors ----
 * js-kernel.ts nearestPairs: the same pruning on words 0 and 4, the same first-nearest-wins order.
 * Returns [qi x qCount, ri x qCount, dist x qCount, n]. */

static inline int popcount32(uint32_t x) {
  x -= (x >> 1) & 0x55555555U;
  x = (x & 0x33333333U) + ((x >> 2) & 0x33333333U);
  x = (x + (x >> 4)) & 0x0f0f0f0fU;
  return (int)((x * 0x01010101U) >> 24);
}

/* One query descriptor after another: the nearest and second-nearest registered one, words 0 and 4 first. */
#define NEAREST_LOOP(NAME, ATTR, POP)                                                                            \
  ATTR static int32_t NAME(const uint32_t *restrict qd, int64_t qn, const uint32_t *restrict rd, int64_t rn,      \
                           const uint32_t *restrict r0, const uint32_t *restrict r4, int prune, int maxd,        \
                           double ratio, int32_t *restrict out) {                                                \
    int32_t n = 0;                                                                                               \
    for (int64_t i = 0; i < qn; i++) {                                                                           \
      const uint32_t *qp = qd + i * 8;                                                                           \
      const uint32_t q0 = qp[0], q4 = qp[4];                                                                     \
      int best = 257, second = 257;                                                                              \
      int64_t bj = -1;                                                                                           \
      for (int64_t j = 0; j < rn; j++) {                                                                         \
        const int hh = POP(q0 ^ r0[j]) + POP(q4 ^ r4[j]);                                                        \
        if (hh > prune) continue;                                                                                \
        const uint32_t *p = rd + j * 8;                                                                          \
        const int d = hh + POP(qp[1] ^ p[1]) + POP(qp[2] ^ p[2]) + POP(qp[3] ^ p[3]) + POP(qp[5] ^ p[5]) +       \
                      POP(qp[6] ^ p[6]) + POP(qp[7] ^ p[7]);                                                     \
        if (d < best) { second = best; best = d; bj = j; }                                                       \
        else if (d < second) second = d;                                                                         \
      }                                                                                                          \
      if (bj >= 0 && best <= maxd && (double)best < ratio * (double)second) {                                    \
        out[n] = (int32_t)i;                                                                                     \
        out[qn + n] = (int32_t)bj;                                                                               \
        out[2 * qn + n] = best;                                                                                  \
        n++;                                                                                                     \
      }                                                                                                          \
    }                                                                                                            \
    return n;                                                                                                    \
  }
NEAREST_LOOP(nearest_loop, , popcount32)
#if defined(__x86_64__) && defined(__GNUC__)
/* The CPU's popcount instruction where it has one (every x86-64 since 2008), else the SWAR count:
 * asked once, when the addon loads (every thread finds the same answer). */
static int have_popcnt = 0;
#endif
#if defined(__x86_64__) && defined(__GNUC__)
NEAREST_LOOP(nearest_loop_popcnt, __attribute__((target("popcnt"))), __builtin_popcount)
#endif

static napi_value nearest_pairs(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  const uint32_t *qd, *rd;
  size_t ql, rl;
  int64_t qn, rn, prune, maxd;
  double ratio;
  if (!get_args(env, info, 7, argv)) return NULL;
  if (!get_array(env, argv[0], napi_uint32_array, "the query descriptors", (void **)&qd, &ql) || !get_int(env, argv[1], 0, 1 << 24, "the query count", &qn)) return NULL;
  if (!get_array(env, argv[2], napi_uint32_array, "the registered descriptors", (void **)&rd, &rl) || !get_int(env, argv[3], 0, 1 << 24, "the registered count", &rn)) return NULL;
  if ((int64_t)ql < qn * 8 || (int64_t)rl < rn * 8) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the descriptors are shorter than their count."); return NULL; }
  if (!get_int(env, argv[4], 0, 256, "the prune distance", &prune) || !get_int(env, argv[5], 0, 256, "the largest distance", &maxd)) return NULL;
  if (napi_get_value_double(env, argv[6], &ratio) != napi_ok || !(ratio > 0)) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the ratio must be a number above 0."); return NULL; }
  int32_t *out;
  napi_value result = new_array(env, napi_int32_array, (size_t)(3 * qn + 1), sizeof(int32_t), (void **)&out);
  if (!result) return NULL;
  uint32_t *r0 = malloc((size_t)(rn > 0 ? rn : 1) * sizeof(uint32_t)), *r4 = malloc((size_t)(rn > 0 ? rn : 1) * sizeof(uint32_t));
  if (!r0 || !r4) { free(r0); free(r4); return out_of_memory(env); }
  for (int64_t j = 0; j < rn; j++) { r0[j] = rd[j * 8]; r4[j] = rd[j * 8 + 4]; }
  int32_t n;
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_popcnt) n = nearest_loop_popcnt(qd, qn, rd, rn, r0, r4, (int)prune, (int)maxd, ratio, out);
  else
#endif
  n = nearest_loop(qd, qn, rd, rn, r0, r4, (int)prune, (int)maxd, ratio, out);
  out[3 * qn] = n;
  free(r0);
  free(r4);
  return result;
}

/* ---- resizeArea(src, sw, sh, dw, dh): area-average resize, Float32 intermediates ---- */

typedef struct { int32_t *idx; float *wt; int32_t *start; } Footprints;

static int footprints(int64_t n, int64_t m, Footprints *f) {
  double scale = (double)n / (double)m;
  /* Each output covers at most ceil(scale) + 1 inputs. */
  size_t cap = (size_t)m * ((size_t)ceil(scale) + 2);
  f->idx = malloc(cap * sizeof(int32_t));
  f->wt = malloc(cap * sizeof(float));
  f->start = malloc((size_t)(m + 1) * sizeof(int32_t));
  if (!f->idx || !f->wt || !f->start) return 0;
  size_t k = 0;
  for (int64_t i = 0; i < m; i++) {
    f->start[i] = (int32_t)k;
    double a = (double)i * scale;
    double b = (double)(i + 1) * scale;
    if (scale < 1) {
      double c = ((double)i + 0.5) * scale - 0.5;
      double c0 = fmax(0, floor(c));
      double c1 = fmin((double)(n - 1), c0 + 1);
      double fr = fmin(1, fmax(0, c - c0));
      f->idx[k] = (int32_t)c0; f->wt[k++] = (float)(1 - fr);
      f->idx[k] = (int32_t)c1; f->wt[k++] = (float)fr;
      continue;
    }
    if (b > (double)n) b = (double)n;
    for (double j = floor(a); j < b; j++) {
      double lo = a > j ? a : j;
      double hi = b < j + 1 ? b : j + 1;
      if (hi > lo) { f->idx[k] = (int32_t)j; f->wt[k++] = (float)((hi - lo) / (b - a)); }
    }
  }
  f->start[m] = (int32_t)k;
  return 1;
}

static void free_footprints(Footprints *f) { free(f->idx); free(f->wt); free(f->start); }

static napi_value resize_area(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  const uint8_t *src;
  int64_t sw, sh, dw, dh;
  if (!get_args(env, info, 5, argv) || !get_image(env, argv, 1, &src, &sw, &sh)) return NULL;
  if (!get_int(env, argv[3], 1, MAX_SIDE, "the new width", &dw) || !get_int(env, argv[4], 1, MAX_SIDE, "the new height", &dh)) return NULL;
  Footprints fx = {0}, fy = {0};
  float *tmp = malloc((size_t)(dw * sh) * sizeof(float));
  float *acc = calloc((size_t)(dw * dh), sizeof(float));
  napi_value result = NULL;
  if (!tmp || !acc || !footprints(sw, dw, &fx) || !footprints(sh, dh, &fy)) { result = out_of_memory(env); goto done; }
  /* Rows: a double sum per output, stored as float (resample1d). */
  for (int64_t y = 0; y < sh; y++) {
    const uint8_t *s = src + y * sw;
    float *d = tmp + y * dw;
    for (int64_t x = 0; x < dw; x++) {
      double sum = 0;
      for (int32_t k = fx.start[x]; k < fx.start[x + 1]; k++) sum += (double)s[fx.idx[k]] * (double)fx.wt[k];
      d[x] = (float)sum;
    }
  }
  /* Columns: each term added into the float output (resample1dCols). */
  for (int64_t y = 0; y < dh; y++) {
    float *d = acc + y * dw;
    for (int32_t k = fy.start[y]; k < fy.start[y + 1]; k++) {
      const float *s = tmp + (int64_t)fy.idx[k] * dw;
      double f = (double)fy.wt[k];
      for (int64_t x = 0; x < dw; x++) d[x] = (float)((double)d[x] + (double)s[x] * f);
    }
  }
  uint8_t *out;
  result = new_array(env, napi_uint8_array, (size_t)(dw * dh), 1, (void **)&out);
  if (result) for (int64_t i = 0; i < dw * dh; i++) out[i] = (uint8_t)((int64_t)((double)acc[i] + 0.5) & 255);
done:
  free(tmp); free(acc); free_footprints(&fx); free_footprints(&fy);
  return result;
}

/* ---- equalise(src, w, h, clip): clipped histogram equalisation ---- */

static napi_value equalise(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  const uint8_t *src;
  int64_t w, h;
  double clip;
  if (!get_args(env, info, 4, argv) || !get_image(env, argv, 0, &src, &w, &h)) return NULL;
  if (napi_get_value_double(env, argv[3], &clip) != napi_ok || !(clip > 0)) {
    fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the clip must be a number above 0.");
    return NULL;
  }
  int64_t n = w * h;
  double hist[256] = {0};
  for (int64_t i = 0; i < n; i++) hist[src[i]]++;
  double limit = (clip * (double)n) / 256;
  double excess = 0;
  for (int v = 0; v < 256; v++) if (hist[v] > limit) { excess += hist[v] - limit; hist[v] = limit; }
  uint8_t lut[256];
  double acc = 0;
  for (int v = 0; v < 256; v++) {
    acc += hist[v] + excess / 256;
    double r = js_round((acc / (double)n) * 255);
    /* Math.min(255, r) stored in a Uint8Array (r >= 0; NaN for an empty picture stores 0). */
    lut[v] = r != r ? 0 : (uint8_t)(r < 255 ? r : 255);
  }
  uint8_t *out;
  napi_value result = new_array(env, napi_uint8_array, (size_t)n, 1, (void **)&out);
  if (result) for (int64_t i = 0; i < n; i++) out[i] = lut[src[i]];
  return result;
}

/* ---- shrinkBilinear(src, sw, sh, w, h): a pyramid step, 8-bit fixed point ---- */

static napi_value shrink_bilinear(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  const uint8_t *s;
  int64_t sw, sh, w, h;
  if (!get_args(env, info, 5, argv) || !get_image(env, argv, 2, &s, &sw, &sh)) return NULL;
  if (!get_int(env, argv[3], 1, MAX_SIDE, "the new width", &w) || !get_int(env, argv[4], 1, MAX_SIDE, "the new height", &h)) return NULL;
  double fx = (double)sw / (double)w, fy = (double)sh / (double)h;
  int32_t *x0 = malloc((size_t)w * sizeof(int32_t)), *wx = malloc((size_t)w * sizeof(int32_t));
  if (!x0 || !wx) { free(x0); free(wx); return out_of_memory(env); }
  for (int64_t x = 0; x < w; x++) {
    double c = fmax(0, ((double)x + 0.5) * fx - 0.5);
    x0[x] = (int32_t)fmin((double)(sw - 2), floor(c));
    wx[x] = (int32_t)fmin(256, js_round((c - x0[x]) * 256));
  }
  /* The two rows blended first (a loop the compiler vectorises), then the columns: the same integer
     sum of the four pixels' weight products as blending columns first, so the same bytes. */
  uint32_t *v = malloc((size_t)sw * sizeof(uint32_t));
  if (!v) { free(x0); free(wx); return out_of_memory(env); }
  uint8_t *data;
  napi_value result = new_array(env, napi_uint8_array, (size_t)(w * h), 1, (void **)&data);
  if (result) {
    for (int64_t y = 0; y < h; y++) {
      double c = fmax(0, ((double)y + 0.5) * fy - 0.5);
      int64_t y0 = (int64_t)fmin((double)(sh - 2), floor(c));
      uint32_t wy = (uint32_t)fmin(256, js_round((c - (double)y0) * 256));
      const uint8_t *restrict r0 = s + y0 * sw, *restrict r1 = r0 + sw;
      uint32_t *restrict vv = v;
      for (int64_t x = 0; x < sw; x++) vv[x] = r0[x] * (256 - wy) + r1[x] * wy;
      uint8_t *restrict o = data + y * w;
      for (int64_t x = 0; x < w; x++) {
        int32_t i = x0[x];
        uint32_t a = (uint32_t)wx[x];
        o[x] = (uint8_t)((vv[i] * (256 - a) + vv[i + 1] * a + 32768) >> 16);
      }
    }
  }
  free(x0); free(wx); free(v);
  return result;
}

/* ---- boxSums(src, w, h, box): (2 box + 1)^2 sums, zero within `box` px of the edge ---- */

/* Into `out` (w x h, zeroed by the caller) with `col` (w values) as scratch. */
static void box_sums_into(const uint8_t *data, int64_t w, int64_t h, int64_t box, uint16_t *restrict out, uint16_t *restrict col) {
  if (h < 2 * box + 1 || w < 2 * box + 1) return;
  for (int64_t r = 0; r < 2 * box + 1; r++) for (int64_t x = 0; x < w; x++) col[x] = (uint16_t)(col[x] + data[r * w + x]);
  for (int64_t y = box; y < h - box; y++) {
    if (y > box) {
      const uint8_t *add = data + (y + box) * w, *sub = data + (y - box - 1) * w;
      for (int64_t x = 0; x < w; x++) col[x] = (uint16_t)(col[x] + add[x] - sub[x]);
    }
    uint16_t *o = out + y * w;
    int64_t s = 0;
    for (int64_t x = 0; x < 2 * box; x++) s += col[x];
    for (int64_t x = box; x < w - box; x++) {
      s += col[x + box];
      o[x] = (uint16_t)s;
      s -= col[x - box];
    }
  }
}

static napi_value box_sums(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  const uint8_t *data;
  int64_t w, h, box;
  if (!get_args(env, info, 4, argv) || !get_image(env, argv, 0, &data, &w, &h) || !get_int(env, argv[3], 0, 64, "the box radius", &box)) return NULL;
  uint16_t *out;
  napi_value result = new_array(env, napi_uint16_array, (size_t)(w * h), 2, (void **)&out);
  if (!result) return NULL;
  uint16_t *col = calloc((size_t)w + 1, sizeof(uint16_t));
  if (!col) return out_of_memory(env);
  box_sums_into(data, w, h, box, out, col);
  free(col);
  return result;
}

/* ---- detect(src, w, h, t, quota, border): FAST-9, 3x3 suppression, Harris ranking, grid spread ---- */

static const int CIRCLE[16][2] = {{0, -3}, {1, -3}, {2, -2}, {3, -1}, {3, 0}, {3, 1}, {2, 2}, {1, 3}, {0, 3}, {-1, 3}, {-2, 2}, {-3, 1}, {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3}};

static int has_arc9(uint32_t mask) {
  if (mask == 0) return 0;
  uint32_t m = mask | (mask << 16);
  m &= m >> 1;
  m &= m >> 2;
  m &= m >> 4;
  m &= m >> 1;
  return m != 0;
}

/* A corner's score: how far its circle's pixels are past the threshold, either way. */
static inline int32_t corner_score(const uint8_t *p, const int64_t *off, int c, int t) {
  int32_t sc = 0;
  int hi = c + t, lo = c - t;
  for (int k = 0; k < 16; k++) {
    int q = p[off[k]];
    sc += (q > hi ? q - hi : 0) + (q < lo ? lo - q : 0);
  }
  return sc;
}

/* The segment test and score of a pixel whose 8 opposite pairs passed (fast_score's first part, below). The
   masks come first and the score only for a corner: most pixels that pass the pairs are no corner. */
static inline int32_t arc_score(const uint8_t *p, const int64_t *off, int c, int t) {
  uint32_t bright = 0, dark = 0;
  int hi = c + t, lo = c - t;
  for (int k = 0; k < 16; k++) {
    /* Branch-free: which side a circle pixel falls is a coin flip on texture. */
    int q = p[off[k]];
    bright |= (uint32_t)(q > hi) << k;
    dark |= (uint32_t)(q < lo) << k;
  }
  if (!has_arc9(bright) && !has_arc9(dark)) return -1;
  return corner_score(p, off, c, t);
}

/* The scalar FAST-9 test of one pixel (js-kernel.ts detect): its score, or -1 when it is no corner. */
static inline int32_t fast_score(const uint8_t *p, const int64_t *off, const uint8_t *tab, int t) {
  int c = p[0];
  const uint8_t *tb = tab + 255 - c;
  int v = tb[p[off[0]]] | tb[p[off[8]]];
  if (v == 0) return -1;
  v &= tb[p[off[4]]] | tb[p[off[12]]];
  v &= tb[p[off[2]]] | tb[p[off[10]]];
  v &= tb[p[off[6]]] | tb[p[off[14]]];
  if (v == 0) return -1;
  v &= tb[p[off[1]]] | tb[p[off[9]]];
  v &= tb[p[off[3]]] | tb[p[off[11]]];
  v &= tb[p[off[5]]] | tb[p[off[13]]];
  v &= tb[p[off[7]]] | tb[p[off[15]]];
  if (v == 0) return -1;
  return arc_score(p, off, c, t);
}

/* Harris response over a 7x7 window of Sobel gradients, k = 0.04 (js-kernel.ts harris). */
static double harris(const uint8_t *d, int64_t w, int64_t c) {
  int32_t hx[9 * 7], vy[7 * 9];
  const uint8_t *o = d + c - 4 * w - 4;
  for (int r = 0; r < 9; r++) {
    const uint8_t *row = o + r * w;
    for (int k = 0; k < 7; k++) hx[r * 7 + k] = row[k + 2] - row[k];
  }
  for (int r = 0; r < 7; r++) {
    const uint8_t *row = o + (r + 1) * w;
    for (int k = 0; k < 9; k++) vy[r * 9 + k] = row[w + k] - row[-w + k];
  }
  int64_t a = 0, b = 0, cc = 0;
  for (int r = 0; r < 7; r++) {
    for (int k = 0; k < 7; k++) {
      int64_t gx = hx[r * 7 + k] + 2 * hx[(r + 1) * 7 + k] + hx[(r + 2) * 7 + k];
      int v = r * 9 + k;
      int64_t gy = vy[v] + 2 * vy[v + 1] + vy[v + 2];
      a += gx * gx;
      b += gy * gy;
      cc += gx * gy;
    }
  }
  /* a * b < 2^53: the products are exact in double, as in JS. */
  double da = (double)a, db = (double)b, dc = (double)cc;
  return da * db - dc * dc - 0.04 * (da + db) * (da + db);
}

/* js-kernel.ts kthLargest, step for step (Hoare's selection). */
static int32_t kth_largest(int32_t *a, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1, target = k - 1;
  while (lo < hi) {
    int32_t pivot = a[(lo + hi) >> 1];
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        int32_t t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

typedef struct { int32_t i; int32_t order; double r; } Kept;

/* Harris descending; equal responses keep their order (Array.prototype.sort is stable). */
static int by_response(const void *pa, const void *pb) {
  const Kept *a = pa, *b = pb;
  if (a->r > b->r) return -1;
  if (a->r < b->r) return 1;
  return a->order - b->order;
}

typedef struct {
  double cell_w, cell_h;
  int64_t w, border;
} Cells;

static int cell_of(const Cells *g, int64_t i) {
  int64_t x = i % g->w, y = i / g->w;
  double cy = fmin(GRID - 1, floor((double)(y - g->border) / g->cell_h));
  double cx = fmin(GRID - 1, floor((double)(x - g->border) / g->cell_w));
  return (int)(cy * GRID + cx);
}

#ifdef __SSE2__
/* 16 pixels at once through the scalar code's pair test: a pixel goes on only if each of the 8
   opposite pairs (k, k + 8) has an end brighter than the centre by more than t, or each has an end
   darker. The scalar test leaves the pixels this leaves (its exits test the same AND, in steps), so
   skipping them changes nothing, and the pixels left have passed it (arc_score goes on from there). */
static inline uint32_t prefilter16(const uint8_t *p, const int64_t *off, int t) {
  const __m128i tv = _mm_set1_epi8((char)t), zero = _mm_setzero_si128();
  const __m128i cv = _mm_loadu_si128((const __m128i *)p);
  __m128i nb = zero, nd = zero;
  for (int k = 0; k < 8; k++) {
    const __m128i a = _mm_loadu_si128((const __m128i *)(p + off[k]));
    const __m128i b = _mm_loadu_si128((const __m128i *)(p + off[k + 8]));
    /* 0xFF where the point is NOT brighter (darker) than the centre by more than t. */
    const __m128i fa = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_subs_epu8(a, cv), tv), zero);
    const __m128i fb = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_subs_epu8(b, cv), tv), zero);
    const __m128i ga = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_subs_epu8(cv, a), tv), zero);
    const __m128i gb = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_subs_epu8(cv, b), tv), zero);
    nb = _mm_or_si128(nb, _mm_and_si128(fa, fb));
    nd = _mm_or_si128(nd, _mm_and_si128(ga, gb));
  }
  return ~(uint32_t)_mm_movemask_epi8(_mm_and_si128(nb, nd)) & 0xFFFF;
}
#endif

#ifdef AVX2_PATHS
/* prefilter16 on 32 pixels. */
__attribute__((target("avx2"))) static uint32_t prefilter32(const uint8_t *p, const int64_t *off, int t) {
  const __m256i tv = _mm256_set1_epi8((char)t), zero = _mm256_setzero_si256();
  const __m256i cv = _mm256_loadu_si256((const __m256i *)p);
  __m256i nb = zero, nd = zero;
  for (int k = 0; k < 8; k++) {
    const __m256i a = _mm256_loadu_si256((const __m256i *)(p + off[k]));
    const __m256i b = _mm256_loadu_si256((const __m256i *)(p + off[k + 8]));
    const __m256i fa = _mm256_cmpeq_epi8(_mm256_subs_epu8(_mm256_subs_epu8(a, cv), tv), zero);
    const __m256i fb = _mm256_cmpeq_epi8(_mm256_subs_epu8(_mm256_subs_epu8(b, cv), tv), zero);
    const __m256i ga = _mm256_cmpeq_epi8(_mm256_subs_epu8(_mm256_subs_epu8(cv, a), tv), zero);
    const __m256i gb = _mm256_cmpeq_epi8(_mm256_subs_epu8(_mm256_subs_epu8(cv, b), tv), zero);
    nb = _mm256_or_si256(nb, _mm256_and_si256(fa, fb));
    nd = _mm256_or_si256(nd, _mm256_and_si256(ga, gb));
  }
  return ~(uint32_t)_mm256_movemask_epi8(_mm256_and_si256(nb, nd));
}

/* Which of 32 pixels are corners (has_arc9 of their bright or dark circle), as arc_score decides it
   one pixel at a time: with bytes 0xFF where circle pixel k is NOT brighter than the centre by more
   than t, a run of 9 bright ones starting at k is a zero in the OR of the 9 from k, built in doublings. */
__attribute__((target("avx2"))) static inline __m256i no_arc9(const __m256i *nb) {
  __m256i q2[16], q4[16];
  for (int k = 0; k < 16; k++) q2[k] = _mm256_or_si256(nb[k], nb[(k + 1) & 15]);
  for (int k = 0; k < 16; k++) q4[k] = _mm256_or_si256(q2[k], q2[(k + 2) & 15]);
  __m256i none = _mm256_set1_epi8((char)0xFF);
  for (int k = 0; k < 16; k++) none = _mm256_and_si256(none, _mm256_or_si256(_mm256_or_si256(q4[k], q4[(k + 4) & 15]), nb[(k + 8) & 15]));
  return none;
}

__attribute__((target("avx2"))) static uint32_t corners32(const uint8_t *p, const int64_t *off, int t) {
  const __m256i tv = _mm256_set1_epi8((char)t), zero = _mm256_setzero_si256();
  const __m256i cv = _mm256_loadu_si256((const __m256i *)p);
  /* Saturated: c + t over 255 leaves no brighter pixel, c - t under 0 no darker one, as in ints. */
  const __m256i hi = _mm256_adds_epu8(cv, tv), lo = _mm256_subs_epu8(cv, tv);
  __m256i nb[16], nd[16];
  for (int k = 0; k < 16; k++) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)(p + off[k]));
    nb[k] = _mm256_cmpeq_epi8(_mm256_subs_epu8(q, hi), zero);
    nd[k] = _mm256_cmpeq_epi8(_mm256_subs_epu8(lo, q), zero);
  }
  return ~(uint32_t)_mm256_movemask_epi8(_mm256_and_si256(no_arc9(nb), no_arc9(nd)));
}
#endif

static napi_value detect(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  const uint8_t *data;
  int64_t w, h, t, quota, border, fair_first;
  if (!get_args(env, info, 7, argv) || !get_image(env, argv, 0, &data, &w, &h)) return NULL;
  if (!get_int(env, argv[3], 0, 255, "the FAST threshold", &t) || !get_int(env, argv[4], 0, 1 << 24, "the quota", &quota) || !get_int(env, argv[5], 4, 4096, "the border", &border) || !get_int(env, argv[6], 0, 1, "fair first", &fair_first)) return NULL;
  /* Scores live in a ring of 3 rows (the suppression of row y - 1 runs once row y is scored): the
     whole-picture score buffer of the TypeScript cost more in page faults than the test itself. */
  int32_t *ring = calloc(3 * (size_t)w + 1, sizeof(int32_t));
  int32_t *rowc = malloc((3 * (size_t)w + 1) * sizeof(int32_t));
  int64_t rown[3] = {0, 0, 0};
  int32_t *cand = NULL, *cand_score = NULL, *cells = NULL, *order = NULL, *vals = NULL, *out = NULL;
  Kept *kept = NULL;
  int64_t ncand = 0, cap_cand = 1024;
  napi_value result = NULL;
  cand = malloc((size_t)cap_cand * sizeof(int32_t));
  cand_score = malloc((size_t)cap_cand * sizeof(int32_t));
  if (!ring || !rowc || !cand || !cand_score) { result = out_of_memory(env); goto done; }
  Cells g = {(double)(w - 2 * border) / GRID, (double)(h - 2 * border) / GRID, w, border};

  int64_t off[16];
  for (int k = 0; k < 16; k++) off[k] = CIRCLE[k][1] * w + CIRCLE[k][0];
  uint8_t tab[511];
  for (int dv = -255; dv <= 255; dv++) tab[dv + 255] = dv > t ? 2 : dv < -t ? 1 : 0;
  for (int64_t y = border; y <= h - border; y++) {
    int32_t *cur = ring + (y % 3) * w;
    memset(cur, 0, (size_t)w * sizeof(int32_t));
    rown[y % 3] = 0;
    int32_t *curc = rowc + (y % 3) * w;
    for (int64_t x = border; y < h - border && x < w - border;) {
      uint32_t pass = 1;
      int span = 1;
#ifdef __SSE2__
#ifdef AVX2_PATHS
      if (have_avx2 && x + 32 <= w - border) {
        const uint8_t *p = data + y * w + x;
        pass = prefilter32(p, off, (int)t);
        /* The segment test on all 32 at once: the pixels left are corners, only to be scored. */
        if (pass != 0) pass &= corners32(p, off, (int)t);
        span = 32;
      } else
#endif
      if (x + 16 <= w - border) {
        pass = prefilter16(data + y * w + x, off, (int)t);
        span = 16;
      }
#endif
      for (; pass != 0; pass &= pass - 1) {
        int64_t px = x + __builtin_ctz(pass);
        const uint8_t *pp = data + y * w + px;
        int32_t sc = span == 32 ? corner_score(pp, off, pp[0], (int)t) : span == 16 ? arc_score(pp, off, pp[0], (int)t) : fast_score(pp, off, tab, (int)t);
        if (sc < 0) continue;
        cur[px] = sc;
        curc[rown[y % 3]++] = (int32_t)px;
      }
      x += span;
    }
    /* 3x3 non-maximum suppression of row y - 1 (rows y - 2 and y are scored, or zero). */
    int64_t r = y - 1;
    if (r < border) continue;
    const int32_t *up = ring + ((r + 2) % 3) * w, *mid = ring + (r % 3) * w, *dn = cur;
    const int32_t *rc = rowc + (r % 3) * w;
    for (int64_t k = 0; k < rown[r % 3]; k++) {
      int64_t x = rc[k];
      int32_t sc = mid[x];
      if (sc < mid[x - 1] || sc <= mid[x + 1] || sc < up[x - 1] || sc < up[x] || sc < up[x + 1] || sc <= dn[x - 1] || sc <= dn[x] || sc <= dn[x + 1]) continue;
      if (ncand == cap_cand) {
        cap_cand *= 2;
        int32_t *g1 = realloc(cand, (size_t)cap_cand * sizeof(int32_t));
        if (g1) cand = g1;
        int32_t *g2 = realloc(cand_score, (size_t)cap_cand * sizeof(int32_t));
        if (g2) cand_score = g2;
        if (!g1 || !g2) { result = out_of_memory(env); goto done; }
      }
      cand[ncand] = (int32_t)(r * w + x);
      cand_score[ncand++] = sc;
    }
  }

  /* select: the survivors into the grid's cells, kept in scan order within a cell. */
  int64_t nsup = ncand;
  cells = malloc((nsup > 0 ? (size_t)nsup : 1) * sizeof(int32_t));
  order = malloc((nsup > 0 ? (size_t)nsup : 1) * sizeof(int32_t));
  vals = malloc((nsup > 0 ? (size_t)nsup : 1) * sizeof(int32_t));
  kept = malloc((nsup > 0 ? (size_t)nsup : 1) * sizeof(Kept));
  if (!cells || !order || !vals || !kept) { result = out_of_memory(env); goto done; }
  int64_t count[GRID * GRID + 1] = {0};
  for (int64_t k = 0; k < nsup; k++) {
    cells[k] = cell_of(&g, cand[k]);
    count[cells[k] + 1]++;
  }
  for (int c = 0; c < GRID * GRID; c++) count[c + 1] += count[c];
  int64_t fill[GRID * GRID];
  for (int c = 0; c < GRID * GRID; c++) fill[c] = count[c];
  for (int64_t k = 0; k < nsup; k++) order[fill[cells[k]]++] = (int32_t)k;

  int64_t shortlist = (int64_t)fmax(6, ceil((double)(4 * quota) / (GRID * GRID)));
  int64_t nkept = 0;
  for (int c = 0; c < GRID * GRID; c++) {
    const int32_t *b = order + count[c];
    int64_t len = count[c + 1] - count[c];
#define KEEP(j) do { kept[nkept] = (Kept){cand[j], (int32_t)nkept, harris(data, w, cand[j])}; nkept++; } while (0)
    if (len > shortlist) {
      for (int64_t k = 0; k < len; k++) vals[k] = cand_score[b[k]];
      int32_t cut = kth_largest(vals, len, shortlist);
      int64_t taken = 0;
      for (int64_t k = 0; k < len; k++) if (cand_score[b[k]] > cut && taken < shortlist) { KEEP(b[k]); taken++; }
      for (int64_t k = 0; k < len; k++) if (cand_score[b[k]] == cut && taken < shortlist) { KEEP(b[k]); taken++; }
      continue;
    }
    for (int64_t k = 0; k < len; k++) KEEP(b[k]);
#undef KEEP
  }
  qsort(kept, (size_t)nkept, sizeof(Kept), by_response);

  int64_t cap = (int64_t)fmax(2, ceil((double)(2 * quota) / (GRID * GRID)));
  int32_t per_cell[GRID * GRID] = {0};
  out = malloc(((size_t)nkept * 2 + 2) * sizeof(int32_t));
  int32_t *skipped = (int32_t *)vals; /* free again: the selection is done */
  int32_t *skipped2 = order;
  if (!out) { result = out_of_memory(env); goto done; }
  int64_t nout = 0, nskip = 0;
  /* fair_first: every cell first takes its fair share (quota / cells) of its best corners, so a
     low-contrast part of the picture is not crowded out by a busy one; then by response up to the cap. */
  int64_t fair = fair_first ? (int64_t)ceil((double)quota / (GRID * GRID)) : 0;
  uint8_t *taken = fair ? calloc((size_t)nkept + 1, 1) : NULL;
  if (fair && !taken) { result = out_of_memory(env); goto done; }
  if (fair) {
    for (int64_t k = 0; k < nkept; k++) {
      if (nout >= 2 * quota) break;
      if (kept[k].r <= 0) break;
      int64_t i = kept[k].i;
      int cell = cell_of(&g, i);
      if (per_cell[cell] >= fair) continue;
      per_cell[cell]++;
      taken[k] = 1;
      out[nout++] = (int32_t)(i % w);
      out[nout++] = (int32_t)(i / w);
    }
  }
  for (int64_t k = 0; k < nkept; k++) {
    if (nout >= 2 * quota) break;
    if (kept[k].r <= 0) break;
    if (taken && taken[k]) continue;
    int64_t i = kept[k].i;
    int cell = cell_of(&g, i);
    if (per_cell[cell] >= cap) { skipped[nskip] = (int32_t)(i % w); skipped2[nskip] = (int32_t)(i / w); nskip++; continue; }
    per_cell[cell]++;
    out[nout++] = (int32_t)(i % w);
    out[nout++] = (int32_t)(i / w);
  }
  free(taken);
  for (int64_t k = 0; k < nskip && nout < 2 * quota; k++) { out[nout++] = skipped[k]; out[nout++] = skipped2[k]; }
  int32_t *dst;
  result = new_array(env, napi_int32_array, (size_t)nout, 4, (void **)&dst);
  if (result && nout > 0) memcpy(dst, out, (size_t)nout * sizeof(int32_t));
done:
  free(ring); free(rowc); free(cand); free(cand_score); free(cells); free(order); free(vals); free(kept); free(out);
  return result;
}

/* Points [x0, y0, x1, y1, ...] each at least `margin` px inside a w x h picture. */
static int get_points(napi_env env, napi_value v, int64_t w, int64_t h, int64_t margin, const int32_t **pts, size_t *npts) {
  size_t len;
  if (!get_array(env, v, napi_int32_array, "the points", (void **)pts, &len)) return 0;
  if (len % 2 != 0) return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the points must be x, y pairs.");
  for (size_t k = 0; k < len; k += 2) {
    int64_t x = (*pts)[k], y = (*pts)[k + 1];
    if (x < margin || y < margin || x >= w - margin || y >= h - margin) return fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: a point is too close to the picture's edge.");
  }
  *npts = len / 2;
  return 1;
}

/* ---- moments(src, w, h, pts): [m10, m01] of the disc of radius PATCH_RADIUS at each point ---- */

static napi_value moments(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  const uint8_t *data;
  int64_t w, h;
  const int32_t *pts;
  size_t npts;
  if (!get_args(env, info, 4, argv) || !get_image(env, argv, 0, &data, &w, &h) || !get_points(env, argv[3], w, h, PATCH_RADIUS, &pts, &npts)) return NULL;
  int span[2 * PATCH_RADIUS + 1];
  for (int k = 0; k <= 2 * PATCH_RADIUS; k++) span[k] = (int)floor(sqrt((double)(PATCH_RADIUS * PATCH_RADIUS - (k - PATCH_RADIUS) * (k - PATCH_RADIUS))));
  int32_t *out;
  napi_value result = new_array(env, napi_int32_array, npts * 2, 4, (void **)&out);
  if (!result) return NULL;
  for (size_t p = 0; p < npts; p++) {
    int64_t cx = pts[2 * p], cy = pts[2 * p + 1];
    int32_t m10 = 0, m01 = 0;
    for (int k = 0; k <= 2 * PATCH_RADIUS; k++) {
      int dy = k - PATCH_RADIUS;
      const uint8_t *o = data + (cy + dy) * w + cx;
      int32_t s = 0, sx = 0;
      for (int dx = -span[k]; dx <= span[k]; dx++) { s += o[dx]; sx += dx * o[dx]; }
      m10 += sx;
      m01 += dy * s;
    }
    out[2 * p] = m10;
    out[2 * p + 1] = m01;
  }
  return result;
}

/* ---- describe(src, w, h, box, pts, angles, pattern, out, offset): steered BRIEF into out[offset..], on
 * the picture's box sums of radius `box` ---- */

static napi_value describe(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  const uint8_t *data;
  const uint8_t *angles;
  const int8_t *pattern;
  uint32_t *out;
  size_t angles_len, pattern_len, out_len, npts;
  int64_t w, h, radius, offset;
  const int32_t *pts;
  if (!get_args(env, info, 9, argv) || !get_image(env, argv, 0, &data, &w, &h) || !get_int(env, argv[3], 0, 64, "the box radius", &radius)) return NULL;
  if (!get_array(env, argv[6], napi_int8_array, "the pattern", (void **)&pattern, &pattern_len)) return NULL;
  if (pattern_len != ANGLE_BINS * PAIRS * 4) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the pattern is not 30 x 256 pairs."); return NULL; }
  int extent = 0;
  for (size_t k = 0; k < pattern_len; k++) { int a = abs(pattern[k]); if (a > extent) extent = a; }
  if (!get_points(env, argv[4], w, h, extent, &pts, &npts)) return NULL;
  if (!get_array(env, argv[5], napi_uint8_array, "the angles", (void **)&angles, &angles_len)) return NULL;
  if (angles_len != npts) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: one angle per point is needed."); return NULL; }
  if (!get_array(env, argv[7], napi_uint32_array, "the descriptors", (void **)&out, &out_len)) return NULL;
  if (!get_int(env, argv[8], 0, (int64_t)out_len, "the descriptor offset", &offset)) return NULL;
  if ((size_t)offset + npts * 8 > out_len) { fail(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: the descriptors array is too short."); return NULL; }
  if (npts == 0) return NULL;
  /* The box sums in scratch memory, freed here: a picture's worth of them a level was the largest
     short-lived allocation the garbage collector saw per query. */
  int32_t *offsets = malloc(ANGLE_BINS * PAIRS * 2 * sizeof(int32_t));
  uint16_t *box = calloc((size_t)(w * h) + 1, sizeof(uint16_t)), *col = calloc((size_t)w + 1, sizeof(uint16_t));
  if (!offsets || !box || !col) { free(offsets); free(box); free(col); return out_of_memory(env); }
  box_sums_into(data, w, h, radius, box, col);
  free(col);
  for (int k = 0; k < ANGLE_BINS * PAIRS * 2; k++) offsets[k] = (int32_t)(pattern[2 * k + 1] * w + pattern[2 * k]);
  for (size_t p = 0; p < npts; p++) {
    const uint16_t *c = box + (int64_t)pts[2 * p + 1] * w + pts[2 * p];
    int bin = (int)js_round(((double)angles[p] * ANGLE_BINS) / 256) % ANGLE_BINS;
    const int32_t *q = offsets + bin * PAIRS * 2;
    uint32_t *o = out + offset + p * 8;
    for (int word = 0; word < 8; word++, q += 64) {
      uint32_t bits = 0;
      for (int bit = 0; bit < 32; bit++) bits |= (uint32_t)(c[q[2 * bit]] < c[q[2 * bit + 1]]) << bit;
      o[word] = bits;
    }
  }
  free(offsets);
  free(box);
  return NULL;
}

/* ---- uniformLines(src, w, h, x, y, rw, rh, rows, outliers, tolerance): panels.ts's uniform lines ---- */

/* The grey levels v with !(|v - mean| > tol), the test each pixel gets: an interval, because the
   rounded |v - mean| only grows on either side of the mean. Found from the level next to the mean
   with that same expression, so counting the pixels outside [lo, hi] counts the test's outliers. */
static inline int is_outlier(int v, double mean, double tol) { return fabs((double)v - mean) > tol; }
static void inlier_levels(double mean, double tol, int *lo, int *hi) {
  if (!(mean >= 0 && mean <= 255)) {
    /* Only an empty line's NaN mean: no pixel to count, and every level passes a NaN test. */
    *lo = 0; *hi = 255;
    return;
  }
  int m = (int)mean;
  if (is_outlier(m, mean, tol)) m = m < 255 ? m + 1 : m;
  if (is_outlier(m, mean, tol)) { *lo = 256; *hi = -1; return; }
  int a = m, b = m;
  while (a > 0 && !is_outlier(a - 1, mean, tol)) a--;
  while (b < 255 && !is_outlier(b + 1, mean, tol)) b++;
  *lo = a; *hi = b;
}

static napi_value uniform_lines(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  const uint8_t *data;
  int64_t w, h, rx, ry, rw, rh;
  bool rows;
  double outliers, tol;
  if (!get_args(env, info, 10, argv) || !get_image(env, argv, 0, &data, &w, &h)) return NULL;
  if (!get_int(env, argv[3], 0, w, "the rectangle's x", &rx) || !get_int(env, argv[4], 0, h, "the rectangle's y", &ry) ||
      !get_int(env, argv[5], 0, w - rx, "the rectangle's width", &rw) || !get_int(env, argv[6], 0, h - ry, "the rectangle's height", &rh)) return NULL;
  if (napi_get_value_bool(env, argv[7], &rows) != napi_ok || napi_get_value_double(env, argv[8], &outliers) != napi_ok || napi_get_value_double(env, argv[9], &tol) != napi_ok) {
    napi_throw_type_error(env, "ERR_STAYDOWN_FEATURES_ARGS", "staydown features kernel: rows must be a boolean, outliers and tolerance numbers.");
    return NULL;
  }
  int64_t lines = rows ? rh : rw, n = rows ? rw : rh;
  uint8_t *out;
  napi_value result = new_array(env, napi_uint8_array, (size_t)lines, 1, (void **)&out);
  if (!result) return NULL;
  double allowed = floor(outliers * (double)n);
  if (rows) {
    for (int64_t k = 0; k < lines; k++) {
      const uint8_t *p = data + (ry + k) * w + rx;
      int64_t sum = 0, off = 0;
      for (int64_t i = 0; i < n; i++) sum += p[i];
      int lo, hi;
      inlier_levels((double)sum / (double)n, tol, &lo, &hi);
      for (int64_t i = 0; i < n; i++) off += (p[i] < lo) | (p[i] > hi);
      out[k] = (double)off <= allowed;
    }
    return result;
  }
  /* Columns: summed and counted a row at a time (the TypeScript's stride reads miss the cache). */
  int64_t *sum = calloc((size_t)lines + 1, sizeof(int64_t));
  int32_t *off = calloc((size_t)lines + 1, sizeof(int32_t));
  int16_t *lo = malloc(((size_t)lines + 1) * sizeof(int16_t)), *hi = malloc(((size_t)lines + 1) * sizeof(int16_t));
  if (!sum || !off || !lo || !hi) { free(sum); free(off); free(lo); free(hi); return out_of_memory(env); }
  for (int64_t i = 0; i < n; i++) { const uint8_t *p = data + (ry + i) * w + rx; for (int64_t k = 0; k < lines; k++) sum[k] += p[k]; }
  for (int64_t k = 0; k < lines; k++) { int a, b; inlier_levels((double)sum[k] / (double)n, tol, &a, &b); lo[k] = (int16_t)a; hi[k] = (int16_t)b; }
  for (int64_t i = 0; i < n; i++) { const uint8_t *p = data + (ry + i) * w + rx; for (int64_t k = 0; k < lines; k++) off[k] += (p[k] < lo[k]) | (p[k] > hi[k]); }
  for (int64_t k = 0; k < lines; k++) out[k] = (double)off[k] <= allowed;
  free(sum); free(off); free(lo); free(hi);
  return result;
}

/* simd(): which vector loops run here - "avx2", "sse2" or "none". */
static napi_value simd(napi_env env, napi_callback_info info) {
#if defined(AVX2_PATHS)
  const char *name = have_avx2 ? "avx2" : "sse2";
#elif defined(__SSE2__)
  const char *name = "sse2";
#else
  const char *name = "none";
#endif
  napi_value out;
  return napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out) == napi_ok ? out : NULL;
}

NAPI_MODULE_INIT() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  have_popcnt = __builtin_cpu_supports("popcnt");
#ifdef AVX2_PATHS
  /* STAYDOWN_FEATURES_NO_AVX2=1 keeps to the SSE2 loops (how the tests check them on an AVX2 CPU). */
  const char *no_avx2 = getenv("STAYDOWN_FEATURES_NO_AVX2");
  have_avx2 = __builtin_cpu_supports("avx2") && !(no_avx2 && *no_avx2 && strcmp(no_avx2, "0") != 0);
#endif
#endif
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"greyFromSrgb", grey_from_srgb}, {"reduceLinear", reduce_linear}, {"nearestPairs", nearest_pairs}, {"resizeArea", resize_area}, {"equalise", equalise}, {"shrinkBilinear", shrink_bilinear}, {"boxSums", box_sums},
    {"detect", detect}, {"moments", moments}, {"describe", describe}, {"uniformLines", uniform_lines}, {"simd", simd},
  };
  for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
    napi_value f;
    if (napi_create_function(env, fns[k].name, NAPI_AUTO_LENGTH, fns[k].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[k].name, f) != napi_ok) return NULL;
  }
  return exports;
}
