import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/config.ts';

// `demo` from a directory that is not the repository: the bundled config, models and data are found
// relative to the package, and the store is written where the user is.
describe('demo outside the repository', () => {
  it('node <repo>/bin/shadow-compare.js demo exits 0 from an empty temp directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-demo-anywhere-'));
    try {
      const r = spawnSync(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'demo', '--count', '300', '--log-level', 'warn'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /shadow comparison: diagnosis candidate v10 vs primary v9/);
      assert.ok(existsSync(join(dir, '.shadow-data')), 'store in the current directory');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
