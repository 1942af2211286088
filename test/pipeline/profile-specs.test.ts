import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { profileSpecs } from '../../src/pipeline/profile-specs.ts';
import { registerFeatureSchema } from '../../src/registry/index.ts';
import { testConfig } from '../support/config.ts';

describe('profile bins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-profile-specs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("come from the candidate's pinned feature schema in the registry, overridden by profiles.specs", async () => {
    const path = join(dir, 'registry.json');
    const reg = { path, backend: 'file' as const, publisher: null, now: () => new Date() };
    await registerFeatureSchema(reg, {
      model: 'diagnosis', version: '1', actor: 't',
      features: [{ name: 'mean_radius', type: 'numeric', min: 6, max: 29 }, { name: 'mean_texture', type: 'numeric', min: 9, max: 40 }, { name: 'device', type: 'categorical', values: ['ios', 'web'] }, { name: 'open', type: 'numeric' }],
    });
    await registerFeatureSchema(reg, { model: 'diagnosis', version: '2', actor: 't', features: [{ name: 'mean_radius', type: 'numeric', min: 0, max: 1 }] });
    const config = testConfig({ registry: { backend: 'file', path }, profiles: { specs: { mean_texture: { min: 0, max: 100 } } } });
    assert.equal(config.candidate.featureSchemaVersion, '1');
    assert.deepEqual(profileSpecs(config), { mean_radius: { min: 6, max: 29 }, mean_texture: { min: 0, max: 100 }, device: { values: ['ios', 'web'] } });
    assert.deepEqual(profileSpecs(testConfig({ registry: { backend: 'file', path: join(dir, 'none.json') } })), {});
  });
});
