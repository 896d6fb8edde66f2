// US Social Security numbers written AAA-GG-SSSS (or with spaces), excluding what the SSA never
// issues: area 000, 666 and 900–999, group 00, serial 0000, and the famous advertising numbers.
// Nine bare digits are an SSN only right after an "SSN"/"social security" label.
import type { Detector, Finding } from '../types.js';

const SSN = /(?<![\w.\/-])([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})(?![\w]|[.\/-][0-9])/g;
const LABELLED = /\b(?:ssn|social security(?: number| no\.?)?|ss#)[\s:#.=-]{0,4}([0-9]{9})(?![\w]|[.\/-][0-9])/gi;

/** Numbers that appeared in advertising or SSA examples and were voided. */
const VOIDED = new Set(['078051120', '219099999', '123456789']);

export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  return !VOIDED.has(area + group + serial);
}

export const ssnDetector: Detector = {
  id: 'ssn',
  kind: 'pii',
  types: ['SSN'],
  scan(text: string, out: Finding[]): void {
    SSN.lastIndex = 0;
    for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
      if (!ssnValid(m[1] as string, m[3] as string, m[4] as string)) continue;
      out.push({ kind: 'pii', type: 'SSN', start: m.index, end: m.index + m[0].length, confidence: m[2] === '-' ? 0.85 : 0.6 });
    }
    LABELLED.lastIndex = 0;
    for (let m = LABELLED.exec(text); m !== null; m = LABELLED.exec(text)) {
      const d = m[1] as string;
      if (!ssnValid(d.slice(0, 3), d.slice(3, 5), d.slice(5))) continue;
      const start = m.index + m[0].length - d.length;
      out.push({ kind: 'pii', type: 'SSN', start, end: start + 9, confidence: 0.8 });
    }
  },
};
