// The detector registry: one line per detector family (DESIGN.md, convention 5). Order is the
// order findings are produced in before sorting; it does not affect results.
import { cardDetector } from './pii/card.js';
import { emailDetector } from './pii/email.js';
import { ibanDetector } from './pii/iban.js';
import { ipDetector } from './pii/ip.js';
import { phoneDetector } from './pii/phone.js';
import { ssnDetector } from './pii/ssn.js';
import { highEntropyDetector } from './secrets/high-entropy.js';
import { jwtDetector } from './secrets/jwt.js';
import { privateKeyDetector } from './secrets/private-key.js';
import { providerKeyDetector } from './secrets/provider-keys.js';
import type { Detector, FindingKind } from './types.js';

export const DETECTORS: readonly Detector[] = Object.freeze([
  emailDetector,
  phoneDetector,
  cardDetector,
  ssnDetector,
  ibanDetector,
  ipDetector,
  providerKeyDetector,
  privateKeyDetector,
  jwtDetector,
  highEntropyDetector,
]);

export function detectorsOf(kind: FindingKind): readonly Detector[] {
  return DETECTORS.filter((d) => d.kind === kind);
}
