import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The Node lines SessionKit supports are written in four places: README.md ("Supported versions"),
 * `.ci/run` (the lines the Node-matrix subset runs on, besides `npm test` on the machine's Node 20),
 * and the `engines` field of every package.json. They must say the same.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const manifests = ['package.json', ...['packages', 'examples'].flatMap((dir) => readdirSync(join(root, dir)).map((name) => `${dir}/${name}/package.json`))];

describe('supported Node versions', () => {
  it('README, .ci/run and every engines field name the same Node lines', () => {
    const readme = /\*\*Node\.js (\d+), (\d+) and (\d+)\*\* \(`engines`: `>=(\d+)`\)/.exec(read('README.md'));
    expect(readme, 'README.md states the supported Node lines').not.toBeNull();
    const [, oldest, ...newer] = readme!.slice(0, 4);
    expect(readme![4]).toBe(oldest);

    const matrix = /^node scripts\/node-matrix\.mjs ([\d ]+?) \|\| /m.exec(read('.ci/run'));
    expect(matrix?.[1]?.split(' ')).toEqual(newer);

    const engines = Object.fromEntries(manifests.map((path) => [path, JSON.parse(read(path)).engines?.node]));
    expect(manifests.length).toBeGreaterThan(10);
    for (const path of manifests) expect(engines[path], path).toBe(`>=${oldest}`);
  });
});
