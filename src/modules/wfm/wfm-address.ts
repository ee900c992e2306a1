/**
 * Purpose-bound home-address read (issue 6): home addresses are shown to nobody by default. A WFM
 * manager who states a purpose may read one agent's address; the decision is Cedar's
 * (`wfm.address.read` on the agent's record as an `AgentRecord`, with the reader's transfer
 * mechanisms so another region's address needs one, ADR 0015), and every request, allowed or
 * refused, is audited with the purpose and the agent id, never the address. The address is
 * decrypted only after the allow has been recorded: if the audit append fails, nothing is read.
 *
 * The ciphertext is the one the WFM import wrote (tenant field key, AAD `homeAddressAad`).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { Authorizer, AuthzContext, PrincipalSlice, ResourceSlice } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TransfersService } from '../transfers/transfers.service.ts';
import type { Actor } from '../users/users.service.ts';
import { homeAddressAad } from './wfm.service.ts';
import { formerKeyDigest } from './wfm-retention.ts';

type Deps = {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'decryptField' | 'derivedKey'>;
  authorizer: Pick<Authorizer, 'authorize'>;
  audit: Pick<AuditService, 'appendNow'>;
  transfers: Pick<TransfersService, 'sourcesFor'>;
};

export type HomeAddressView = { agentId: string; homeAddress: string };

/**
 * @example
 * const addresses = createHomeAddressService({ db, keyring, authorizer, audit, transfers });
 * await addresses.read(principal, actor, 'AGT-1', 'payroll correction', context);
 */
export function createHomeAddressService({ db, keyring, authorizer, audit, transfers }: Deps) {
  /**
   * Decides, audits and (when allowed) decrypts. `context` carries the session facts; its purpose
   * is replaced by `purpose`. Throws FORBIDDEN / TRANSFER_NOT_PERMITTED (audited deny), NOT_FOUND
   * for an unknown agent or one without an address, GONE for a pseudonymised leaver, and
   * SERVICE_UNAVAILABLE when the audit log cannot record the request.
   */
  async function read(
    principal: PrincipalSlice,
    actor: Actor,
    agentId: string,
    purpose: string,
    context: AuthzContext,
  ): Promise<HomeAddressView> {
    const tenantId = principal.tenantId;
    const agent = await db
      .selectFrom('wfm_agents')
      .select(['id', 'agent_id', 'user_id', 'team_id', 'region', 'home_address_enc', 'pseudonymised_at'])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    // A former id of a pseudonymised leaver is known only as a keyed digest.
    const former = agent
      ? null
      : await db
          .selectFrom('wfm_agents')
          .select(['id', 'team_id', 'region'])
          .where('tenant_id', '=', tenantId)
          .where('former_key_digest', '=', formerKeyDigest(keyring, tenantId, agentId))
          .executeTakeFirst();
    const sources = await transfers.sourcesFor(tenantId, principal.region);
    const p: PrincipalSlice = { ...principal, transferFrom: sources.map((s) => s.from) };
    // An unknown agent is decided as a record of the reader's own region and no team, so a role that
    // may never read addresses is refused (and audited) the same way whether or not the agent exists.
    const resource: ResourceSlice = {
      type: 'AgentRecord',
      id: agent?.id ?? former?.id ?? 'unknown',
      tenantId,
      region: agent?.region ?? former?.region ?? principal.region,
      team: agent?.team_id ?? former?.team_id ?? '',
      agentUserId: agent?.user_id ?? '',
    };
    const decision = authorizer.authorize(p, 'wfm.address.read', resource, { ...context, purpose });
    const crossBorder = decision.policyIds.includes('cross-border-transfer-needs-mechanism');
    const source = sources.find((s) => s.from === resource.region);
    try {
      await audit.appendNow({
        tenantId,
        action: 'wfm.address.read',
        outcome: decision.allowed ? 'allow' : 'deny',
        actor: { userId: actor.userId, roles: actor.roles, sessionId: actor.sessionId, ip: actor.ip },
        resource: { type: 'AgentRecord', id: agent?.id ?? former?.id ?? null },
        policyIds: decision.policyIds,
        purpose: purpose || null,
        requestId: actor.requestId,
        reason: crossBorder
          ? 'no_transfer_mechanism'
          : decision.errors.length > 0
            ? 'invalid_request'
            : !decision.allowed && purpose === ''
              ? 'no_purpose'
              : null,
        details: {
          agent_id: agent ? agent.agent_id : former ? 'pseudonymised' : agentId,
          found: agent !== undefined,
          channel: actor.channel,
          ...(resource.region !== principal.region
            ? { from: resource.region, to: principal.region, mechanism: source?.mechanism ?? null }
            : {}),
        },
      });
    } catch {
      // Fail closed: a read we cannot record is a read we do not make.
      throw new AppError('SERVICE_UNAVAILABLE', 'The audit log is unavailable, so the request was refused.');
    }
    if (!decision.allowed) {
      if (crossBorder)
        throw new AppError(
          'TRANSFER_NOT_PERMITTED',
          `this agent's data resides in region ${resource.region}; no transfer mechanism to ${principal.region} is recorded (bulwark transfers allow)`,
          { details: { from: [resource.region], to: principal.region } },
        );
      if (purpose === '' && principal.roles.includes('wfm_manager'))
        throw new AppError(
          'FORBIDDEN',
          'State a purpose: a home address is shown only for a recorded reason.',
        );
      throw new AppError('FORBIDDEN', 'You are not allowed to read home addresses.');
    }
    if (!agent) {
      if (former)
        throw new AppError('GONE', 'This agent left and was pseudonymised: their home address was erased.');
      throw new AppError('NOT_FOUND', 'No WFM agent has this agent id.');
    }
    if (agent.pseudonymised_at || agent.home_address_enc === null)
      throw agent.pseudonymised_at
        ? new AppError('GONE', 'This agent left and was pseudonymised: their home address was erased.')
        : new AppError('NOT_FOUND', 'No home address is recorded for this agent.');
    return {
      agentId: agent.agent_id,
      homeAddress: keyring.decryptField(
        tenantId,
        agent.home_address_enc,
        homeAddressAad(tenantId, agent.agent_id),
      ),
    };
  }

  return { read };
}

export type HomeAddressService = ReturnType<typeof createHomeAddressService>;
