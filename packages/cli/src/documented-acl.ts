import type { DocumentedAcl } from '../build/documented-acl.js';

declare const __SESSIONKIT_DOCUMENTED_ACL__: DocumentedAcl | undefined;

/** docs/operations.md's ACL rules, put here by the build (see build/documented-acl.ts). */
export const documentedAcl: DocumentedAcl = typeof __SESSIONKIT_DOCUMENTED_ACL__ !== 'undefined' ? __SESSIONKIT_DOCUMENTED_ACL__ : { rules: [], extras: {} };
