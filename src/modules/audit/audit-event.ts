import { createHmac } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { newId } from '../../lib/ids.ts';

export type AuditOutcome = 'success' | 'failure' | 'allow' | 'deny';

/** What a caller hands to `audit.append`. Never put secrets, card data or names in it: ids only. */
export type AuditEventInput = {
  tenantId: string;
  action: string;
  outcome: AuditOutcome;
  actor: { userId: string | null; roles?: readonly string[]; sessionId?: string | null; ip?: string | null };
  resource: { type: string; id?: string | null };
  reason?: string | null;
  policyIds?: readonly string[];
  purpose?: string | null;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null>;
};

/** The event as stored (canonical JSON body) and returned by the API. */
export type AuditEvent = {
  v: 1;
  id: string;
  time: string;
  tenant: string;
  actor: { user: string | null; roles: string[]; session: string | null; ip: string | null };
  action: string;
  resource: { type: string; id: string | null };
  outcome: AuditOutcome;
  reason: string | null;
  policies: string[];
  purpose: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean | null>;
};

export function buildAuditEvent(input: AuditEventInput, now: Date): AuditEvent {
  return {
    v: 1,
    id: newId(),
    time: now.toISOString(),
    tenant: input.tenantId,
    actor: {
      user: input.actor.userId,
      roles: [...(input.actor.roles ?? [])],
      session: input.actor.sessionId ?? null,
      ip: input.actor.ip ?? null,
    },
    action: input.action,
    resource: { type: input.resource.type, id: input.resource.id ?? null },
    outcome: input.outcome,
    reason: input.reason ?? null,
    policies: [...(input.policyIds ?? [])],
    purpose: input.purpose ?? null,
    requestId: input.requestId ?? null,
    details: input.details ?? {},
  };
}

export const encodeAuditEvent = (event: AuditEvent): string => canonicalJson(event);

/** MAC over the body, written with the row: a row inserted by anyone without the key is detected. */
export const bodyMac = (macKey: Buffer, body: string): Buffer =>
  createHmac('sha256', macKey).update('bulwark-audit-body/v1\n').update(body).digest();

/** MAC binding a leaf hash to its index: edits, reorderings and deletions name the exact index. */
export function leafSeal(macKey: Buffer, leafIndex: number, leafHash: Uint8Array): Buffer {
  const idx = Buffer.alloc(8);
  idx.writeBigUInt64BE(BigInt(leafIndex));
  return createHmac('sha256', macKey).update('bulwark-audit-seal/v1\n').update(idx).update(leafHash).digest();
}
