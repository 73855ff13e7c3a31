// Fleet Premium's JIT provisioning as a pure rule: the roles a first SSO login gets from FLEET_JIT_USER_ROLE_* attributes, and what Fleet refuses.
export const JIT_GLOBAL_ATTRIBUTE = 'FLEET_JIT_USER_ROLE_GLOBAL';
/** FLEET_JIT_USER_ROLE_TEAM_<id> and (Fleet ≥ 4.83) FLEET_JIT_USER_ROLE_FLEET_<id> */
export const JIT_TEAM_ATTRIBUTE = /^FLEET_JIT_USER_ROLE_(?:TEAM|FLEET)_(\d+)$/;
/** the role values Fleet's JIT accepts; "null" means no role from this attribute. gitops is API-only: refused. */
export const JIT_ROLES = new Set(['admin', 'maintainer', 'observer', 'observer_plus', 'technician']);
const DISPLAY_NAME_ATTRIBUTES = ['name', 'displayname', 'cn', 'urn:oid:2.5.4.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'];

export type JitRoles =
  | { ok: true; globalRole: string | null; teams: { id: number; role: string }[]; name: string | null; fromAttributes: boolean }
  | { ok: false; reason: 'jit_role_invalid' | 'jit_role_conflict'; detail: string };

/** Reads the JIT attributes of a valid assertion as Fleet does; no role attributes at all → global observer (Fleet's default). */
export function jitRoles(attributes: Record<string, string[]>): JitRoles {
  let globalRole: string | null = null;
  const teams: { id: number; role: string }[] = [];
  let any = false;
  for (const [name, values] of Object.entries(attributes)) {
    const team = JIT_TEAM_ATTRIBUTE.exec(name);
    if (name !== JIT_GLOBAL_ATTRIBUTE && !team) continue;
    const v = (values[0] ?? '').trim();
    if (v === 'null' || v === '') continue;
    if (!JIT_ROLES.has(v)) return { ok: false, reason: 'jit_role_invalid', detail: `${name} = "${v.slice(0, 40)}" is not a role Fleet's JIT provisioning accepts` };
    any = true;
    if (team) {
      const id = Number(team[1]);
      if (!teams.some((x) => x.id === id)) teams.push({ id, role: v });
    } else globalRole = v;
  }
  if (globalRole && teams.length > 0) return { ok: false, reason: 'jit_role_conflict', detail: 'a global role and team roles were sent together' };
  const name = DISPLAY_NAME_ATTRIBUTES.map((n) => attributes[n]?.[0]).find((v) => v && v.trim()) ?? null;
  if (!any) return { ok: true, globalRole: 'observer', teams: [], name, fromAttributes: false };
  return { ok: true, globalRole, teams, name, fromAttributes: true };
}
