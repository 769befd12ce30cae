/**
 * Seeded randomness with independent named streams (docs/contract.md §2.6 "Common random numbers").
 *
 * Every stream is keyed by the scenario seed and a name such as `latency/lumen`, and by
 * nothing else, so adding a provider or a strategy never shifts another stream. Two kinds of
 * stream exist: a sequential one ({@link rngFor}) for processes that run forward in time, and
 * a keyed one ({@link DrawSource}) whose draws for (request, attempt) are the same whatever
 * else happened in the run.
 */

/** 2^32, to turn 32-bit integers into fractions. */
const TWO_POW_32 = 4_294_967_296;
/** 2^26: the low word of a 53-bit fraction holds 26 bits. */
const TWO_POW_26 = 67_108_864;
/** 2^-53: one unit in the last place of a 53-bit fraction. */
const TWO_POW_MINUS_53 = 1 / 9_007_199_254_740_992;
/** sfc32 warm-up rounds after seeding (Chris Doty-Humphrey recommends 12 for PractRand). */
const WARMUP_ROUNDS = 12;

/**
 * The murmur3 32-bit finaliser: every input bit flips each output bit with probability ~1/2.
 * @param h - 32-bit input
 * @returns 32-bit unsigned output
 */
function fmix32(h: number): number {
  return fmix32Signed(h) >>> 0;
}

/**
 * {@link fmix32} as a signed 32-bit integer (the same bits). Node's V8 (no pointer
 * compression) keeps any signed 32-bit value as a small integer, while an unsigned one of 2^31
 * or more, returned where the call is not inlined, is a new heap number; a keyed draw
 * ({@link DrawSource.at}) mixes three words per attempt.
 * @param h - 32-bit input
 * @returns signed 32-bit output
 */
function fmix32Signed(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return h ^ (h >>> 16);
}

/**
 * A 32-bit hash of a string: FNV-1a over its UTF-16 code units, then the murmur3 finaliser
 * (FNV-1a alone mixes its last characters poorly into the high bits).
 * @param s - any string
 * @returns unsigned 32-bit hash
 */
export function hashString(s: string): number {
  let h = 0x811c_9dc5; // FNV-1a offset basis
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x0100_0193); // FNV prime
  }
  return fmix32(h);
}

/**
 * Mixes two 32-bit words into one with full avalanche; not symmetric (`mix32(a, b) !== mix32(b, a)`).
 * This is murmur3_32 of the single word `b` with seed `a`.
 * @param a - first word (the seed)
 * @param b - second word
 * @returns unsigned 32-bit result
 */
export function mix32(a: number, b: number): number {
  return mix32Signed(a, b) >>> 0;
}

/**
 * {@link mix32} as a signed 32-bit integer (the same bits; see {@link fmix32Signed}).
 * @param a - first word (the seed)
 * @param b - second word
 * @returns signed 32-bit result
 */
function mix32Signed(a: number, b: number): number {
  let k = Math.imul(b, 0xcc9e_2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b87_3593);
  let h = a ^ k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe654_6b64) | 0;
  return fmix32Signed(h ^ 4); // 4 = input length in bytes, as murmur3 does
}

/** Numbers in a generator's saved state ({@link Rng.save}). */
export const RNG_STATE_LENGTH = 6;

/**
 * A fast seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) on 32-bit
 * integers. Its counter guarantees a period of at least 2^32; it passes PractRand to 2^40+.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  /**
   * The cached second normal draw (read only while `hasSpare`). Always stored as -0 when empty,
   * a double as the draws are: from 0, a small integer, the first `normal()` changed the field's
   * representation and every optimized function reading a generator was thrown away.
   */
  private spare = -0;
  private hasSpare = false;

  /**
   * @param a - state word
   * @param b - state word
   * @param c - state word
   * @param d - counter word
   */
  constructor(a: number, b: number, c: number, d: number) {
    this.reseed(a, b, c, d);
  }

  /**
   * Resets the state in place (no allocation), forgetting any cached normal spare.
   * @param a - state word
   * @param b - state word
   * @param c - state word
   * @param d - counter word
   * @returns this generator
   */
  reseed(a: number, b: number, c: number, d: number): this {
    // The warm-up is nextU32's step on locals, stored once: a third less time per reseed than
    // stepping the fields, and a keyed draw (DrawSource.at) reseeds for every attempt.
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.hasSpare = false;
    this.spare = -0;
    return this;
  }

  /**
   * Writes the generator's state (its words and any cached normal spare) into `out` from `at`,
   * {@link RNG_STATE_LENGTH} numbers, for {@link restore}.
   * @param out - where to write
   * @param at - first index written
   */
  save(out: Float64Array, at: number): void {
    out[at] = this.a;
    out[at + 1] = this.b;
    out[at + 2] = this.c;
    out[at + 3] = this.d;
    out[at + 4] = this.spare;
    out[at + 5] = this.hasSpare ? 1 : 0;
  }

  /**
   * Takes up a state {@link save} wrote: the same draws follow.
   * @param from - the saved state
   * @param at - its first index
   */
  restore(from: Float64Array, at: number): void {
    this.a = from[at]! | 0;
    this.b = from[at + 1]! | 0;
    this.c = from[at + 2]! | 0;
    this.d = from[at + 3]! | 0;
    this.spare = from[at + 4]!;
    this.hasSpare = from[at + 5] === 1;
  }

  /** @returns the next unsigned 32-bit integer */
  nextU32(): number {
    return this.step() >>> 0;
  }

  /**
   * The sfc32 step.
   * @returns the next output as a signed 32-bit integer (the bits {@link nextU32} returns; a
   *   small integer to V8, never a heap number, see {@link fmix32Signed})
   */
  private step(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t;
  }

  /** @returns a uniform fraction in [0, 1) with 53 bits of resolution (never 1) */
  next(): number {
    const hi = this.step() >>> 5; // 27 bits
    const lo = this.step() >>> 6; // 26 bits
    return (hi * TWO_POW_26 + lo) * TWO_POW_MINUS_53;
  }

  /**
   * A uniform integer in [0, n); the bias of flooring a 53-bit fraction is below 2^-53 × n.
   * @param n - exclusive upper bound, a positive integer
   * @returns an integer in [0, n)
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** @returns a standard normal draw (Marsaglia's polar method; every second call uses the cached spare) */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /**
   * An exponential draw by inversion.
   * @param mean - the mean (1 / rate)
   * @returns a finite value >= 0
   */
  exponential(mean: number): number {
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    return -mean * Math.log(1 - this.next());
  }
}

/**
 * The key of a named stream, from the seed and the name only.
 * Seeds beyond 32 bits are folded in by their high word.
 * @param seed - the scenario seed (a non-negative integer)
 * @param name - stream name, e.g. `latency/lumen`
 * @returns unsigned 32-bit key
 */
export function streamKey(seed: number, name: string): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return mix32(mix32(hashString(name), lo), hi);
}

/**
 * A sequential stream: each call to a method of the returned generator moves it forward.
 * @param seed - the scenario seed
 * @param name - stream name, e.g. `availability-noise/lumen`
 * @returns a fresh generator
 */
export function rngFor(seed: number, name: string): Rng {
  const key = streamKey(seed, name);
  return new Rng(key, mix32(key, 0x9e37_79b9), mix32(key, 0x7f4a_7c15), 1);
}

/**
 * Common random numbers: draws keyed by (stream, request id, attempt), so the same request
 * at the same provider on the same attempt sees the same numbers whatever else happened.
 */
export class DrawSource {
  /** The stream key (see {@link streamKey}). */
  readonly key: number;
  private readonly rng = new Rng(0, 0, 0, 0);

  /** @param key - stream key, e.g. `streamKey(seed, 'latency/lumen')` */
  constructor(key: number) {
    this.key = key >>> 0;
  }

  /**
   * Reseeds the internal generator for one (request, attempt) and returns it. No allocation:
   * the returned `Rng` is shared and only valid until the next `at` call on this source.
   * @param requestId - request sequence number (a non-negative integer)
   * @param attempt - attempt number (0 or 1 based, as long as callers agree)
   * @returns the reseeded shared generator
   */
  at(requestId: number, attempt: number): Rng {
    const lo = requestId >>> 0;
    const hi = Math.floor(requestId / TWO_POW_32) >>> 0;
    const a = mix32Signed(this.key, lo);
    const b = mix32Signed(a, attempt >>> 0);
    const c = mix32Signed(b, hi);
    return this.rng.reseed(a, b, c, 1);
  }
}

/**
 * A {@link DrawSource} for a named stream.
 * @param seed - the scenario seed
 * @param name - stream name, e.g. `failures/lumen`
 * @returns a new draw source
 */
export function drawSourceFor(seed: number, name: string): DrawSource {
  return new DrawSource(streamKey(seed, name));
}
