/**
 * What an escalation carries besides its notice text (pure): for a KR escalation target (the Korea
 * Communications Standards Commission) a review request - deletion for a domestic service, access
 * blocking for an overseas one; for a host or registrar an abuse report. Either way the URLs, the notices
 * already sent and the platform's answers, with dates: never the victim's name, contacts, notes,
 * keywords, the case code or any image.
 */

export interface PackageInput {
  reference: string;
  site: { name: string; jurisdiction: string };
  target: { name: string; kind: string; jurisdiction: string };
  urls: Array<{ pageUrl: string | null; mediaUrl: string; firstSeen: Date; state: string; notifiedAt: Date }>;
  notices: Array<{ reference: string; kind: string; platform: string; sentAt: Date | null }>;
  answers: Array<{ at: Date; answer: string; noticeReference: string; urls: number }>;
  generatedAt: Date;
}

export interface EscalationPackage {
  schema: 'staydown-escalation/1';
  type: 'kcsc-review-request' | 'abuse-report';
  /** KCSC only: what is asked of the commission. */
  requestedMeasure: 'deletion' | 'access-blocking' | null;
  reference: string;
  site: string;
  target: string;
  targetKind: string;
  generatedAt: string;
  urls: Array<{ pageUrl: string | null; mediaUrl: string; firstSeen: string; notifiedAt: string; state: string }>;
  notices: Array<{ reference: string; kind: string; platform: string; sentAt: string | null }>;
  answers: Array<{ at: string; answer: string; notice: string; urls: number }>;
  summary: string;
}

export function escalationPackage(p: PackageInput): EscalationPackage {
  // The KCSC's record is of kind `regulator`; older records named it as a KR platform of another kind.
  const kcsc = p.target.kind === 'regulator' || (p.target.jurisdiction === 'KR' && p.target.kind !== 'host' && p.target.kind !== 'registrar');
  const measure = kcsc ? (p.site.jurisdiction === 'KR' ? 'deletion' : 'access-blocking') : null;
  const sent = p.notices.filter((n) => n.sentAt);
  const firstSent = sent.length > 0 ? sent.reduce((a, b) => (a.sentAt! <= b.sentAt! ? a : b)).sentAt! : null;
  const days = firstSent ? Math.floor((p.generatedAt.getTime() - firstSent.getTime()) / 86_400_000) : 0;
  const answered = p.answers.length > 0 ? `answers: ${p.answers.map((a) => a.answer).join(', ')}` : 'no answer';
  const summary = kcsc
    ? `Review request: ${p.urls.length} URL(s) on ${p.site.name} still show the material ${days} day(s) after the first notice (${sent.length} notice(s) sent, ${answered}); requested: ${measure === 'deletion' ? 'deletion (domestic service)' : 'access blocking (overseas service)'}.`
    : `Abuse report: ${p.urls.length} URL(s) on ${p.site.name} still show the material ${days} day(s) after the first notice to the site (${sent.length} notice(s) sent, ${answered}).`;
  return {
    schema: 'staydown-escalation/1',
    type: kcsc ? 'kcsc-review-request' : 'abuse-report',
    requestedMeasure: measure,
    reference: p.reference,
    site: p.site.name,
    target: p.target.name,
    targetKind: p.target.kind,
    generatedAt: p.generatedAt.toISOString(),
    urls: p.urls.map((u) => ({ pageUrl: u.pageUrl, mediaUrl: u.mediaUrl, firstSeen: u.firstSeen.toISOString(), notifiedAt: u.notifiedAt.toISOString(), state: u.state })),
    notices: p.notices.map((n) => ({ reference: n.reference, kind: n.kind, platform: n.platform, sentAt: n.sentAt?.toISOString() ?? null })),
    answers: p.answers.map((a) => ({ at: a.at.toISOString(), answer: a.answer, notice: a.noticeReference, urls: a.urls })),
    summary,
  };
}
