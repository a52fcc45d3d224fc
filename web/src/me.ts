// Who is signed in, and what they may do, as the platform says
// (AuthService.GetSession). Pages use it to offer only what the caller may
// do; the platform checks every call regardless.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { type GetSessionResponse, PrincipalKind, Role } from "./gen/runwatch/v1/auth_pb";

export interface Me {
  // "known" once GetSession answered. "unknown" (it failed: an older
  // platform) counts as allowed, and the platform's refusal is shown where
  // it happens; while "loading", pages that differ by role wait.
  state: "loading" | "known" | "unknown";
  known: boolean;
  name: string;
  role: Role;
  kind: PrincipalKind;
}

export const unknownMe: Me = { state: "unknown", known: false, name: "", role: Role.UNSPECIFIED, kind: PrincipalKind.UNSPECIFIED };
export const loadingMe: Me = { ...unknownMe, state: "loading" };

export function meFrom(s: GetSessionResponse): Me {
  const name =
    s.user?.username ||
    (s.kind === PrincipalKind.ADMIN_TOKEN ? "admin token" : s.kind === PrincipalKind.API_TOKEN ? "API token" : "signed in");
  return { state: "known", known: true, name, role: s.role, kind: s.kind };
}

export const MeContext = createContext<Me>(unknownMe);

export function useMe(): Me {
  return useContext(MeContext);
}

export function isAdmin(me: Me): boolean {
  return !me.known || me.role === Role.ADMIN;
}
