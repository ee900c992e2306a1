/**
 * Record of processing activities (GDPR Art. 30): one entry per category of personal data Bulwark
 * keeps, with purpose, lawful basis, retention, recipients and transfers. Defaults are the typed
 * constant {@link PROCESSING_DEFAULTS}; a tenant's compliance officer overrides purpose, lawful
 * basis, recipients and transfers (table `processing_record_overrides`, audited). Retention is
 * never edited here: it is read from the configuration that enforces it (session settings,
 * recording retention policies, WFM retention settings when they exist), so the record cannot
 * claim a period the system does not apply.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import './gdpr.schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';

export const PROCESSING_CATEGORIES = [
  'identity',
  'sessions',
  'audit',
  'wfm_agent',
  'home_address',
  'schedules',
  'adherence_events',
  'adherence_intervals',
  'absences',
  'performance',
  'shift_swaps',
  'recordings_metadata',
  'recording_content',
  'transcripts',
  'tokens',
] as const;
export type ProcessingCategory = (typeof PROCESSING_CATEGORIES)[number];

export type ProcessingDefault = {
  title: string;
  /** What is kept, in words. */
  data: string;
  purpose: string;
  lawfulBasis: string;
  /** GDPR Art. 9 special category (health data). */
  specialCategory: boolean;
  recipients: string;
  transfers: string;
  /** How long, when no configuration decides it (or how the configured value is applied). */
  retentionDefault: string;
  /** Where the retention is configured. */
  retentionConfiguredIn: string;
};

const EMPLOYMENT = 'Art. 6(1)(b) performance of the employment contract';
const LEGIT = 'Art. 6(1)(f) legitimate interests';
const NO_TRANSFER =
  "Stored in the deployment's own database; no transfer outside the tenant's residency region is configured by Bulwark.";

/** The defaults of the record, one entry per category. Tenants override the editable fields. */
export const PROCESSING_DEFAULTS: Readonly<Record<ProcessingCategory, ProcessingDefault>> = {
  identity: {
    title: 'User account',
    data: 'username, roles, teams, region, site, account status, whether MFA is enrolled (secrets and password hashes are kept only to sign in and are never shown)',
    purpose: 'Sign-in and role-based access control to the platform',
    lawfulBasis: `${EMPLOYMENT}; Art. 32 security of processing`,
    specialCategory: false,
    recipients: 'IT administrators (account management); the person themself',
    transfers: NO_TRANSFER,
    retentionDefault:
      'Kept while the account exists; disabled accounts are kept until deleted by an administrator',
    retentionConfiguredIn: 'not configurable (account lifecycle: `bulwark users disable`)',
  },
  sessions: {
    title: 'Sessions',
    data: 'session start, last activity, expiry, MFA time, source IP address, revocation',
    purpose: 'Keeping a signed-in session alive, revoking it, investigating misuse',
    lawfulBasis: `${LEGIT} (security of the platform); Art. 32`,
    specialCategory: false,
    recipients: 'Security analysts (presence and incident queries); the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Session rows are kept after expiry (no purge job yet)',
    retentionConfiguredIn: 'BULWARK_SESSION_IDLE_SECONDS / BULWARK_SESSION_MAX_SECONDS (session lifetime)',
  },
  audit: {
    title: 'Audit events',
    data: 'who did what to which record, when, from which IP address, the decision and the deciding policies (ids, never content)',
    purpose: 'Accountability and tamper-evident evidence of access to personal data and card data',
    lawfulBasis: 'Art. 6(1)(c) legal obligation (GDPR Art. 5(2), PCI DSS 10); Art. 32',
    specialCategory: false,
    recipients: 'Security analysts, compliance officers; supervisory authorities and auditors on request',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept for the life of the tenant: the log is append-only and Merkle-sealed',
    retentionConfiguredIn: 'not configurable (tamper-evident log)',
  },
  wfm_agent: {
    title: 'Workforce record',
    data: 'WFM agent id, name, team, site, residency region, status, leaving date',
    purpose: 'Workforce planning: scheduling, staffing and team management',
    lawfulBasis: EMPLOYMENT,
    specialCategory: false,
    recipients: 'Supervisors of the team, WFM analysts and managers; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept while employed; leavers pseudonymised after 3 months (issue 6 default)',
    retentionConfiguredIn: 'WFM retention settings (`leaverPseudonymiseDays`)',
  },
  home_address: {
    title: 'Home address (remote agents)',
    data: 'postal address of a remote agent, encrypted field by field',
    purpose: 'Equipment delivery and health-and-safety duties for home working',
    lawfulBasis: `${EMPLOYMENT}; Art. 6(1)(c) legal obligation (health and safety)`,
    specialCategory: false,
    recipients: 'Nobody by default; WFM managers through a purpose-bound, audited read; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept with the workforce record; removed when a leaver is pseudonymised',
    retentionConfiguredIn: 'WFM retention settings (`leaverPseudonymiseDays`)',
  },
  schedules: {
    title: 'Schedules',
    data: 'shift and activity segments (start, end, activity)',
    purpose: 'Scheduling and staffing',
    lawfulBasis: EMPLOYMENT,
    specialCategory: false,
    recipients: 'Supervisors of the team, WFM analysts and managers; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept like interval aggregates (2 years, issue 6 default)',
    retentionConfiguredIn: 'WFM retention settings',
  },
  adherence_events: {
    title: 'Adherence state events',
    data: 'each change of state (logged in, available, on call, after-call work, break, logged out) with its time',
    purpose: 'Real-time adherence and building the 15-minute aggregates',
    lawfulBasis: `${LEGIT} (workforce management), minimised: raw events are kept briefly`,
    specialCategory: false,
    recipients: 'Supervisors of the team, WFM analysts and managers; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: '7 days (issue 6 default); capture of per-second states can be turned off',
    retentionConfiguredIn: 'WFM retention settings (`adherenceEventDays`)',
  },
  adherence_intervals: {
    title: 'Adherence intervals',
    data: 'seconds spent in each state per 15-minute interval',
    purpose: 'Adherence reporting and capacity planning',
    lawfulBasis: `${LEGIT} (workforce management)`,
    specialCategory: false,
    recipients:
      'Supervisors of the team, WFM analysts and managers; executives as aggregates of at least 5 people',
    transfers: NO_TRANSFER,
    retentionDefault: '2 years (issue 6 default)',
    retentionConfiguredIn: 'WFM retention settings (`adherenceIntervalDays`)',
  },
  absences: {
    title: 'Absences',
    data: 'absence dates and a coded reason category (vacation, sick, family leave, personal, other); never free-text notes',
    purpose: 'Leave management, sick pay and staffing',
    lawfulBasis: `${EMPLOYMENT}; Art. 9(2)(b) employment and social security law (the "sick" category is health data)`,
    specialCategory: true,
    recipients:
      'Supervisors see "absent" without the reason; WFM managers see reasons only with a stated, audited purpose; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept like interval aggregates (2 years, issue 6 default)',
    retentionConfiguredIn: 'WFM retention settings',
  },
  performance: {
    title: 'Performance metrics',
    data: 'metric values per period (e.g. average handling time, calls handled)',
    purpose: 'Coaching and performance reviews',
    lawfulBasis: `${LEGIT} (performance management)`,
    specialCategory: false,
    recipients:
      'Supervisors of the team and WFM managers; executives as aggregates of at least 5 people; the person themself',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept like interval aggregates (2 years, issue 6 default)',
    retentionConfiguredIn: 'WFM retention settings',
  },
  shift_swaps: {
    title: 'Shift swaps',
    data: "offers of one's own future shift (time, team, activity, optional note) and claims of a teammate's offer, with status and decision times",
    purpose: 'Letting agents exchange shifts with a supervisor or WFM manager approving',
    lawfulBasis: EMPLOYMENT,
    specialCategory: false,
    recipients:
      'Agents of the team see open offers as time, team and activity only (never who offered); the offerer, the claimant (their own side) and the deciding supervisor of the team or WFM manager',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept with the schedules (no separate purge yet)',
    retentionConfiguredIn: 'not configurable yet (follows schedules)',
  },
  recordings_metadata: {
    title: 'Recording metadata',
    data: 'call id, agent, team, times, codec, tags, a tokenized customer reference (never the reference itself)',
    purpose: 'Quality assurance, dispute resolution and regulatory record keeping of calls',
    lawfulBasis: `${LEGIT} (quality and dispute resolution); Art. 6(1)(c) where call recording is required by law`,
    specialCategory: false,
    recipients: 'QA analysts of the team; compliance and security on investigation cases',
    transfers: NO_TRANSFER,
    retentionDefault: 'Kept until a retention policy deletes the recording (no matching policy: kept)',
    retentionConfiguredIn:
      'recording retention policies (`bulwark retention set`, PUT /v1/retention-policies)',
  },
  recording_content: {
    title: 'Recording content',
    data: 'call audio and screen recordings, encrypted (AES-256-GCM) under per-recording keys',
    purpose: 'Quality assurance, dispute resolution and regulatory record keeping of calls',
    lawfulBasis: `${LEGIT}; Art. 6(1)(c) where call recording is required by law`,
    specialCategory: false,
    recipients: 'QA analysts of the team (fresh MFA, audited playback); compliance and security on cases',
    transfers: NO_TRANSFER,
    retentionDefault: 'Crypto-shredded when its retention policy expires unless on legal hold',
    retentionConfiguredIn: 'recording retention policies',
  },
  transcripts: {
    title: 'Transcripts',
    data: 'call transcripts, redacted before storage (card numbers and other detected data removed)',
    purpose: 'Quality assurance and search of calls',
    lawfulBasis: LEGIT,
    specialCategory: false,
    recipients: 'As recording content',
    transfers: NO_TRANSFER,
    retentionDefault: 'Deleted with their recording',
    retentionConfiguredIn: 'recording retention policies',
  },
  tokens: {
    title: 'Vault tokens',
    data: 'customer values (card numbers, references) swapped for tokens, the values encrypted in the vault',
    purpose: 'Keeping customer data out of transcripts, notes and recordings (PCI DSS scope reduction)',
    lawfulBasis: 'Art. 6(1)(c) legal obligation (PCI DSS); Art. 32',
    specialCategory: false,
    recipients: 'Holders of the detokenize permission, with a stated and audited purpose',
    transfers: NO_TRANSFER,
    retentionDefault: 'Until the token expires (TTL set at tokenization) or is deleted',
    retentionConfiguredIn: 'per token (ttlSeconds when tokenizing)',
  },
};

/** One category of the record as shown to people: the default merged with the tenant's edits. */
export type ProcessingEntry = {
  category: ProcessingCategory;
  title: string;
  data: string;
  purpose: string;
  lawfulBasis: string;
  specialCategory: boolean;
  retention: string;
  retentionConfiguredIn: string;
  recipients: string;
  transfers: string;
  /** True when the tenant changed purpose, basis, recipients or transfers. */
  customized: boolean;
};

/** The editable fields. Retention is read from the configuration, never edited here. */
export type ProcessingEdit = {
  purpose?: string | undefined;
  lawfulBasis?: string | undefined;
  recipients?: string | undefined;
  transfers?: string | undefined;
};

/**
 * Retention as configured for WFM data, when a settings source exists (WFM retention settings are
 * added separately); days, or null when the capture is switched off.
 */
export type WfmRetentionSettings = {
  adherenceEventDays?: number | null;
  adherenceIntervalDays?: number | null;
  leaverPseudonymiseDays?: number | null;
  /** Days schedules, absences and performance are kept, when configured. */
  otherDays?: number | null;
};

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  session: { idleSeconds: number; maxSeconds: number };
  /** Reads the tenant's WFM retention settings; absent until that configuration exists. */
  wfmRetention?: ((tenantId: string) => Promise<WfmRetentionSettings | undefined>) | undefined;
};

const days = (n: number | null | undefined, fallback: string) =>
  n === undefined ? fallback : n === null ? 'not captured (switched off)' : `${n} days`;
const duration = (s: number) =>
  s % 86_400 === 0 ? `${s / 86_400} day(s)` : s % 3600 === 0 ? `${s / 3600} hour(s)` : `${s / 60} minute(s)`;

/**
 * @example
 * const record = createProcessingRecordService({ db, audit, clock, session: config.session });
 * const entries = await record.list(tenantId);
 */
export function createProcessingRecordService({ db, audit, clock, session, wfmRetention }: Deps) {
  /** Retention of each category as the configuration of `tenantId` applies it. */
  async function retentionOf(tenantId: string): Promise<Partial<Record<ProcessingCategory, string>>> {
    const out: Partial<Record<ProcessingCategory, string>> = {
      sessions: `A session ends after ${duration(session.idleSeconds)} idle or ${duration(session.maxSeconds)} in all; ${PROCESSING_DEFAULTS.sessions.retentionDefault.toLowerCase()}`,
    };
    const policies = await db
      .selectFrom('retention_policies')
      .select(['kind', 'region', 'tag', 'retain_days'])
      .where('tenant_id', '=', tenantId)
      .orderBy('retain_days')
      .execute();
    if (policies.length > 0) {
      const text = policies
        .map(
          (p) =>
            `${p.retain_days} days for ${[p.kind ?? 'any kind', p.region ? `region ${p.region}` : 'any region', p.tag ? `tag ${p.tag}` : 'any tag'].join(', ')}`,
        )
        .join('; ');
      const rule = `Recording retention policies: ${text} (the most specific policy decides; a recording no policy matches is kept)`;
      out.recordings_metadata = rule;
      out.recording_content = `${rule}; crypto-shredded at expiry unless on legal hold`;
      out.transcripts = `Deleted with their recording. ${rule}`;
    } else {
      const none = 'No recording retention policy is configured: recordings are kept until deleted';
      out.recordings_metadata = none;
      out.recording_content = none;
      out.transcripts = `${none} (transcripts go with their recording)`;
    }
    const wfm = wfmRetention ? await wfmRetention(tenantId) : undefined;
    if (wfm) {
      const other = days(wfm.otherDays, PROCESSING_DEFAULTS.schedules.retentionDefault);
      out.adherence_events = days(
        wfm.adherenceEventDays,
        PROCESSING_DEFAULTS.adherence_events.retentionDefault,
      );
      out.adherence_intervals = days(
        wfm.adherenceIntervalDays,
        PROCESSING_DEFAULTS.adherence_intervals.retentionDefault,
      );
      out.wfm_agent = `Kept while employed; leavers pseudonymised after ${days(wfm.leaverPseudonymiseDays, '3 months')}`;
      out.home_address = `Removed when a leaver is pseudonymised (${days(wfm.leaverPseudonymiseDays, '3 months')} after leaving)`;
      out.schedules = other;
      out.absences = other;
      out.performance = other;
    }
    return out;
  }

  /** The whole record for a tenant, in category order. */
  async function list(tenantId: string): Promise<ProcessingEntry[]> {
    const [overrides, retention] = await Promise.all([
      db.selectFrom('processing_record_overrides').selectAll().where('tenant_id', '=', tenantId).execute(),
      retentionOf(tenantId),
    ]);
    const byCategory = new Map(overrides.map((o) => [o.category, o]));
    return PROCESSING_CATEGORIES.map((category) => {
      const d = PROCESSING_DEFAULTS[category];
      const o = byCategory.get(category);
      return {
        category,
        title: d.title,
        data: d.data,
        purpose: o?.purpose ?? d.purpose,
        lawfulBasis: o?.lawful_basis ?? d.lawfulBasis,
        specialCategory: d.specialCategory,
        retention: retention[category] ?? d.retentionDefault,
        retentionConfiguredIn: d.retentionConfiguredIn,
        recipients: o?.recipients ?? d.recipients,
        transfers: o?.transfers ?? d.transfers,
        customized: o !== undefined,
      };
    });
  }

  /** Changes the editable fields of one category (audited with the names of the fields changed). */
  async function update(actor: Actor, category: string, edit: ProcessingEdit): Promise<ProcessingEntry> {
    if (!(PROCESSING_CATEGORIES as readonly string[]).includes(category))
      throw new AppError('NOT_FOUND', `No category "${category}" in the record of processing.`, {
        details: { categories: [...PROCESSING_CATEGORIES] },
      });
    const fields = (['purpose', 'lawfulBasis', 'recipients', 'transfers'] as const).filter(
      (f) => edit[f] !== undefined,
    );
    if (fields.length === 0)
      throw new AppError(
        'VALIDATION_FAILED',
        'Send at least one of purpose, lawfulBasis, recipients, transfers.',
      );
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const values = {
        ...(edit.purpose !== undefined ? { purpose: edit.purpose } : {}),
        ...(edit.lawfulBasis !== undefined ? { lawful_basis: edit.lawfulBasis } : {}),
        ...(edit.recipients !== undefined ? { recipients: edit.recipients } : {}),
        ...(edit.transfers !== undefined ? { transfers: edit.transfers } : {}),
        updated_by: actor.userId,
        updated_at: now,
      };
      await trx
        .insertInto('processing_record_overrides')
        .values({ tenant_id: actor.tenantId, category, ...values })
        .onConflict((oc) => oc.columns(['tenant_id', 'category']).doUpdateSet(values))
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'processing.update',
        outcome: 'success',
        actor: { userId: actor.userId, roles: actor.roles, sessionId: actor.sessionId, ip: actor.ip },
        resource: { type: 'ProcessingRecord', id: category },
        requestId: actor.requestId,
        details: { fields: fields.join(','), channel: actor.channel },
      });
    });
    return (await list(actor.tenantId)).find((e) => e.category === category)!;
  }

  return { list, update };
}

export type ProcessingRecordService = ReturnType<typeof createProcessingRecordService>;

const CSV_COLUMNS = [
  'category',
  'title',
  'data',
  'purpose',
  'lawfulBasis',
  'specialCategory',
  'retention',
  'retentionConfiguredIn',
  'recipients',
  'transfers',
  'customized',
] as const;

/** The record as CSV (RFC 4180, one row per category). */
export function processingRecordCsv(
  entries: readonly ProcessingEntry[],
  cell: (v: unknown) => string,
): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => cell(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** The record as a Markdown table (pipes and line breaks in values escaped). */
export function processingRecordMarkdown(entries: readonly ProcessingEntry[]): string {
  const md = (v: unknown) =>
    String(v)
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/[\r\n]+/g, ' ')
      .replace(/</g, '&lt;');
  const cols = ['category', 'purpose', 'lawfulBasis', 'retention', 'recipients', 'transfers'] as const;
  const out = [
    '# Record of processing activities (GDPR Art. 30)',
    '',
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
  ];
  for (const e of entries)
    out.push(
      `| ${cols.map((c) => md(c === 'category' ? `${e.title} (${e.category})${e.specialCategory ? ' — Art. 9' : ''}` : e[c])).join(' | ')} |`,
    );
  return `${out.join('\n')}\n`;
}
