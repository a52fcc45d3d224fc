// How enrichment shows: trust, risks, severities, applicability and the
// vulnerability funnel.
import type { Funnel as FunnelMsg, ImageEnrichment, Risk } from "../gen/runwatch/v1/enrichment_pb";
import { Applicability, EnrichmentStatus, RiskKind, Severity, Trust } from "../gen/runwatch/v1/enrichment_pb";
import { num } from "../format";
import { Badge } from "./badges";
import { Funnel } from "./charts";

export const RISK_LABELS: Record<RiskKind, string> = {
  [RiskKind.UNSPECIFIED]: "risk",
  [RiskKind.UNTRUSTED_IMAGE]: "untrusted image",
  [RiskKind.INTEGRITY_VIOLATION]: "integrity violation",
  [RiskKind.CRITICAL_APPLICABLE_CVE]: "critical applicable CVE",
  [RiskKind.MALICIOUS_PACKAGE]: "malicious package",
  [RiskKind.DRIFT]: "drift",
};

// The risk kinds in the order a person triages them.
export const RISK_ORDER = [
  RiskKind.MALICIOUS_PACKAGE,
  RiskKind.CRITICAL_APPLICABLE_CVE,
  RiskKind.INTEGRITY_VIOLATION,
  RiskKind.UNTRUSTED_IMAGE,
  RiskKind.DRIFT,
];

export function TrustBadge({ trust, status, reason }: { trust: Trust; status?: EnrichmentStatus; reason?: string }) {
  if (status === EnrichmentStatus.PENDING && trust === Trust.UNSPECIFIED) return <Badge tone="muted" title="Being checked">checking…</Badge>;
  switch (trust) {
    case Trust.TRUSTED:
      return <Badge tone="ok" title={reason}>trusted</Badge>;
    case Trust.UNTRUSTED:
      return <Badge tone="bad" title={reason}>untrusted</Badge>;
    default:
      return <Badge tone="muted" title={reason || "Not checked against a trusted registry"}>unknown</Badge>;
  }
}

// ImageTrust is an image's trust from its enrichment, or "not checked".
export function ImageTrust({ e }: { e?: ImageEnrichment }) {
  if (!e) return <Badge tone="muted" title="Not enriched yet">not checked</Badge>;
  return <TrustBadge trust={e.trust} status={e.status} reason={e.trustReason || e.lastError} />;
}

// RiskChips shows distinct risk kinds, with their details on hover.
export function RiskChips({ risks }: { risks: Risk[] }) {
  if (risks.length === 0) return <span class="muted">none</span>;
  const byKind = new Map<RiskKind, Risk[]>();
  for (const r of risks) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  return (
    <span class="chips">
      {RISK_ORDER.filter((k) => byKind.has(k)).map((k) => {
        const rs = byKind.get(k)!;
        return (
          <Badge key={k} tone={k === RiskKind.DRIFT || k === RiskKind.UNTRUSTED_IMAGE ? "warn" : "bad"} title={rs.map((r) => r.detail || r.subject).join("\n")}>
            {RISK_LABELS[k]}
            {rs.length > 1 ? ` ×${rs.length}` : ""}
          </Badge>
        );
      })}
    </span>
  );
}

const SEVERITY_TONE: Record<Severity, "bad" | "warn" | "info" | "muted"> = {
  [Severity.UNSPECIFIED]: "muted",
  [Severity.UNKNOWN]: "muted",
  [Severity.LOW]: "info",
  [Severity.MEDIUM]: "warn",
  [Severity.HIGH]: "bad",
  [Severity.CRITICAL]: "bad",
};

export function SeverityBadge({ severity, score }: { severity: Severity; score?: number }) {
  const name = Severity[severity]?.toLowerCase() ?? "unknown";
  return (
    <Badge tone={SEVERITY_TONE[severity] ?? "muted"} title={score ? `CVSS ${score.toFixed(1)}` : undefined}>
      {name === "unspecified" ? "unknown" : name}
      {score ? ` ${score.toFixed(1)}` : ""}
    </Badge>
  );
}

export function ApplicabilityBadge({ a, title }: { a: Applicability; title?: string }) {
  switch (a) {
    case Applicability.APPLICABLE:
      return <Badge tone="bad" title={title ?? "Its code was loaded at runtime"}>applicable</Badge>;
    case Applicability.NOT_APPLICABLE:
      return <Badge tone="ok" title={title ?? "The image ran and its code was never loaded"}>not applicable</Badge>;
    default:
      return <Badge tone="muted" title={title ?? "No runtime report of this image yet"}>unknown</Badge>;
  }
}

// VulnFunnel draws all → critical & high → with a fix → applicable: each
// step narrows the one before, down to what to fix first.
export function VulnFunnel({ funnel, title = "Vulnerability funnel" }: { funnel?: FunnelMsg; title?: string }) {
  const f = funnel ?? { all: 0n, criticalHigh: 0n, withFix: 0n, applicable: 0n };
  return (
    <Funnel
      title={`${title}: ${num(f.all)} in all, ${num(f.criticalHigh)} critical or high, ${num(f.withFix)} of them with a fix, ${num(f.applicable)} of those applicable at runtime`}
      steps={[
        { label: "All", value: Number(f.all) },
        { label: "Critical & high", value: Number(f.criticalHigh) },
        { label: "… with a fix", value: Number(f.withFix) },
        { label: "… applicable at runtime", value: Number(f.applicable) },
      ]}
    />
  );
}
