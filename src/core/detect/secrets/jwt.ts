// JSON Web Tokens (JWS compact form): base64url header and payload that both decode to JSON
// objects, the header naming an algorithm, and a signature unless the algorithm is `none`.
import { Buffer } from 'node:buffer';
import type { Detector, Finding } from '../types.js';

// `eyJ` is base64 for `{"`; the three parts are bounded and '.' is outside their class.
const JWT = /(?<![\w-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,16384}\.([A-Za-z0-9_-]{0,2048})(?![\w-])/g;

function decodeHeader(part: string): Record<string, unknown> | null {
  try {
    const json: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const jwtDetector: Detector = {
  id: 'jwt',
  kind: 'secret',
  types: ['JWT'],
  scan(text: string, out: Finding[]): void {
    if (text.indexOf('eyJ') < 0) return;
    JWT.lastIndex = 0;
    for (let m = JWT.exec(text); m !== null; m = JWT.exec(text)) {
      const s = m[0];
      const header = decodeHeader(s.slice(0, s.indexOf('.')));
      if (header === null || typeof header.alg !== 'string') continue;
      const sig = m[1] as string;
      const unsigned = header.alg.toLowerCase() === 'none';
      if (!unsigned && sig.length < 16) continue;
      out.push({ kind: 'secret', type: 'JWT', start: m.index, end: m.index + s.length, confidence: unsigned ? 0.7 : 0.95 });
    }
  },
};
