import { convert, type FormatCallback } from 'html-to-text';
import { HeadingTrail, type Section } from './sections.ts';

/**
 * HTML → text with html-to-text: scripts, styles, templates and images dropped, links as their
 * text, tables as aligned columns, no hard wrapping. Headings (`h1`–`h6`) start sections: the
 * custom formatter marks them with a NUL-delimited tag, a character no HTML text can carry
 * through (the parser replaces NUL) and that is split off again below.
 */
const MARK = '\u0000';

const sectionHeading: FormatCallback = (element, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(`${MARK}${element.name}${MARK}`);
  walk(element.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

export function htmlSections(html: string): Section[] {
  const text = convert(html.replaceAll(MARK, ''), {
    wordwrap: false,
    formatters: { sectionHeading },
    selectors: [
      ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: 'sectionHeading' })),
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'template', format: 'skip' },
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });

  const sections: Section[] = [];
  const trail = new HeadingTrail();
  let headings: string[] | undefined;
  let lines: string[] = [];
  const flush = () => {
    const body = lines.join('\n').trim();
    if (body !== '') sections.push({ text: body, ...(headings ? { headings } : {}) });
    lines = [];
  };
  for (const line of text.split('\n')) {
    const heading = new RegExp(`^${MARK}h([1-6])${MARK}(.*)$`).exec(line);
    if (heading) {
      flush();
      trail.enter(Number(heading[1]), heading[2]!);
      headings = trail.current();
      lines.push(heading[2]!.trim());
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}
