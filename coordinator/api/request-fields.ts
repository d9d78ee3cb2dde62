import { ValidationError } from '../../shared/errors.js';

/** An id or name a request must give: an empty one is INVALID_ARGUMENT naming the field, not a lookup that finds nothing. */
export function requiredId(field: string, value: string): string {
  if (value === '') throw new ValidationError(field, 'is required');
  return value;
}
