import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO } from '../support/config.ts';
import { headingAnchors, relativeLinks } from './markdown-links.ts';

// Issue 17: the README is the first page a user reads; everything else lives in docs/.
const README_MAX_LINES = 300;

const pages = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('README.md and docs/*.md', () => {
  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n').length - 1;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail to docs/`);
  });

  it('resolve every relative link to an existing file, and every #anchor to a heading of its page', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(REPO, page), 'utf8');
      for (const { line, target } of relativeLinks(text)) {
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const file = path === '' ? join(REPO, page) : join(REPO, dirname(page), decodeURIComponent(path));
        const where = `${page} (prose line ${line}): ${target}`;
        if (!existsSync(file)) {
          broken.push(`${where}: no file ${relative(REPO, file)}`);
          continue;
        }
        if (anchor && file.endsWith('.md') && !headingAnchors(readFileSync(file, 'utf8')).has(anchor.toLowerCase())) {
          broken.push(`${where}: no heading with anchor #${anchor} in ${relative(REPO, file)}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('link every page of docs/ from the README', () => {
    const linked = new Set(relativeLinks(readFileSync(join(REPO, 'README.md'), 'utf8')).map((l) => l.target.split('#')[0]));
    const missing = pages.filter((p) => p !== 'README.md' && !linked.has(p));
    assert.deepEqual(missing, [], 'docs pages the README does not link');
  });
});

describe('markdown link helpers', () => {
  it('make the anchors GitHub makes, numbering repeated headings', () => {
    const anchors = headingAnchors('# Thresholds (`gate:` in the config; all optional)\n## Configuration (`registry:`)\n## Output\n## Output\n```\n# not a heading\n```\n');
    assert.deepEqual([...anchors], ['thresholds-gate-in-the-config-all-optional', 'configuration-registry', 'output', 'output-1']);
  });

  it('find relative links outside code, and leave out external ones', () => {
    const links = relativeLinks('[a](docs/a.md#x) [b](https://example.com) `[c](c.md)`\n```\n[d](d.md)\n```\n![e](img/e.png)\n');
    assert.deepEqual(links.map((l) => l.target), ['docs/a.md#x', 'img/e.png']);
  });
});
