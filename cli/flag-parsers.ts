import { parseHostPort, parseList } from '../shared/config/parsers.js';
import type { JobStatus } from '../shared/generated/quantgrid/v1/JobStatus.js';
import { JOB_STATUS_NAMES, jobStatusOfName } from '../shared/job-status.js';
import type { ParamRange } from '../shared/generated/quantgrid/v1/ParamRange.js';
import { UsageError } from './cli-error.js';

/**
 * Value parsers for the CLI's flags. Each throws a plain Error saying what is wrong with the text;
 * flagValue() adds the flag's name and turns it into a UsageError (exit 2).
 */

/** Runs parse on a flag's text; a failure becomes `--flag: reason`. */
export function flagValue<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** A finite decimal number; rejects "", "0x10", "1_000", "Infinity", which Number() would take or turn into 0. */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!NUMBER.test(trimmed) || !Number.isFinite(value)) throw new Error(`"${text}" is not a number`);
  return value;
}

/** An integer from min to max inclusive. */
export function parseIntegerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = parseNumber(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`"${text}" is not an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** A number of at least 0 (fees, slippage, seconds). */
export function parseNonNegativeNumber(text: string): number {
  const value = parseNumber(text);
  if (value < 0) throw new Error(`"${text}" must not be negative`);
  return value;
}

/** A number above 0 (timeouts). */
export function parsePositiveNumber(text: string): number {
  const value = parseNumber(text);
  if (value <= 0) throw new Error(`"${text}" must be above 0`);
  return value;
}

const RANGE_HINT = 'expected start:stop:step (e.g. 5:50:5) or a single number';

/**
 * An inclusive parameter range "start:stop:step" (start, start+step, … up to stop) or a single value "v"
 * (sent as {start: v, stop: v, step: 0}).
 */
export function parseRange(text: string): ParamRange {
  const parts = text.split(':');
  if (parts.length !== 1 && parts.length !== 3) throw new Error(`"${text}" is not a range: ${RANGE_HINT}`);
  const numbers = parts.map((part) => {
    try {
      return parseNumber(part);
    } catch {
      throw new Error(`"${text}" is not a range: "${part}" is not a number (${RANGE_HINT})`);
    }
  });
  if (numbers.length === 1) return { start: numbers[0], stop: numbers[0], step: 0 };
  const [start, stop, step] = numbers;
  if (stop < start) throw new Error(`"${text}" is not a range: stop ${stop} is below start ${start}`);
  if (step < 0 || (step === 0 && stop > start)) throw new Error(`"${text}" is not a range: step must be above 0`);
  return { start, stop, step };
}

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** "name=start:stop:step" or "name=value", as given to --param. */
export function parseParamAssignment(text: string): { name: string; range: ParamRange } {
  const at = text.indexOf('=');
  const name = at < 0 ? '' : text.slice(0, at).trim();
  if (at < 0 || !PARAM_NAME.test(name)) {
    throw new Error(`"${text}" is not like name=start:stop:step (e.g. fast=5:50:5)`);
  }
  return { name, range: parseRange(text.slice(at + 1).trim()) };
}

/** A comma-separated list with at least one non-empty item; duplicates are dropped, order kept. */
export function parseNameList(text: string): string[] {
  const items = [...new Set(parseList(text))];
  if (items.length === 0) throw new Error(`"${text}" names nothing (give a comma-separated list)`);
  return items;
}

/** HOST:PORT of the coordinator (a bracketed IPv6 host is fine); a gRPC target with a scheme (dns:///…) passes as is. */
export function parseCoordinatorAddress(text: string): string {
  const trimmed = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || /^(?:dns|unix|ipv4|ipv6):/i.test(trimmed)) return trimmed;
  const { port } = parseHostPort(trimmed);
  if (port === 0) throw new Error(`"${text}" is not HOST:PORT (port 0 cannot be dialled)`);
  return trimmed;
}

export function parseJobStatus(text: string): JobStatus {
  const status = jobStatusOfName(text);
  if (!status) throw new Error(`"${text}" is not a job status (one of: ${Object.keys(JOB_STATUS_NAMES).join(', ')})`);
  return status;
}
