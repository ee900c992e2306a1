/**
 * The policy decision point: one `authorize()` call over the Cedar schema and policies in
 * `policies/`. Deny by default; `forbid` guardrails beat any `permit`; every request is
 * validated against the schema; every decision names the policies that decided it.
 *
 * How to add an action: see ./README.md.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AuthorizationAnswer,
  CedarValueJson,
  DetailedError,
  EntityJson,
  PolicyJson,
} from '@cedar-policy/cedar-wasm/nodejs';
import {
  checkParseSchema,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToJson,
  statefulIsAuthorized,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { Role } from './roles.ts';

/** `<repo>/policies`, resolved from this file so it works from any working directory. */
export const DEFAULT_POLICY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies');

const NAMESPACE = 'Bulwark';
const USER_TYPE = `${NAMESPACE}::User`;
const ACTION_TYPE = `${NAMESPACE}::Action`;

/** Every action a route can declare. Must equal the actions in `policies/bulwark.cedarschema`. */
export const ACTIONS = [
  'me.read',
  'auth.logout',
  'auth.changePassword',
  'auth.stepUp',
  'user.list',
  'user.read',
  'user.create',
  'user.update',
  'user.revokeSessions',
  'user.unlock',
  'user.resetMfa',
  'audit.read',
  'audit.checkpoint.read',
  'config.read',
  'config.write',
  'overview.read',
  'content.detect',
  'content.redact',
  'token.create',
  'token.detokenize',
  'data.read',
  'recording.play',
  'recording.download',
  'recording.read',
  'recording.delete',
  'recording.redact',
  'recording.list',
  'recording.storage',
  'recording.ingest',
  'recording.annotate',
  'recording.hold',
  'case.read',
  'case.write',
  'report.read',
  'wfm.import',
  'absence.reason.read',
  'wfm.retention.read',
  'wfm.retention.write',
  'wfm.presence.read',
  'transfer.read',
  'transfer.write',
  'dsar.manage',
  'dsar.exportOwn',
  'processing.read',
  'processing.write',
  'swap.list',
  'swap.offer',
  'swap.withdraw',
  'swap.claim',
  'swap.approve',
  'wfm.address.read',
  'wfm.forecast.read',
  'wfm.forecast.import',
] as const;

export type Action = (typeof ACTIONS)[number];

/** Entity types a resource slice can have. Must equal the schema's entity types minus `User`. */
export const RESOURCE_TYPES = [
  'AuditLog',
  'System',
  'UserAccount',
  'Schedule',
  'Adherence',
  'Absence',
  'Performance',
  'AgentRecord',
  'Recording',
  'Transcript',
  'Case',
  'Report',
] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type EmployeeDataType = 'Schedule' | 'Adherence' | 'Absence' | 'Performance';
/** An agent's WFM record itself (its home address): same attributes as employee data. */
export type AgentRecordType = 'AgentRecord';
export type ContentType = 'Recording' | 'Transcript';
export type DevicePosture = 'unknown' | 'managed' | 'unmanaged';

/** The signed-in user, as much of them as a decision needs. */
export interface PrincipalSlice {
  readonly id: string;
  readonly tenantId: string;
  readonly region: string;
  readonly roles: readonly Role[];
  /** Team ids the user belongs to (agents, QA) or supervises (supervisors). */
  readonly teams: readonly string[];
  /** Investigation case ids assigned to the user. */
  readonly cases: readonly string[];
  /** Role-independent grants such as `detokenize`; absent means none. */
  readonly permissions?: readonly string[];
  /**
   * Regions whose personal data may be transferred to this user's region (a transfer mechanism is
   * recorded for region -> `region`); absent means none. Loaded by the reads that enforce it.
   */
  readonly transferFrom?: readonly string[];
}

/** The thing being acted on. `tenantId` of `AuditLog`/`System` names the tenant's log/config. */
export type ResourceSlice =
  | { readonly type: 'AuditLog'; readonly tenantId: string }
  | { readonly type: 'System'; readonly tenantId: string }
  | {
      readonly type: 'UserAccount';
      /** The account's user id (equal to `PrincipalSlice.id` for one's own account). */
      readonly id: string;
      readonly tenantId: string;
      readonly region: string;
      readonly teams: readonly string[];
    }
  | {
      readonly type: EmployeeDataType | AgentRecordType;
      readonly id: string;
      readonly tenantId: string;
      readonly region: string;
      readonly team: string;
      /** The agent the record is about. */
      readonly agentUserId: string;
    }
  | {
      readonly type: ContentType;
      readonly id: string;
      readonly tenantId: string;
      readonly region: string;
      readonly team: string;
      readonly cases: readonly string[];
    }
  | {
      readonly type: 'Case';
      readonly id: string;
      readonly tenantId: string;
      /** The case's assignee ('' when unassigned). */
      readonly assigneeUserId: string;
    }
  | { readonly type: 'Report'; readonly id: string; readonly tenantId: string; readonly cohortSize: number };

/** Request facts, checked on every call. */
export interface AuthzContext {
  /** Seconds since this session last passed MFA; `null` if it never has. */
  readonly mfaAgeSeconds: number | null;
  readonly sessionAgeSeconds: number;
  readonly devicePosture: DevicePosture;
  /** The caller asks for aggregated data only. */
  readonly aggregate: boolean;
  /** Stated purpose of access (recorded in the audit log); may be empty. */
  readonly purpose: string;
  /** Deployment allows supervisors to play their teams' recordings (default false). */
  readonly supervisorPlayback?: boolean;
}

export interface Decision {
  allowed: boolean;
  /** Ids of the policies that decided: the permits for an allow, the forbids for a forbidden deny,
   * none for a default deny. Sorted. */
  policyIds: string[];
  /** Request-validation or policy-evaluation errors; any error means `allowed: false`. */
  errors: string[];
}

export interface Authorizer {
  /** Never throws: anything unexpected becomes a deny with the reason in `errors`. */
  authorize(
    principal: PrincipalSlice,
    action: Action,
    resource: ResourceSlice,
    context: AuthzContext,
  ): Decision;
  readonly actions: readonly Action[];
  /** Ids of every loaded policy (the `@id` annotations), sorted. */
  readonly policyIds: readonly string[];
}

/** Stand-in for "never" in age fields: Cedar `Long` has no infinity. */
const NEVER_SECONDS = Number.MAX_SAFE_INTEGER;

interface LoadedPolicy {
  readonly id: string;
  readonly file: string;
  readonly text: string;
  /** Actions the policy's scope can match. */
  readonly actions: ReadonlySet<Action>;
}

/**
 * Loads and validates `<policyDir>/*.cedarschema` (exactly one) and every `<policyDir>/*.cedar`,
 * and returns the authorizer. Throws an `Error` naming the file on any parse or validation error,
 * on a policy without a unique `@id("...")`, or when the schema's actions differ from `ACTIONS`.
 * Create one per process (per worker thread): Cedar keeps the parsed set in thread-local memory
 * that is never freed.
 *
 * @example
 * const authz = createAuthorizer({ policyDir: DEFAULT_POLICY_DIR });
 * const d = authz.authorize(user, 'config.write', { type: 'System', tenantId: user.tenantId }, ctx);
 * if (!d.allowed) throw forbidden(d.policyIds);
 */
export function createAuthorizer({ policyDir }: { policyDir: string }): Authorizer {
  const { schemaText } = loadSchema(policyDir);
  const policies = loadPolicies(policyDir, schemaText);
  const policyIds = policies.map((p) => p.id).sort();

  const instance = randomUUID();
  const schemaName = `bulwark-schema-${instance}`;
  must(preparseSchema(schemaName, schemaText), `preparse schema in ${policyDir}`);

  // One small preparsed set per action: Cedar clones the set on every call, so the cost grows
  // with its size. A policy whose action scope excludes an action can never decide it, so the
  // split changes no decision.
  const setIdByAction = new Map<string, string>();
  for (const action of ACTIONS) {
    const staticPolicies: Record<string, string> = {};
    for (const p of policies) if (p.actions.has(action)) staticPolicies[p.id] = p.text;
    const setId = `bulwark-${instance}-${action}`;
    must(preparsePolicySet(setId, { staticPolicies }), `preparse policies for ${action}`);
    setIdByAction.set(action, setId);
  }

  return {
    actions: ACTIONS,
    policyIds,
    authorize(principal, action, resource, context) {
      try {
        const setId = setIdByAction.get(action);
        if (setId === undefined) return deny([`unknown action ${JSON.stringify(action)}`]);
        // An empty id or tenant would match another empty one in "self" and tenant checks.
        if (!principal.id || !principal.tenantId) return deny(['principal id and tenantId are required']);
        const answer = statefulIsAuthorized({
          principal: { type: USER_TYPE, id: principal.id },
          action: { type: ACTION_TYPE, id: action },
          resource: { type: `${NAMESPACE}::${resource.type}`, id: resourceId(resource) },
          context: toCedarContext(context),
          entities: [toUserEntity(principal, resource), toResourceEntity(resource)],
          preparsedPolicySetId: setId,
          preparsedSchemaName: schemaName,
          validateRequest: true,
        });
        return toDecision(answer);
      } catch (err) {
        return deny([`authorization failed: ${err instanceof Error ? err.message : String(err)}`]);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Marshalling (hot path: keep it to two entities of plain strings; see research/identity.md §1.2)

const NO_STRINGS: readonly string[] = [];

function resourceId(r: ResourceSlice): string {
  return r.type === 'AuditLog' || r.type === 'System' ? r.tenantId : r.id;
}

/** Teams and case ids the resource carries: the only ones of the principal a policy may compare. */
function resourceTeams(r: ResourceSlice): readonly string[] {
  switch (r.type) {
    case 'UserAccount':
      return r.teams;
    case 'Schedule':
    case 'Adherence':
    case 'Absence':
    case 'Performance':
    case 'AgentRecord':
    case 'Recording':
    case 'Transcript':
      return [r.team];
    default:
      return NO_STRINGS;
  }
}

/** The residency region a resource carries: the only one of `transferFrom` a policy may compare. */
function resourceRegions(r: ResourceSlice): readonly string[] {
  return 'region' in r ? [r.region] : NO_STRINGS;
}

function intersect(mine: readonly string[], theirs: readonly string[]): string[] {
  if (mine.length === 0 || theirs.length === 0) return [];
  const set = new Set(theirs);
  return mine.filter((x) => set.has(x));
}

/**
 * The principal entity. `teams` and `cases` are narrowed to those the resource carries, so a
 * supervisor of 200 teams costs the same as one of 2; policies therefore may only test them
 * against the resource (`contains(resource.team)`, `containsAny(resource.cases)`).
 */
function toUserEntity(p: PrincipalSlice, r: ResourceSlice): EntityJson {
  return {
    uid: { type: USER_TYPE, id: p.id },
    attrs: {
      userId: p.id,
      tenant: p.tenantId,
      region: p.region,
      roles: [...p.roles],
      teams: intersect(p.teams, resourceTeams(r)),
      cases: r.type === 'Recording' || r.type === 'Transcript' ? intersect(p.cases, r.cases) : [],
      permissions: [...(p.permissions ?? NO_STRINGS)],
      transferFrom: intersect(p.transferFrom ?? NO_STRINGS, resourceRegions(r)),
    },
    parents: [],
  };
}

function toResourceEntity(r: ResourceSlice): EntityJson {
  let attrs: Record<string, CedarValueJson>;
  switch (r.type) {
    case 'AuditLog':
    case 'System':
      attrs = { tenant: r.tenantId };
      break;
    case 'UserAccount':
      attrs = { userId: r.id, tenant: r.tenantId, region: r.region, teams: [...r.teams] };
      break;
    case 'Schedule':
    case 'Adherence':
    case 'Absence':
    case 'Performance':
    case 'AgentRecord':
      attrs = { tenant: r.tenantId, region: r.region, team: r.team, agentUserId: r.agentUserId };
      break;
    case 'Recording':
    case 'Transcript':
      attrs = { tenant: r.tenantId, region: r.region, team: r.team, cases: [...r.cases] };
      break;
    case 'Case':
      attrs = { tenant: r.tenantId, assigneeUserId: r.assigneeUserId };
      break;
    case 'Report':
      attrs = { tenant: r.tenantId, cohortSize: r.cohortSize };
      break;
  }
  return { uid: { type: `${NAMESPACE}::${r.type}`, id: resourceId(r) }, attrs, parents: [] };
}

/** Ages round up (stricter) to whole seconds; null or non-finite means "never". */
function ageSeconds(v: number | null): number {
  return v !== null && Number.isFinite(v) ? Math.ceil(v) : NEVER_SECONDS;
}

function toCedarContext(c: AuthzContext): Record<string, CedarValueJson> {
  return {
    mfaAgeSeconds: ageSeconds(c.mfaAgeSeconds),
    sessionAgeSeconds: ageSeconds(c.sessionAgeSeconds),
    devicePosture: c.devicePosture,
    aggregate: c.aggregate,
    purpose: c.purpose,
    supervisorPlayback: c.supervisorPlayback === true,
  };
}

function deny(errors: string[]): Decision {
  return { allowed: false, policyIds: [], errors };
}

function toDecision(answer: AuthorizationAnswer): Decision {
  if (answer.type === 'failure') return deny(answer.errors.map(describe));
  const { decision, diagnostics } = answer.response;
  const errors = diagnostics.errors.map((e) => `${e.policyId}: ${describe(e.error)}`).sort();
  // Cedar skips a policy whose evaluation errors; if that policy was a forbid, its "allow" is not
  // one to trust. Fail closed.
  const allowed = decision === 'allow' && errors.length === 0;
  const policyIds = decision === 'allow' && !allowed ? [] : [...diagnostics.reason].sort();
  return { allowed, policyIds, errors };
}

function describe(e: DetailedError): string {
  return e.help ? `${e.message} (${e.help})` : e.message;
}

// ---------------------------------------------------------------------------------------------
// Loading (start-up only: fail loudly, naming the file)

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw new Error(`cannot read policy directory ${dir}: ${err instanceof Error ? err.message : err}`);
  }
}

function loadSchema(policyDir: string): { schemaText: string } {
  const files = listDir(policyDir).filter((f) => f.endsWith('.cedarschema'));
  if (files.length !== 1) {
    throw new Error(`expected exactly one .cedarschema file in ${policyDir}, found ${files.length}`);
  }
  const path = join(policyDir, files[0]!);
  const schemaText = readFileSync(path, 'utf8');
  const parsed = checkParseSchema(schemaText);
  if (parsed.type === 'failure') throw new Error(formatErrors(path, schemaText, parsed.errors));
  const json = schemaToJson(schemaText);
  if (json.type === 'failure') throw new Error(formatErrors(path, schemaText, json.errors));
  const ns = json.json[NAMESPACE];
  if (!ns) throw new Error(`${path}: namespace ${NAMESPACE} is missing`);
  expectSameSet(path, 'actions', Object.keys(ns.actions), ACTIONS);
  expectSameSet(path, 'entity types', Object.keys(ns.entityTypes), ['User', ...RESOURCE_TYPES]);
  return { schemaText };
}

function expectSameSet(path: string, what: string, actual: string[], expected: readonly string[]): void {
  const missing = expected.filter((x) => !actual.includes(x));
  const extra = actual.filter((x) => !expected.includes(x));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${path}: ${what} differ from authorizer.ts (missing: ${missing.join(', ') || 'none'}; ` +
        `not in authorizer.ts: ${extra.join(', ') || 'none'})`,
    );
  }
}

function loadPolicies(policyDir: string, schemaText: string): LoadedPolicy[] {
  const files = listDir(policyDir).filter((f) => f.endsWith('.cedar'));
  if (files.length === 0) throw new Error(`no .cedar policy files in ${policyDir}`);
  const byId = new Map<string, LoadedPolicy>();
  for (const file of files) {
    const path = join(policyDir, file);
    const text = readFileSync(path, 'utf8');
    const result = validate({ schema: schemaText, policies: { staticPolicies: text } });
    if (result.type === 'failure') throw new Error(formatErrors(path, text, result.errors));
    const problems = [...result.validationErrors, ...result.validationWarnings].map((v) => v.error);
    if (problems.length > 0) throw new Error(formatErrors(path, text, problems));

    const parts = policySetTextToParts(text);
    if (parts.type === 'failure') throw new Error(formatErrors(path, text, parts.errors));
    if (parts.policy_templates.length > 0) throw new Error(`${path}: policy templates are not supported`);
    for (const policyText of parts.policies) {
      const json = policyToJson(policyText);
      if (json.type === 'failure') throw new Error(formatErrors(path, text, json.errors));
      const id = json.json.annotations?.id;
      const head = policyText.trim().split('\n')[0];
      if (!id) throw new Error(`${path}: every policy needs an @id("...") annotation; missing on: ${head}`);
      const seen = byId.get(id);
      if (seen) throw new Error(`${path}: duplicate policy id "${id}" (also in ${seen.file})`);
      byId.set(id, { id, file: path, text: policyText, actions: actionsInScope(json.json) });
    }
  }
  return [...byId.values()];
}

/** The actions a policy's scope can match; a reference to anything but a known action means "all". */
function actionsInScope(policy: PolicyJson): ReadonlySet<Action> {
  const scope = policy.action;
  if (scope.op === 'All') return new Set(ACTIONS);
  const refs = 'entities' in scope ? scope.entities : 'entity' in scope ? [scope.entity] : [];
  const found = new Set<Action>();
  for (const ref of refs) {
    const uid = '__entity' in ref ? ref.__entity : ref;
    const action = ACTIONS.find((a) => a === uid.id);
    if (uid.type !== ACTION_TYPE || action === undefined) return new Set(ACTIONS);
    found.add(action);
  }
  return found;
}

function formatErrors(path: string, text: string, errors: readonly DetailedError[]): string {
  const lines = errors.map((e) => {
    const at = e.sourceLocations?.[0];
    return `${path}${at ? `:${lineCol(text, at.start)}` : ''}: ${describe(e)}`;
  });
  return `invalid Cedar ${path.endsWith('.cedarschema') ? 'schema' : 'policy'} ${path}\n${lines.join('\n')}`;
}

/** Cedar reports byte offsets; turn one into `line:column` (1-based). */
function lineCol(text: string, byteOffset: number): string {
  const before = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

function must(
  answer: { type: 'success' } | { type: 'failure'; errors: DetailedError[] },
  what: string,
): void {
  if (answer.type === 'failure') throw new Error(`${what}: ${answer.errors.map(describe).join('; ')}`);
}
