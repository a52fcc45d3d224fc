// Settings: one section per URL (/settings/<section>), so each is a link.
import { Link } from "../components/link";
import { Empty, Loading } from "../components/states";
import { PrincipalKind } from "../gen/runwatch/v1/auth_pb";
import { isAdmin, useMe } from "../me";
import type { Location } from "../router";
import { APITokens, ChangePassword, Users } from "./settings-access";
import { AuditLog, Licence } from "./settings-licence";
import { Integrations } from "./settings-integrations";
import { RegistrationTokens } from "./settings-tokens";

interface Section {
  key: string;
  label: string;
  adminOnly?: boolean;
}

const SECTIONS: Section[] = [
  { key: "", label: "Registration tokens", adminOnly: true },
  { key: "api-tokens", label: "API tokens" },
  { key: "users", label: "Users", adminOnly: true },
  { key: "licence", label: "Licence" },
  { key: "audit", label: "Audit log", adminOnly: true },
  { key: "integrations", label: "Integrations", adminOnly: true },
  { key: "account", label: "My account" },
];

export function Settings({ loc, section }: { loc: Location; section: string }) {
  const me = useMe();
  if (me.state === "loading") return <Loading label="Loading settings" rows={3} />;
  const admin = isAdmin(me);
  const visible = SECTIONS.filter((s) => admin || !s.adminOnly);
  // A viewer's /settings opens on their API tokens.
  const current = SECTIONS.find((s) => s.key === section) ?? null;
  const shown = current && (admin || !current.adminOnly) ? current : !section && !admin ? SECTIONS[1] : current;
  return (
    <>
      <header class="page-head">
        <h1>Settings</h1>
      </header>
      <div class="settings">
        <nav aria-label="Settings sections" class="subnav">
          {visible.map((s) => (
            <Link key={s.key} href={s.key ? `/settings/${s.key}` : "/settings"} aria-current={shown?.key === s.key ? "page" : undefined}>
              {s.label}
            </Link>
          ))}
        </nav>
        <div class="settings-body">
          {!shown && <Empty title="There is no such settings section" />}
          {shown && shown.adminOnly && !admin && <Empty title="This section is for administrators" />}
          {shown?.key === "" && admin && <RegistrationTokens />}
          {shown?.key === "api-tokens" && <APITokens />}
          {shown?.key === "users" && admin && <Users />}
          {shown?.key === "licence" && <Licence />}
          {shown?.key === "audit" && admin && <AuditLog loc={loc} />}
          {shown?.key === "integrations" && admin && <Integrations />}
          {shown?.key === "account" &&
            (me.kind === PrincipalKind.USER ? (
              <ChangePassword />
            ) : (
              <Empty title={`Signed in with ${me.name || "a token"}`}>Passwords belong to people who sign in with a username.</Empty>
            ))}
        </div>
      </div>
    </>
  );
}
