import { Lexer } from 'marked';
import { HeadingTrail, type Section } from './sections.ts';

/**
 * Markdown is kept as it is: the text of each section is the author's own source. Only its
 * headings are read, by marked's lexer (so a `#` inside a code block is not a heading), to cut
 * the text into one section per heading and name each section's heading path.
 */
export function markdownSections(markdown: string): Section[] {
  const sections: Section[] = [];
  const trail = new HeadingTrail();
  let headings: string[] | undefined;
  let text = '';
  const flush = () => {
    if (text.trim() !== '') sections.push({ text: text.trim(), ...(headings ? { headings } : {}) });
    text = '';
  };
  for (const token of new Lexer().lex(markdown)) {
    if (token.type === 'heading') {
      flush();
      trail.enter((token as { depth: number }).depth, (token as { text: string }).text);
      headings = trail.current();
    }
    text += token.raw;
  }
  flush();
  return sections;
}
