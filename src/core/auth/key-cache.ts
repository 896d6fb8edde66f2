// The daemon's in-memory view of virtual keys: hash → principal. The proxy authenticates from here
// without touching the disk; admin actions update it in the same step as the store.
import type { KeyRow } from '../store/repos/keys.js';

export interface Principal {
  keyId: string;
  keyName: string | null;
  project: string;
  user: string | null;
  team: string | null;
  sessionId: string | null;
  repo: string | null;
  branch: string | null;
  expiresAt: number | null;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked' };

export interface SessionTags {
  repo: string | null;
  branch: string | null;
}

export class KeyCache {
  private byHash = new Map<string, Principal>();
  /** Hashes of revoked keys, so a revoked key is told apart from one that never existed. */
  private revoked = new Set<string>();

  load(rows: KeyRow[], sessions: Map<string, SessionTags>): void {
    this.byHash.clear();
    this.revoked.clear();
    for (const r of rows) this.add(r, r.session_id ? sessions.get(r.session_id) : undefined);
  }

  add(r: KeyRow, session?: SessionTags): void {
    if (r.revoked_at !== null) {
      this.revoked.add(r.hash);
      this.byHash.delete(r.hash);
      return;
    }
    this.byHash.set(r.hash, {
      keyId: r.id,
      keyName: r.name,
      project: r.project,
      user: r.user,
      team: r.team,
      sessionId: r.session_id,
      repo: session?.repo ?? null,
      branch: session?.branch ?? null,
      expiresAt: r.expires_at,
    });
  }

  revoke(hash: string): void {
    this.byHash.delete(hash);
    this.revoked.add(hash);
  }

  /** `hash` is the SHA-256 of the presented key; lookups by digest leak nothing about the key. */
  authenticate(hash: string | undefined, nowMs: number): AuthResult {
    if (hash === undefined) return { ok: false, reason: 'missing' };
    const p = this.byHash.get(hash);
    if (!p) return { ok: false, reason: this.revoked.has(hash) ? 'revoked' : 'unknown' };
    if (p.expiresAt !== null && p.expiresAt <= nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, principal: p };
  }

  get size(): number {
    return this.byHash.size;
  }
}
