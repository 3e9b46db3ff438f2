/**
 * Parsing of wire properties. CloudFormation turns every scalar into a string, so `"false"` must be
 * read as false (it is truthy in JavaScript) and numbers must be parsed; a malformed value is a bug
 * in the construct, reported with the property's name.
 */
import type { Properties } from './types';
import type { WireTag } from '../../src/private/contract';

export function requiredString(props: Properties, name: string): string {
  const value = props[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`Property ${name} is required and must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function optionalString(props: Properties, name: string): string | undefined {
  const value = props[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Property ${name} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

export function booleanProperty(props: Properties, name: string, defaultValue: boolean): boolean {
  const value = props[name];
  if (value === undefined || value === null || value === '') return defaultValue;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Property ${name} must be "true" or "false", got ${JSON.stringify(value)}`);
}

export function numberProperty(props: Properties, name: string, defaultValue: number): number {
  const value = props[name];
  if (value === undefined || value === null || value === '') return defaultValue;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`Property ${name} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
}

export function stringList(props: Properties, name: string): string[] {
  const value = props[name];
  if (value === undefined || value === null || value === '') return [];
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) {
    throw new Error(`Property ${name} must be a list of strings, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

export function tagList(props: Properties, name: string): WireTag[] {
  const value = props[name];
  if (value === undefined || value === null || value === '') return [];
  if (!Array.isArray(value) || value.some(t => typeof t?.Key !== 'string' || typeof t?.Value !== 'string')) {
    throw new Error(`Property ${name} must be a list of { Key, Value } tags, got ${JSON.stringify(value)}`);
  }
  return value as WireTag[];
}

/**
 * The tag changes between two declared tag lists. Only keys the stack declared are touched: tags
 * that someone else set on the resource are left alone.
 */
export function diffTags(oldTags: readonly WireTag[], newTags: readonly WireTag[]): { set: WireTag[]; remove: string[] } {
  const before = new Map(oldTags.map(t => [t.Key, t.Value]));
  const after = new Map(newTags.map(t => [t.Key, t.Value]));
  const set = newTags.filter(t => before.get(t.Key) !== t.Value);
  const remove = [...before.keys()].filter(key => !after.has(key));
  return { set, remove };
}
