/**
 * E-mail notices through a real SMTP server on 127.0.0.1: one message per send, the headers a receiver
 * needs (a Message-ID derived from the reference and stable across retries), the text and HTML parts and
 * the notice.json attachment; a refused message and a server that is down become outcomes, not throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpSender, noticeMessageId, type NoticeMail } from '../../../services/delivery/smtp.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

let sink: SmtpSink;
const FROM = 'Takedown desk <takedown@support.example>';

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

function mail(reference: string): NoticeMail {
  return {
    reference,
    to: ['abuse@platform-a.example', 'legal@platform-a.example'],
    subject: `Removal request ${reference}`,
    text: `Please remove https://board.example/p/1.jpg (notice ${reference}).`,
    html: `<p>Please remove <a href="https://board.example/p/1.jpg">https://board.example/p/1.jpg</a></p>`,
    json: { reference, kind: 'ncii', items: [{ url: 'https://board.example/p/1.jpg' }] },
  };
}

describe('SMTP delivery', () => {
  it('sends one message with text, HTML, the notice.json attachment and a Message-ID from the reference', async () => {
    const sender = createSmtpSender({ url: sink.url, from: FROM });
    try {
      const before = sink.messages.length;
      const outcome = await sender.send(mail('SD-2026-000123'));
      expect(outcome.kind).toBe('delivered');
      expect(sink.messages.length).toBe(before + 1);
      const got = sink.messages.at(-1)!;
      expect(got.envelope).toEqual({ from: 'takedown@support.example', to: ['abuse@platform-a.example', 'legal@platform-a.example'] });
      expect(got.messageId).toBe('<SD-2026-000123@staydown.support.example>');
      expect(got.parsed.headers.get('x-staydown-reference')).toBe('SD-2026-000123');
      expect(got.parsed.subject).toBe('Removal request SD-2026-000123');
      expect(got.parsed.text).toContain('https://board.example/p/1.jpg');
      expect(got.parsed.html).toContain('<a href="https://board.example/p/1.jpg">');
      expect(got.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([['notice.json', 'application/json']]);
      expect(JSON.parse(got.parsed.attachments[0].content.toString('utf8'))).toEqual(mail('SD-2026-000123').json);
    } finally {
      sender.close();
    }
  });

  it('keeps the Message-ID across sends of the same notice, so a receiver can drop a repeat', async () => {
    const sender = createSmtpSender({ url: sink.url, from: FROM });
    try {
      await sender.send(mail('SD-2026-000124'));
      await sender.send(mail('SD-2026-000124'));
      const ids = sink.messages.filter((m) => m.parsed.subject?.endsWith('000124')).map((m) => m.messageId);
      expect(ids).toEqual(['<SD-2026-000124@staydown.support.example>', '<SD-2026-000124@staydown.support.example>']);
      expect(noticeMessageId('SD-2026-000124', 'x@Mail.Support.Example')).toBe('<SD-2026-000124@staydown.mail.support.example>');
    } finally {
      sender.close();
    }
  });

  it('reports a 4xx reply as retryable and a 5xx reply as final, with the code in the sentence', async () => {
    const sender = createSmtpSender({ url: sink.url, from: FROM });
    try {
      sink.refuse(451, 'Try again later');
      const temp = await sender.send(mail('SD-2026-000125'));
      expect(temp).toMatchObject({ kind: 'smtp-reply', code: 451 });
      sink.refuse(554, 'Message rejected');
      const perm = await sender.send(mail('SD-2026-000125'));
      expect(perm).toMatchObject({ kind: 'smtp-reply', code: 554 });
      expect(perm.kind !== 'delivered' && perm.message).toMatch(/refused the message with reply 554/);
    } finally {
      sender.close();
    }
  });

  it('reports a server that is down as a network failure (the notice stays queued)', async () => {
    const down = await startSmtpSink();
    const url = down.url;
    await down.close();
    const sender = createSmtpSender({ url, from: FROM, timeoutMs: 2000 });
    try {
      const outcome = await sender.send(mail('SD-2026-000126'));
      expect(outcome.kind).toBe('network');
      expect(outcome.kind !== 'delivered' && outcome.message).toMatch(/could not be reached.*stays queued/);
    } finally {
      sender.close();
    }
  });
});
