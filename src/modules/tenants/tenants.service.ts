import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditService } from '../audit/audit.service.ts';

export const DEFAULT_TENANT_SLUG = 'default';
export type Tenant = { id: string; slug: string; name: string };

/**
 * Tenants: a client program of an outsourcer, or the one organisation of an in-house center.
 * Single-tenant installs use the `default` tenant, created on first start.
 */
export function createTenantsService({
  db,
  audit,
}: {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append'>;
}) {
  async function ensureDefault(): Promise<Tenant> {
    await db
      .insertInto('tenants')
      .values({ id: newId(), slug: DEFAULT_TENANT_SLUG, name: 'Default organisation' })
      .onConflict((oc) => oc.column('slug').doNothing())
      .execute();
    return db
      .selectFrom('tenants')
      .select(['id', 'slug', 'name'])
      .where('slug', '=', DEFAULT_TENANT_SLUG)
      .executeTakeFirstOrThrow();
  }

  const findBySlug = (slug: string): Promise<Tenant | undefined> =>
    db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();

  async function requireBySlug(slug: string): Promise<Tenant> {
    const t = await findBySlug(slug);
    if (!t) throw new AppError('NOT_FOUND', `no tenant named "${slug}"`);
    return t;
  }

  async function create(slug: string, name: string): Promise<Tenant> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug))
      throw new AppError('VALIDATION_FAILED', 'tenant slug must be lower-case letters, digits and dashes');
    if (await findBySlug(slug)) throw new AppError('CONFLICT', `tenant "${slug}" already exists`);
    const tenant = { id: newId(), slug, name };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('tenants').values(tenant).execute();
      await audit.append(trx, {
        tenantId: tenant.id,
        action: 'tenant.create',
        outcome: 'success',
        actor: { userId: null },
        resource: { type: 'Tenant', id: tenant.id },
        details: { slug },
      });
    });
    return tenant;
  }

  const list = (): Promise<Tenant[]> =>
    db.selectFrom('tenants').select(['id', 'slug', 'name']).orderBy('slug').execute();

  return { ensureDefault, findBySlug, requireBySlug, create, list };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
