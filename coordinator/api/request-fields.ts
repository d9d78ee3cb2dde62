import { ValidationError } from '../../shared/errors.js';
import { quoteInput } from '../../shared/quote-input.js';

/** An id or name a request must give: an empty one is INVALID_ARGUMENT naming the field, not a lookup that finds nothing. */
export function requiredId(field: string, value: string): string {
  if (value === '') throw new ValidationError(field, 'is required');
  return value;
}

/**
 * An enum field's value as one of its names. A value this version does not know arrives as its number
 * (the loader's enums: String keeps unknown numbers): INVALID_ARGUMENT naming the field, not a silent match of nothing.
 */
export function knownEnum<Name extends string>(field: string, value: Name | number | string, known: readonly Name[]): Name {
  if (typeof value === 'string' && (known as readonly string[]).includes(value)) return value as Name;
  throw new ValidationError(field, `${quoteInput(String(value))} is not one of ${known.join(', ')}`);
}
