import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, isAppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';
import { ff1Encrypt, ff1PanToken, randomPanToken, TokenFormatError, tenantTweak } from './token-formats.ts';

/** Types that must never be stored, even encrypted, after authorization (PCI DSS 3.3.1). */
export const NEVER_TOKENIZED = ['CVV', 'PIN'] as const;

export type TokenMode = 'random' | 'ff1';

export type TokenizeInput = {
  value: string;
  type: string;
  mode?: TokenMode | undefined;
  /** Same tenant + same value gives the same token (FF1 tokens always are). */
  deterministic?: boolean | undefined;
  ttlSeconds?: number | undefined;
  metadata?: Record<string, string> | undefined;
};

export type TokenizeResult = { token: string; expiresAt: string | null };
export type DetokenizeResult = { value: string; type: string };

type Deps = {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'derivedKey' | 'encryptField' | 'decryptField'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
};

const FF1_KEY = 'token-vault/ff1';
const FINGERPRINT_KEY = 'token-vault/fingerprint';
const MAX_COLLISION_RETRIES = 8;

/** Card numbers are compared without the spaces and dashes people type or say between groups. */
function normalise(type: string, value: string): string {
  const v = value.normalize('NFKC').trim();
  return type === 'PAN' ? v.replace(/[\s-]/g, '') : v;
}

const aadFor = (tenantId: string, token: string) => `token_vault:value_enc:${tenantId}:${token}`;

const invalid = (pointer: string, message: string) =>
  new AppError('VALIDATION_FAILED', message, { details: { errors: [{ pointer, message }] } });

/**
 * The token vault: swaps sensitive values for tokens and back. The value is stored only as
 * AES-256-GCM ciphertext under a per-tenant key; every create and every detokenization is
 * audited in the same transaction as the vault write or read, and nothing is revealed unless
 * its audit event committed (fail closed).
 *
 * @example
 * const { token } = await tokens.tokenize(actor, { value: pan, type: 'PAN', deterministic: true });
 * const { value } = await tokens.detokenize(actor, { token, purpose: 'chargeback 4411' });
 */
export function createTokensService({ db, keyring, audit, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });
  const fingerprint = (tenantId: string, type: string, normalised: string) =>
    createHmac('sha256', keyring.derivedKey(tenantId, FINGERPRINT_KEY))
      .update(`${type}\n${normalised}`)
      .digest('hex');

  function makeToken(tenantId: string, mode: TokenMode, type: string, normalised: string): string {
    if (mode === 'ff1') {
      const key = keyring.derivedKey(tenantId, FF1_KEY);
      const tweak = tenantTweak(tenantId);
      if (type === 'PAN') return ff1PanToken(key, tweak, normalised);
      if (!/^\d+$/.test(normalised))
        throw new TokenFormatError('FF1 tokens need a value of decimal digits only; use mode "random"');
      return ff1Encrypt(key, tweak, normalised);
    }
    if (type === 'PAN') return randomPanToken(normalised);
    return `tok_${randomBytes(18).toString('base64url')}`;
  }

  async function tokenize(actor: Actor, input: TokenizeInput): Promise<TokenizeResult> {
    const type = input.type;
    if ((NEVER_TOKENIZED as readonly string[]).includes(type))
      throw invalid(
        '/type',
        `${type} can never be tokenized or stored after authorization (PCI DSS 3.3.1); discard it instead`,
      );
    const mode = input.mode ?? 'random';
    const normalised = normalise(type, input.value);
    if (normalised.length === 0) throw invalid('/value', 'value is empty');
    if (type === 'PAN' && !/^\d{12,19}$/.test(normalised))
      throw invalid('/value', 'a PAN must be 12 to 19 digits (spaces and dashes are ignored)');
    // FF1 is deterministic by construction, so its rows are always found by fingerprint.
    const deterministic = mode === 'ff1' || input.deterministic === true;
    const now = clock.now();
    const expiresAt =
      input.ttlSeconds === undefined ? null : new Date(now.getTime() + input.ttlSeconds * 1000);
    const fp = deterministic ? fingerprint(actor.tenantId, type, normalised) : null;

    let candidate: string;
    try {
      candidate = makeToken(actor.tenantId, mode, type, normalised);
    } catch (e) {
      if (e instanceof TokenFormatError) throw invalid('/value', e.message);
      throw e;
    }

    return db.transaction().execute(async (trx) => {
      if (fp !== null) {
        const existing = await trx
          .selectFrom('token_vault')
          .select(['id', 'token', 'kind', 'expires_at'])
          .where('tenant_id', '=', actor.tenantId)
          .where('fingerprint', '=', fp)
          .where('entity_type', '=', type)
          .where('kind', '=', mode)
          .forUpdate()
          .executeTakeFirst();
        if (existing && (existing.expires_at === null || existing.expires_at > now)) {
          await appendCreate(trx, actor, existing.id, { mode, type, deterministic, reused: true });
          return { token: existing.token, expiresAt: existing.expires_at?.toISOString() ?? null };
        }
        // An expired deterministic token is replaced; FF1 gives the same token again.
        if (existing) await trx.deleteFrom('token_vault').where('id', '=', existing.id).execute();
      }
      const token = await freeToken(trx, actor.tenantId, candidate, () =>
        makeToken(actor.tenantId, mode, type, normalised),
      );
      const id = newId();
      const inserted = await trx
        .insertInto('token_vault')
        .values({
          id,
          tenant_id: actor.tenantId,
          token,
          kind: mode,
          entity_type: type,
          value_enc: keyring.encryptField(actor.tenantId, input.value, aadFor(actor.tenantId, token)),
          fingerprint: fp,
          metadata: JSON.stringify(input.metadata ?? {}),
          expires_at: expiresAt,
          created_at: now,
          created_by: actor.userId,
        })
        // A concurrent first tokenization of the same value may have won the race (PostgreSQL):
        // this insert becomes a no-op and the winner's row is used instead. No conflict target: an
        // FF1 token is the same string for the same value, so the race can trip the (tenant, token)
        // index before the fingerprint index, and either must end the same way.
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        const winner =
          fp === null
            ? undefined
            : await trx
                .selectFrom('token_vault')
                .select(['id', 'token', 'expires_at'])
                .where('tenant_id', '=', actor.tenantId)
                .where('fingerprint', '=', fp)
                .where('entity_type', '=', type)
                .where('kind', '=', mode)
                .executeTakeFirst();
        // No winner by fingerprint: a random token taken between the check and the insert (rare).
        if (!winner) throw new AppError('CONFLICT', 'Could not allocate a free token; try again.');
        await appendCreate(trx, actor, winner.id, { mode, type, deterministic, reused: true });
        return { token: winner.token, expiresAt: winner.expires_at?.toISOString() ?? null };
      }
      await appendCreate(trx, actor, id, { mode, type, deterministic, reused: false });
      return { token, expiresAt: expiresAt?.toISOString() ?? null };
    });
  }

  /** A random token that is not yet in use in the tenant (collisions are rare but possible). */
  async function freeToken(
    trx: Transaction<Database>,
    tenantId: string,
    first: string,
    next: () => string,
  ): Promise<string> {
    let token = first;
    for (let i = 0; i < MAX_COLLISION_RETRIES; i++) {
      const taken = await trx
        .selectFrom('token_vault')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('token', '=', token)
        .executeTakeFirst();
      if (!taken) return token;
      token = next();
    }
    throw new AppError('CONFLICT', 'Could not allocate a free token; try again.');
  }

  function appendCreate(
    trx: Transaction<Database>,
    actor: Actor,
    id: string,
    facts: { mode: TokenMode; type: string; deterministic: boolean; reused: boolean },
  ) {
    // Ids and facts only: never the value, and not the token (it keeps the last four digits).
    return audit.append(trx, {
      tenantId: actor.tenantId,
      action: 'token.create',
      outcome: 'success',
      actor: auditActor(actor),
      resource: { type: 'Token', id },
      requestId: actor.requestId,
      details: {
        kind: facts.mode,
        entityType: facts.type,
        deterministic: facts.deterministic,
        reused: facts.reused,
        channel: actor.channel,
      },
    });
  }

  async function detokenize(
    actor: Actor,
    input: { token: string; purpose: string },
  ): Promise<DetokenizeResult> {
    const now = clock.now();
    let outcome: DetokenizeResult | 'not_found' | 'expired';
    try {
      outcome = await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('token_vault')
          .select(['id', 'entity_type', 'value_enc', 'expires_at'])
          .where('tenant_id', '=', actor.tenantId)
          .where('token', '=', input.token)
          .executeTakeFirst();
        const missing = !row
          ? 'not_found'
          : row.expires_at !== null && row.expires_at <= now
            ? 'expired'
            : null;
        await audit.append(trx, {
          tenantId: actor.tenantId,
          action: 'token.detokenize',
          outcome: missing ? 'failure' : 'success',
          actor: auditActor(actor),
          resource: { type: 'Token', id: row?.id ?? null },
          reason: missing,
          purpose: input.purpose,
          requestId: actor.requestId,
          details: { entityType: row?.entity_type ?? null, channel: actor.channel },
        });
        if (!row || missing) return missing ?? 'not_found';
        const value = keyring.decryptField(
          actor.tenantId,
          row.value_enc,
          aadFor(actor.tenantId, input.token),
        );
        return { value, type: row.entity_type };
      });
    } catch (e) {
      if (isAppError(e)) throw e;
      // Fail closed: the read could not be recorded (or decrypted), so nothing is revealed.
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The detokenization could not be completed and recorded, so no value was revealed.',
        {
          cause: e,
        },
      );
    }
    if (outcome === 'not_found' || outcome === 'expired')
      throw new AppError('NOT_FOUND', 'No such token in this tenant, or it has expired.');
    return outcome;
  }

  return { tokenize, detokenize };
}

export type TokensService = ReturnType<typeof createTokensService>;
