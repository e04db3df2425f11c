/** A mistake by the user (bad flag value, missing file): printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
