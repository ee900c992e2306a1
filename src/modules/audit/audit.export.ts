import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { AuditEvent } from './audit-event.ts';

export type ExportFormat = 'jsonl' | 'cef';
const BATCH = 5_000;

// CEF header fields escape | and \; extension values escape \ and = and encode newlines (ArcSight CEF spec).
const cefHeader = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]/g, ' ');
const cefValue = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r?\n|\r/g, '\\n');

const SEVERITY: Record<string, number> = { deny: 7, failure: 6, allow: 3, success: 3 };

/** One event as an ArcSight Common Event Format line for a SIEM. */
export function toCef(event: AuditEvent & { leafIndex: number | null }, version: string): string {
  const ext: Array<[string, string | number | null]> = [
    ['rt', Date.parse(event.time)],
    ['externalId', event.id],
    ['suid', event.actor.user],
    ['spriv', event.actor.roles.join(',')],
    ['src', event.actor.ip],
    ['act', event.action],
    ['outcome', event.outcome],
    ['cs1Label', 'resourceType'],
    ['cs1', event.resource.type],
    ['cs2Label', 'resourceId'],
    ['cs2', event.resource.id],
    ['cs3Label', 'policies'],
    ['cs3', event.policies.join(',')],
    ['cs4Label', 'purpose'],
    ['cs4', event.purpose],
    ['cs5Label', 'requestId'],
    ['cs5', event.requestId],
    ['cs6Label', 'tenant'],
    ['cs6', event.tenant],
    ['cn1Label', 'leafIndex'],
    ['cn1', event.leafIndex],
    ['reason', event.reason],
  ];
  const extension = ext
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  const sev = SEVERITY[event.outcome] ?? 5;
  return `CEF:0|Bulwark|Bulwark|${cefHeader(version)}|${cefHeader(event.action)}|${cefHeader(event.action)}|${sev}|${extension}`;
}

/** Streams a tenant's sequenced events in log order, one line each. */
export async function* exportAuditEvents(
  db: Kysely<Database>,
  tenantId: string,
  format: ExportFormat,
  version: string,
): AsyncGenerator<string> {
  let next = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['leaf_index', 'body'])
      .where('tenant_id', '=', tenantId)
      .where('leaf_index', '>=', next)
      .orderBy('leaf_index')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const event = { ...(JSON.parse(row.body) as AuditEvent), leafIndex: Number(row.leaf_index) };
      yield format === 'jsonl' ? `${JSON.stringify(event)}\n` : `${toCef(event, version)}\n`;
      next = Number(row.leaf_index) + 1;
    }
    if (rows.length < BATCH) return;
  }
}
