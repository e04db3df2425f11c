/**
 * The checker's one error type. Every rejection names the step (its id, or null before or outside the steps), the
 * rule that failed, and a message with claimed versus recomputed values where they apply.
 */

export class CheckError extends Error {
  override name = 'CheckError';
  constructor(
    readonly step: string | null,
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fails closed: anything but `cond === true` rejects. */
export function ensure(cond: boolean, step: string | null, rule: string, message: string | (() => string)): asserts cond {
  if (cond !== true) throw new CheckError(step, rule, typeof message === 'string' ? message : message());
}

export function reject(step: string | null, rule: string, message: string): never {
  throw new CheckError(step, rule, message);
}
