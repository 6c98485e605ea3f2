/**
 * What a notice template gets and gives. A template is a pure function from `NoticeData` to a document
 * (blocks of plain strings); document.ts turns that into text and HTML, escaping every string, and
 * notice-json.ts into the machine-readable notice. The data holds URLs, dates, the platform's name and
 * the organisation's: never the victim's name, contacts, notes, keywords, the case code, or any image.
 */
import type { Jurisdiction, NoticeLanguage } from '../../../db/queries/platforms.ts';
import type { NoticeKind } from '../../../db/queries/notices.ts';

export type { Jurisdiction, NoticeLanguage, NoticeKind };

/** What a platform may answer through the response link (POST {"answer": ..., "urls"?: [...], "message"?: ...}). */
export const NOTICE_ANSWERS = ['acknowledged', 'removed', 'refused', 'need-info'] as const;
export type NoticeAnswer = (typeof NOTICE_ANSWERS)[number];

export interface NoticeItemData {
  /** null when the page URL was withheld because it carries personal data (a search results page). */
  pageUrl: string | null;
  mediaUrl: string;
  firstSeen: Date;
}

export interface NoticeData {
  reference: string;
  kind: NoticeKind;
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  platform: { name: string };
  /** When the notice is (or would be) sent. */
  issuedAt: Date;
  /** sent + deadlineHours; null before it is sent (the text then says "within N hours of receipt"). */
  deadline: Date | null;
  deadlineHours: number;
  /** STAYDOWN_PUBLIC_URL/respond/TOKEN; null in a preview (the token is made when the notice is sent). */
  respondUrl: string | null;
  /** The organisation sending it (STAYDOWN_ORG_NAME, STAYDOWN_ORG_EMAIL). */
  requester: { name: string; email: string | null };
  /** The approving staff member's name: the electronic signature. null before approval. */
  signature: string | null;
  /** The centre's designation under Korean law, when configured and valid. */
  krDesignation: { wording: string; until: string } | null;
  /** A reminder or escalation: the reference of the notice it follows up. */
  originalReference: string | null;
  /**
   * A reminder or escalation: when the notice it follows up was sent and its deadline (null while it was
   * not sent). A reminder's text says from these how long the URLs are overdue.
   */
  original?: { sentAt: Date | null; deadline: Date | null } | null;
  /**
   * An escalation: the package made for it (services/monitoring/escalation-package.ts - URLs, notices
   * sent and answers with dates, never victim data). It goes in notice.json (so in the webhook body),
   * as an e-mail attachment, and its summary in the text.
   */
  escalationPackage?: ({ summary?: string } & Record<string, unknown>) | null;
  items: NoticeItemData[];
}

export type Block =
  | { type: 'heading'; text: string }
  | { type: 'paragraph'; text: string }
  | { type: 'list'; items: string[] }
  | { type: 'fields'; rows: Array<[label: string, value: string]> }
  | { type: 'items'; labels: { page: string; media: string; firstSeen: string; withheld: string }; items: Array<{ pageUrl: string | null; mediaUrl: string; firstSeen: string }> }
  | { type: 'link'; label: string; url: string }
  | { type: 'code'; text: string };

export interface NoticeDocument {
  subject: string;
  /** The document's language for HTML (`lang`); a bilingual notice gives its first language. */
  lang: string;
  blocks: Block[];
  /** Legal bases, for notice.json's `legalBasis`. */
  legalBasis: string[];
}

export interface NoticeTemplate {
  jurisdiction: Jurisdiction;
  language: NoticeLanguage;
  build(data: NoticeData): NoticeDocument;
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
  json: NoticeJson;
}

/** notice.json (README "notice.json"). */
export interface NoticeJson {
  schema: 'staydown-notice/1';
  reference: string;
  kind: NoticeKind;
  language: NoticeLanguage;
  jurisdiction: Jurisdiction;
  platform: { name: string };
  issuedAt: string;
  deadline: string | null;
  deadlineHours: number;
  respondUrl: string | null;
  respond: { method: 'POST'; url: string | null; contentType: 'application/json'; answers: readonly NoticeAnswer[]; example: { answer: NoticeAnswer; message?: string } };
  requester: { name: string; email: string | null };
  signature: string | null;
  designation: { wording: string; until: string } | null;
  originalReference: string | null;
  /** A reminder: the original notice's deadline and how far past it this notice is (0 before it). */
  overdue?: { since: string; hours: number } | null;
  /** An escalation: its package (README "notice.json"). */
  escalationPackage?: Record<string, unknown> | null;
  legalBasis: string[];
  content: 'non-consensual intimate imagery';
  items: Array<{ pageUrl: string | null; mediaUrl: string; firstSeen: string }>;
}
