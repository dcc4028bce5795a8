import { describe, expect, it } from 'vitest';
import { readText, readYaml } from '../src/files.ts';
import { REPO_ROOT } from '../src/paths.ts';

/**
 * monitoring/README.md, "Supported releases": one row per image pinned by this profile and by the
 * root compose.yaml's `llm` profile, saying until when its project fixes it and where that is
 * written. The dates are the point: a row whose date has passed fails here, on purpose, so a
 * release out of support is noticed (the reason this table exists) instead of found in a review.
 */
interface Row {
  image: string;
  supportEnds: string;
  source: string;
}

function supportedReleases(): Row[] {
  const section = /## Supported releases\n([\s\S]*?)\n## /.exec(readText('README.md'))?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [image, supportEnds, source] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return { image: image!.replaceAll('`', ''), supportEnds: supportEnds!, source: source! };
    });
}

type Compose = { services: Record<string, { image?: string; profiles?: string[] }> };
const imagesOf = (compose: Compose, keep: (profiles: string[]) => boolean) =>
  Object.values(compose.services)
    .filter((service) => service.image && keep(service.profiles ?? []))
    .map((service) => service.image!);

const monitoringImages = imagesOf(readYaml<Compose>('compose.yaml'), () => true);
const llmImages = imagesOf(readYaml<Compose>('compose.yaml', REPO_ROOT), (profiles) =>
  profiles.includes('llm'),
);
const rows = supportedReleases();

describe('monitoring/README.md, Supported releases', () => {
  it('lists exactly the images compose pins: the monitoring profile’s and the llm profile’s', () => {
    expect(llmImages.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.image).sort()).toEqual(
      [...new Set([...monitoringImages, ...llmImages])].sort(),
    );
  });

  it.each(rows.map((row) => [row.image, row] as const))(
    '%s: says until when it is fixed, and where that is written',
    (_image, row) => {
      expect(row.source).toMatch(/\]\(https:\/\/[^)]+\)/);
      const date = /^(\d{4}-\d{2}-\d{2})\b/.exec(row.supportEnds)?.[1];
      // A project without a published end date says so, and by what rule it fixes releases.
      if (!date) expect(row.supportEnds).toMatch(/^no fixed date: .{20,}/);
      // Past this date the pin is out of support: move to a supported release, then update the row.
      else
        expect(date >= new Date().toISOString().slice(0, 10), `${row.image} support ended ${date}`).toBe(
          true,
        );
    },
  );

  it('names the same tag in the service table above it', () => {
    const services = /\| service[\s\S]*?\n\n/.exec(readText('README.md'))?.[0] ?? '';
    for (const image of monitoringImages) expect(services).toContain(`\`${image}\``);
  });
});
