import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PublicPackage {
  /** The folder under packages/, e.g. `core`. */
  dir: string;
  name: string;
  version: string;
  manifest: Record<string, unknown>;
}

/**
 * Every package that gets published: each packages/<dir>/package.json without `"private": true`.
 * Read from disk, so the checks cover a new adapter the day it is added.
 */
export function publicPackages(root: string): PublicPackage[] {
  return readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
    .sort()
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Record<string, unknown> }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ dir, manifest, name: String(manifest.name), version: String(manifest.version) }));
}
