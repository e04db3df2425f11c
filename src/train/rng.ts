/**
 * The trainer's own seeded PRNG, so that a model is a function of its seed alone (no dependence on Math.random,
 * on a library's version, or on the machine).
 *
 * - Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), 32-bit words,
 *   computed with Math.imul and 32-bit shifts, which JS defines exactly.
 * - Seeding: the 64-bit seed drives SplitMix64 (Steele, Lea & Flood; https://prng.di.unimi.it/splitmix64.c); its first
 *   two outputs, each split low word then high word, are the four state words s0..s3. SplitMix64's output function
 *   is a bijection of its state and consecutive states differ, so two consecutive outputs are never both zero and the
 *   xoshiro state is never all zero (the one state xoshiro must avoid).
 * - Streams: `deriveSeed(seed, label)` gives an independent 64-bit seed for a named purpose: the first 8 bytes,
 *   big-endian, of SHA-256 of the UTF-8 string `${seed}:${label}`.
 * - Normals: Box-Muller on two 53-bit uniforms; both outputs of a pair are used, in the order cos, sin. Math.log,
 *   Math.cos and Math.sin are V8's own fdlibm ports (not the platform libm), so results do not vary by machine.
 */
import { createHash } from 'node:crypto';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64: a 64-bit state advanced by the golden-ratio increment, with a bijective output mix. */
export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint) {
    this.state = BigInt.asUintN(64, seed);
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }
}

/** An independent 64-bit seed for the stream named `label`: SHA-256(`${seed}:${label}`), first 8 bytes big-endian. */
export function deriveSeed(seed: bigint, label: string): bigint {
  const digest = createHash('sha256').update(`${seed}:${label}`, 'utf8').digest();
  return digest.readBigUInt64BE(0);
}

const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The sin half of the last Box-Muller pair, returned by the next normal() call. */
  private spareNormal: number | null = null;

  /** `seed` is taken modulo 2^64. */
  constructor(seed: bigint) {
    const sm = new SplitMix64(seed);
    const a = sm.next();
    const b = sm.next();
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
  }

  /** Next 32-bit output of xoshiro128**, as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform integer in [0, n), 1 ≤ n ≤ 2^32, unbiased: outputs at or above the largest multiple of n are redrawn. */
  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`uniformInt: n = ${n} is not an integer in [1, 2^32]`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let u = this.nextU32();
    while (u >= limit) u = this.nextU32();
    return u % n;
  }

  /** Uniform double in [0, 1) with 53 random bits (27 from one output, 26 from the next). */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** Standard normal N(0, 1) by Box-Muller. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    // 1 - uniform() lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}
