import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlPolicyJsonSchema, yamlPolicySchema } from '../../../../src/core/policy/yaml/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCHEMA_FILE = path.join(ROOT, 'policies/schema/warden-policy.schema.json');

describe('the YAML policy JSON Schema', () => {
  it('is exactly what the zod schema generates (regenerate with WARDEN_UPDATE_SCHEMA=1)', () => {
    const generated = `${JSON.stringify(yamlPolicyJsonSchema(), null, 2)}\n`;
    if (process.env.WARDEN_UPDATE_SCHEMA === '1') fs.writeFileSync(SCHEMA_FILE, generated);
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(generated);
  });

  it('describes the recursive condition once, under $defs, and forbids unknown keys', () => {
    const s = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.required).toEqual(['rules']);
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.$defs)).toEqual(['condition']);
    expect(s.$defs.condition.properties.all.items).toEqual({ $ref: '#/$defs/condition' });
    expect(Object.keys(s.$defs.condition.properties)).toContain('injection_score');
  });

  it('accepts every built-in YAML pack', () => {
    const dir = path.join(ROOT, 'policies/request');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const r = yamlPolicySchema.safeParse(parseYaml(fs.readFileSync(path.join(dir, f), 'utf8')));
      expect(r.success, `${f}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
  });
});
