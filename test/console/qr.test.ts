import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { qrDataUrl } from '../../console/qr.ts';
import { decodeQr } from '../support/qr-decode.ts';

async function scan(dataUrl: string): Promise<string> {
  expect(dataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
  const svg = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  return decodeQr(await sharp(svg, { density: 300 }).flatten({ background: '#fff' }).png().toBuffer());
}

describe('the two-factor QR code', () => {
  it('scans back to the exact otpauth URI, Korean account names included', async () => {
    for (const uri of [
      'otpauth://totp/staydown:kim.minji?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=staydown&algorithm=SHA1&digits=6&period=30',
      `otpauth://totp/staydown:${encodeURIComponent('김민지')}?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=staydown`,
      'otpauth://totp/x:한국어 그대로?secret=ABC',
    ]) {
      expect(await scan(qrDataUrl(uri))).toBe(uri);
    }
  });

  it('is plain SVG: one path, no script, no style attribute (the console CSP forbids inline styles)', () => {
    const svg = Buffer.from(qrDataUrl('otpauth://totp/a?secret=B').split(',')[1], 'base64').toString();
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"/);
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg).not.toMatch(/<script|style=|on\w+=/i);
  });
});
