/**
 * The TOTP set-up's QR code, drawn on the server: a phone's authenticator app scans it instead of the
 * person typing a 32-letter key. An SVG in a data: URL (the CSP's img-src allows data:, and the page
 * needs no script or inline markup for it). Dark modules become one path, so the image stays small.
 */
import qrcode from 'qrcode-generator';

/** Quiet zone around the symbol, in modules: the standard asks for 4, scanners need it. */
const QUIET = 4;

export function qrDataUrl(text: string): string {
  // Level M survives a smudged or glared screen; an otpauth URI (~120 characters) fits version 6-7.
  const qr = qrcode(0, 'M');
  // The library writes each char code's low byte, so hand it UTF-8 bytes as a binary string.
  qr.addData(Buffer.from(text, 'utf8').toString('latin1'), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 2 * QUIET;
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.isDark(r, c)) continue;
      let run = 1;
      while (c + run < n && qr.isDark(r, c + run)) run++;
      d += `M${c + QUIET} ${r + QUIET}h${run}v1h-${run}z`;
      c += run - 1;
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
