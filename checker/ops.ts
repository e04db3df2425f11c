/**
 * The checker's count of exact arithmetic operations (BigInt or exact-integer add, subtract, multiply, divide,
 * compare): the proof's length. One counter object is created per check and passed explicitly.
 */
/** What a counting rule needs of a counter: `add` (a worker thread passes a plain object of its own). */
export type Count = { add(n: number): void };

export class Ops {
  /** Exact while below 2^53: folded into `folded` long before that. */
  private recent = 0;
  private folded = 0n;

  /** Counts n operations (n a non-negative safe integer). */
  add(n: number): void {
    this.recent += n;
    if (this.recent > 2 ** 50) {
      this.folded += BigInt(this.recent);
      this.recent = 0;
    }
  }

  /** The count, as a decimal string. */
  total(): string {
    return (this.folded + BigInt(this.recent)).toString();
  }
}
