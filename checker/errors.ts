/**
 * The checker's one error type. Every failure names the step (its id, or null before or outside the steps), the rule
 * that failed, and a message with claimed versus recomputed values where they apply.
 *
 * A failure is either a rejection (the certificate does not prove its claim: exit 1) or "not decided here" (a
 * resource or work limit of this checker was reached, the input is of a size it does not support, or it failed
 * internally: exit 3). The second says nothing about the certificate; another checker, or this one with a larger
 * limit, may decide it.
 */

export class CheckError extends Error {
  override name = 'CheckError';
  constructor(readonly step: string | null, readonly rule: string, message: string, readonly undecided = false) {
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

/** Stops without a verdict on the certificate: a limit of this checker, not a flaw of the certificate. */
export function ensureWithin(cond: boolean, step: string | null, rule: string, message: string | (() => string)): asserts cond {
  if (cond !== true) throw new CheckError(step, rule, typeof message === 'string' ? message : message(), true);
}
