/** Thrown for a bad strategy definition (defineStrategy, or a rule signal(p) returned); `field` names the part at fault (e.g. "params.fast.max"). */
export class StrategyDefinitionError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'StrategyDefinitionError';
  }
}

export function fail(field: string, reason: string): never {
  throw new StrategyDefinitionError(field, reason);
}
