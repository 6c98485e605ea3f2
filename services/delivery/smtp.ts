/**
 * E-mail over SMTP: the only module that imports nodemailer. A notice goes out as one message to the
 * platform's addresses, with a plain-text part, an HTML part and the machine-readable `notice.json`
 * attached, under a Message-ID derived from the notice's reference - the same on every attempt, so a
 * receiver that got the message once already (the window between the SMTP server's acceptance and our
 * commit, see outbox.ts) can drop the repeat.
 *
 * Failures come back as `ChannelOutcome`s, never thrown: an SMTP 4xx or a dead connection is retried,
 * a 5xx is not (retry-policy.ts).
 */
import { createTransport } from 'nodemailer';
import type { ChannelOutcome } from './retry-policy.ts';

export interface NoticeMail {
  reference: string;
  to: readonly string[];
  subject: string;
  text: string;
  html: string;
  /** notice.json, attached as is. */
  json: unknown;
  /** More JSON attachments by file name (an escalation's escalation-package.json). */
  attachments?: Array<{ filename: string; json: unknown }>;
}

export interface SmtpSettings {
  /** smtp://user:password@host:port or smtps://...; query parameters are nodemailer options (e.g. ?ignoreTLS=true). */
  url: string;
  /** 'Name <address>' or an address. */
  from: string;
  /** Connections kept open to the server (default 5). */
  maxConnections?: number;
  /** How long to wait for the connection, the greeting and each reply (default 30 s). */
  timeoutMs?: number;
}

export interface SmtpSender {
  send(mail: NoticeMail): Promise<ChannelOutcome>;
  close(): void;
}

/** The bare address of 'Name <address>' or an address. */
export function addressOf(from: string): string {
  const m = /<([^<>]+)>\s*$/.exec(from);
  return (m ? m[1] : from).trim();
}

/** `<SD-2026-000123@staydown.support.example>`: the reference, under the sending domain. */
export function noticeMessageId(reference: string, from: string): string {
  const domain = addressOf(from).split('@').pop()!.toLowerCase();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(reference)) throw new Error(`The notice reference '${reference}' cannot be part of a Message-ID.`);
  return `<${reference}@staydown.${domain}>`;
}

/** Nodemailer's error as an outcome: the reply code when the server gave one, else a network failure. */
export function smtpFailure(err: unknown): ChannelOutcome {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const reply = (e.response ?? e.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    return { kind: 'smtp-reply', code: e.responseCode, message: `The SMTP server refused the message with reply ${e.responseCode} (${reply}).` };
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return { kind: 'network', message: `The SMTP server refused the credentials in STAYDOWN_SMTP_URL (${reply}); fix them, the notice stays queued.` };
  }
  return { kind: 'network', message: `The SMTP server could not be reached or dropped the connection (${e.code ?? 'error'}: ${reply}); the notice stays queued.` };
}

export function createSmtpSender(settings: SmtpSettings): SmtpSender {
  const timeout = settings.timeoutMs ?? 30_000;
  // The URL says where (its settings win); these say how: a small pool, bounded waits (nodemailer's
  // defaults wait minutes).
  const transport = createTransport({
    url: settings.url,
    pool: true,
    maxConnections: settings.maxConnections ?? 5,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
  } as Parameters<typeof createTransport>[0] & { pool: true });
  const messageFor = (mail: NoticeMail) => ({
    from: settings.from,
    to: [...mail.to],
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: noticeMessageId(mail.reference, settings.from),
    headers: { 'X-Staydown-Reference': mail.reference, 'Auto-Submitted': 'auto-generated' },
    attachments: [{ filename: 'notice.json', json: mail.json }, ...(mail.attachments ?? [])]
      .map((a) => ({ filename: a.filename, content: `${JSON.stringify(a.json, null, 2)}\n`, contentType: 'application/json; charset=utf-8' })),
    // Nothing in a notice loads from elsewhere: no remote images, files or URLs are fetched into it.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(mail) {
      if (mail.to.length === 0) return { kind: 'refused', message: `Notice ${mail.reference} has no e-mail address to go to: add one to the platform.` };
      try {
        const info = await transport.sendMail(messageFor(mail));
        const rejected = (info.rejected ?? []).map(String);
        return { kind: 'delivered', detail: `${String(info.response ?? 'accepted').slice(0, 200)}${rejected.length ? `; refused recipients: ${rejected.join(', ')}` : ''}` };
      } catch (err) {
        return smtpFailure(err);
      }
    },
    close() {
      transport.close();
    },
  };
}
