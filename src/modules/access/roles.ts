/**
 * The roles a Bulwark user can hold. These exact strings appear in `principal.roles`
 * inside the Cedar policies (`policies/*.cedar`); renaming one means changing both.
 *
 * @example
 * const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);
 */
export const ROLES = [
  'agent',
  'supervisor',
  'wfm_analyst',
  'wfm_manager',
  'it_admin',
  'executive',
  'qa_analyst',
  'compliance_officer',
  'security_analyst',
] as const;

export type Role = (typeof ROLES)[number];

/** Narrows an arbitrary string (from the database or a token) to a known role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
