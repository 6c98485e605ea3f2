/**
 * The roles an account can have. The database stores a role as text (db/ knows nothing of services/);
 * this module is where a stored string becomes a Role, and where the list of roles is kept.
 */
export const ROLES = ['admin', 'staff', 'operator', 'platform', 'auditor'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A role read back from the database; a value outside the list means the database was changed by hand. */
export function storedRole(value: string): Role {
  if (!isRole(value)) throw new Error(`The stored role '${value}' is not one of ${ROLES.join(', ')}: the users table was changed outside staydown.`);
  return value;
}
