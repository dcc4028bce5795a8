import { describe, expect, it } from 'vitest';
import { checkedWorkloads, configFacts } from '../src/apps.ts';
import { DEPLOYMENT_DOC, section, SECTION_TITLES, variableRows } from '../src/deployment-doc.ts';
import { deployments, PLATFORMS } from '../src/platforms.ts';
import { read } from '../src/repository.ts';

/** deployment.md: one section per target, every variable of every app, every hand-set secret. */

const doc = read(DEPLOYMENT_DOC);

describe('deployment.md', () => {
  it('has a section per target, each naming the version or date of the docs it reflects', () => {
    for (const [target, title] of Object.entries(SECTION_TITLES)) {
      const text = section(title, doc);
      expect(text, `## ${title}`).toBeDefined();
      if (target === 'docker') continue;
      expect(text, `## ${title}: docs version`).toMatch(/Reflects\b.*(\d{4}-\d{2}-\d{2}|@[0-9a-f]{7,})/s);
      for (const topic of [
        /migrat/i,
        /health/i,
        /grace|draining|stopTimeout|shutdown/i,
        /scal/i,
        /logs/i,
        /rollback/i,
      ]) {
        expect(text, `## ${title}: ${String(topic)}`).toMatch(topic);
      }
    }
    // The prod profile of compose.yaml, as it is (test/docker-host.test.ts checks the details).
    expect(section(SECTION_TITLES.docker, doc)).toMatch(/^docker compose --profile prod up -d --wait/m);
  });

  it('names every variable the apps read', async () => {
    for (const workload of checkedWorkloads()) {
      for (const name of (await configFacts(workload)).variables) {
        expect(doc, `${workload}: ${name} is not in ${DEPLOYMENT_DOC}`).toMatch(new RegExp(`\\b${name}\\b`));
      }
    }
  });

  it("lists, in each platform's variables table, every variable that platform sets", async () => {
    for (const platform of PLATFORMS) {
      const rows = variableRows(section(SECTION_TITLES[platform], doc)!);
      const documented = new Set(rows.map((row) => row.name));
      // A row may name several variables in its first cell (`A`, `B`): count them all.
      for (const line of section(SECTION_TITLES[platform], doc)!
        .split('\n')
        .filter((l) => l.startsWith('| `'))) {
        for (const match of line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) documented.add(match[1]!);
      }
      for (const deployment of (await deployments()).filter((d) => d.platform === platform)) {
        for (const name of Object.keys(deployment.env)) {
          expect(documented, `${deployment.where}: ${name} missing from the ${platform} table`).toContain(
            name,
          );
        }
      }
    }
  });
});
