/** Types of the generated schema validator (checker/schema-validator.js, built by checker/build.mjs). */
export interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

export interface Validator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

/** A fresh validator for the certificate JSON Schema. */
export function makeValidator(): Validator;
