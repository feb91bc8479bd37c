/*
 * ITU-T G.722 (09/2012) at 64 kbit/s (mode 1): 16 kHz audio as two 8 kHz sub-bands, split and
 * merged by a 24-tap QMF; the lower band coded by 6-bit ADPCM, the upper by 2-bit ADPCM. One byte
 * per pair of 16 kHz samples:
 *    7   6   5   4   3   2   1   0
 *  +-------+-----------------------+
 *  |  IH   |          IL           |   IH: upper-band code (2 bits), IL: lower-band code (6 bits)
 *  +-------+-----------------------+
 * Written from the ITU-T algorithm description (block numbers in the comments are the ITU's);
 * integer arithmetic with the same saturations, so output is deterministic. In RTP the clock rate
 * is 8000 (RFC 3551 §4.5.2, a historical error) while the audio is 16000 Hz.
 */

/** QMF coefficients h0..h11 (ITU-T G.722 Table 11, the filter is symmetric). */
const QMF_COEFFS = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11] as const;
/** Lower band: log-scale factor increments by 4-bit code magnitude (Table 14, WL). */
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042] as const;
/** Lower band: 4-bit code → WL index (RIL4 → IL4). */
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0] as const;
/** Inverse log2 table for the scale factor (Table 15, ILB). */
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
] as const;
/** Upper band: log-scale factor increments (WH) and 2-bit code → WH index. */
const WH = [0, -214, 798] as const;
const RH2 = [2, 1, 2, 1] as const;
/** Inverse quantizer outputs, scaled: 2-bit upper (QM2), 4-bit lower (QM4), 6-bit lower (QM6). */
const QM2 = [-7408, -1616, 7408, 1616] as const;
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0] as const;
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
] as const;
/** Encoder: lower-band decision levels (Q6) and code words for negative/positive differences (ILN/ILP). */
const Q6 = [0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0] as const;
const ILN = [0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0] as const;
const ILP = [0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0] as const;
const IHN = [0, 1, 0] as const;
const IHP = [0, 3, 2] as const;
/** Encoder: upper-band decision level. */
const Q2 = 564;

const LOW_CODE_MASK = 0x3f;
const HIGH_CODE_SHIFT = 6;
const NB_LOW_MAX = 18432;
const NB_HIGH_MAX = 22528;
const DET_LOW_INIT = 32;
const DET_HIGH_INIT = 8;
const QMF_TAPS = 24;
const R_LIMIT_MAX = 16383;
const R_LIMIT_MIN = -16384;

function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** The adaptive predictor and scale factor of one sub-band (ITU blocks 3 and 4). */
class Band {
  s = 0; sp = 0; sz = 0; nb = 0; det: number;
  readonly r = [0, 0, 0]; readonly p = [0, 0, 0];
  readonly a = [0, 0, 0]; readonly ap = [0, 0, 0];
  readonly d = [0, 0, 0, 0, 0, 0, 0]; readonly b = [0, 0, 0, 0, 0, 0, 0]; readonly bp = [0, 0, 0, 0, 0, 0, 0];
  readonly sg = [0, 0, 0, 0, 0, 0, 0];

  constructor(det: number) { this.det = det; }

  /** Block 4: reconstruction, pole/zero predictor adaptation (UPPOL1/2, UPZERO), delays and prediction. */
  update(d: number): void {
    const { r, p, a, ap, b, bp, sg } = this;
    const dd = this.d;
    dd[0] = d;
    r[0] = sat16(this.s + d);
    p[0] = sat16(this.sz + d);
    // UPPOL2
    for (let i = 0; i < 3; i++) sg[i] = (p[i] as number) >> 15;
    let wd1 = sat16((a[1] as number) << 2);
    let wd2 = sg[0] === sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg[0] === sg[2] ? 128 : -128);
    wd3 += ((a[2] as number) * 32512) >> 15;
    if (wd3 > 12288) wd3 = 12288; else if (wd3 < -12288) wd3 = -12288;
    ap[2] = wd3;
    // UPPOL1
    sg[0] = (p[0] as number) >> 15;
    sg[1] = (p[1] as number) >> 15;
    wd1 = sg[0] === sg[1] ? 192 : -192;
    wd2 = ((a[1] as number) * 32640) >> 15;
    ap[1] = sat16(wd1 + wd2);
    wd3 = sat16(15360 - (ap[2] as number));
    if ((ap[1] as number) > wd3) ap[1] = wd3; else if ((ap[1] as number) < -wd3) ap[1] = -wd3;
    // UPZERO
    wd1 = d === 0 ? 0 : 128;
    sg[0] = d >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = (dd[i] as number) >> 15;
      wd2 = sg[i] === sg[0] ? wd1 : -wd1;
      wd3 = ((b[i] as number) * 32640) >> 15;
      bp[i] = sat16(wd2 + wd3);
    }
    // DELAYA
    for (let i = 6; i > 0; i--) { dd[i] = dd[i - 1] as number; b[i] = bp[i] as number; }
    for (let i = 2; i > 0; i--) { r[i] = r[i - 1] as number; p[i] = p[i - 1] as number; a[i] = ap[i] as number; }
    // FILTEP
    wd1 = sat16((r[1] as number) * 2);
    wd1 = ((a[1] as number) * wd1) >> 15;
    wd2 = sat16((r[2] as number) * 2);
    wd2 = ((a[2] as number) * wd2) >> 15;
    this.sp = sat16(wd1 + wd2);
    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) {
      const w = sat16((dd[i] as number) * 2);
      sz += ((b[i] as number) * w) >> 15;
    }
    this.sz = sat16(sz);
    // PREDIC
    this.s = sat16(this.sp + this.sz);
  }

  /** Blocks 3L/3H: LOGSCL/LOGSCH then SCALEL/SCALEH. */
  adaptScale(wlIncrement: number, nbMax: number, shiftBase: number): void {
    let nb = ((this.nb * 127) >> 7) + wlIncrement;
    if (nb < 0) nb = 0; else if (nb > nbMax) nb = nbMax;
    this.nb = nb;
    const wd1 = (nb >> 6) & 31;
    const wd2 = shiftBase - (nb >> 11);
    const ilb = ILB[wd1] as number;
    const wd3 = wd2 < 0 ? ilb << -wd2 : ilb >> wd2;
    this.det = wd3 << 2;
  }
}

/** A stateful G.722 64 kbit/s decoder: keep one per stream, feed its payloads in order. */
export class G722Decoder {
  private low = new Band(DET_LOW_INIT);
  private high = new Band(DET_HIGH_INIT);
  private readonly x = new Int32Array(QMF_TAPS);

  /** Back to the initial state (e.g. on a new stream). */
  reset(): void {
    this.low = new Band(DET_LOW_INIT);
    this.high = new Band(DET_HIGH_INIT);
    this.x.fill(0);
  }

  /** Decodes `payload` (one byte → two samples) into `out` at `offset`; returns the samples written. */
  decodeInto(payload: Uint8Array, out: Int16Array, offset = 0): number {
    const n = payload.length;
    if (out.length - offset < 2 * n) throw new RangeError(`output has room for ${out.length - offset} samples, need ${2 * n}`);
    const low = this.low;
    const high = this.high;
    const x = this.x;
    let o = offset;
    for (let j = 0; j < n; j++) {
      const code = payload[j] as number;
      const il = code & LOW_CODE_MASK;
      const ih = code >> HIGH_CODE_SHIFT;
      // 5L INVQBL + RECONS + 6L LIMIT: lower band from the 6-bit code.
      let rlow = low.s + ((low.det * (QM6[il] as number)) >> 15);
      if (rlow > R_LIMIT_MAX) rlow = R_LIMIT_MAX; else if (rlow < R_LIMIT_MIN) rlow = R_LIMIT_MIN;
      // 2L INVQAL: the predictor is driven by the 4-bit (embedded) code.
      const il4 = il >> 2;
      const dlowt = (low.det * (QM4[il4] as number)) >> 15;
      low.adaptScale(WL[RL42[il4] as number] as number, NB_LOW_MAX, 8);
      low.update(dlowt);
      // 2H INVQAH + 5H RECONS + 6H LIMIT.
      const dhigh = (high.det * (QM2[ih] as number)) >> 15;
      let rhigh = dhigh + high.s;
      if (rhigh > R_LIMIT_MAX) rhigh = R_LIMIT_MAX; else if (rhigh < R_LIMIT_MIN) rhigh = R_LIMIT_MIN;
      high.adaptScale(WH[RH2[ih] as number] as number, NB_HIGH_MAX, 10);
      high.update(dhigh);
      // Receive QMF: two output samples per sub-band pair.
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += (x[2 * i] as number) * (QMF_COEFFS[i] as number);
        xout1 += (x[2 * i + 1] as number) * (QMF_COEFFS[11 - i] as number);
      }
      out[o++] = sat16(xout1 >> 11);
      out[o++] = sat16(xout2 >> 11);
    }
    return o - offset;
  }

  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length * 2);
    this.decodeInto(payload, out, 0);
    return out;
  }
}

/** A stateful G.722 64 kbit/s encoder (same ITU algorithm), for tests and tools. */
export class G722Encoder {
  private readonly low = new Band(DET_LOW_INIT);
  private readonly high = new Band(DET_HIGH_INIT);
  private readonly x = new Int32Array(QMF_TAPS);

  /** Encodes 16 kHz samples (an even count; a trailing odd sample is dropped) into one byte per pair. */
  encode(samples: Int16Array): Uint8Array {
    const n = samples.length >> 1;
    const out = new Uint8Array(n);
    const { low, high, x } = this;
    for (let j = 0; j < n; j++) {
      // Transmit QMF.
      x.copyWithin(0, 2);
      x[22] = samples[2 * j] as number;
      x[23] = samples[2 * j + 1] as number;
      let sumodd = 0;
      let sumeven = 0;
      for (let i = 0; i < 12; i++) {
        sumodd += (x[2 * i] as number) * (QMF_COEFFS[i] as number);
        sumeven += (x[2 * i + 1] as number) * (QMF_COEFFS[11 - i] as number);
      }
      const xlow = (sumeven + sumodd) >> 14;
      const xhigh = (sumeven - sumodd) >> 14;
      // 1L SUBTRA + QUANTL.
      const el = sat16(xlow - low.s);
      const wdl = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) if (wdl < (((Q6[i] as number) * low.det) >> 12)) break;
      const ilow = el < 0 ? (ILN[i] as number) : (ILP[i] as number);
      // 2L INVQAL, 3L, 4L.
      const ril = ilow >> 2;
      const dlow = (low.det * (QM4[ril] as number)) >> 15;
      low.adaptScale(WL[RL42[ril] as number] as number, NB_LOW_MAX, 8);
      low.update(dlow);
      // 1H SUBTRA + QUANTH.
      const eh = sat16(xhigh - high.s);
      const wdh = eh >= 0 ? eh : -(eh + 1);
      const mih = wdh >= ((Q2 * high.det) >> 12) ? 2 : 1;
      const ihigh = eh < 0 ? (IHN[mih] as number) : (IHP[mih] as number);
      const dhigh = (high.det * (QM2[ihigh] as number)) >> 15;
      high.adaptScale(WH[RH2[ihigh] as number] as number, NB_HIGH_MAX, 10);
      high.update(dhigh);
      out[j] = (ihigh << HIGH_CODE_SHIFT) | ilow;
    }
    return out;
  }
}
