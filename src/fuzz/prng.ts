// A small deterministic PRNG (xorshift32) for the fuzzer: every case is reproducible from (seed, case index).
export interface Rng {
  /** a 32-bit unsigned integer */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** Mixes two integers into one non-zero 32-bit state (splitmix-style finaliser), so neighbouring cases diverge at once. */
export function mixSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h === 0 ? 0x6d2b79f5 : h >>> 0;
}

export function xorshift32(seed: number): Rng {
  let s = seed >>> 0 || 0x6d2b79f5;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  return {
    next,
    int: (n) => (n <= 0 ? 0 : next() % n),
    chance: (p) => next() / 0x1_0000_0000 < p,
    pick: (items) => items[next() % items.length],
  };
}

/** The generator for case `index` of a run started with `seed`. */
export function caseRng(seed: number, index: number): Rng {
  return xorshift32(mixSeed(seed, index));
}
