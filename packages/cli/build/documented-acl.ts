/**
 * Reads the ACL rules SessionKit needs from docs/operations.md, "ACL user": the ```ACL SETUSER```
 * block and the table of extra rules per setup. packages/core/test/acl.test.ts runs the store as
 * a user made of exactly these rules, so this text is the tested list; `sessionkit doctor` gets it
 * at build time (tsup.config.ts) instead of a copy that could drift.
 */

export interface DocumentedAcl {
  /** Rules of the SETUSER block, in order (`on`, `>password`, `~pattern`, `+command`, ...). */
  rules: string[];
  /** Extra rules per setup, from the table: { Cluster: [...], 'Redis >= 7.2': [...], ... }. */
  extras: Record<string, string[]>;
}

export function parseDocumentedAcl(doc: string): DocumentedAcl {
  const start = doc.indexOf('\n## ACL user');
  if (start < 0) throw new Error('docs/operations.md has no "## ACL user" section');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const block = /```\n(ACL SETUSER[\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/operations.md, "ACL user": no ```ACL SETUSER ...``` block');
  const [acl, setuser, name, ...rules] = block.split(/\s+/).filter(Boolean);
  if (`${acl} ${setuser}` !== 'ACL SETUSER' || !name) throw new Error(`unexpected ACL block: ${block}`);
  const extras: Record<string, string[]> = {};
  for (const match of section.matchAll(/^\| ([^|]+?) \| `([^`]+)`/gm)) extras[match[1]!] = match[2]!.split(/\s+/).filter(Boolean);
  if (!extras.Cluster) throw new Error('docs/operations.md, "ACL user": no "| Cluster | `...`" row');
  return { rules, extras };
}
