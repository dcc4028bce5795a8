import { highlightRanges } from './highlight-ranges.ts';

/** `text` with the query's words marked (<mark>): rendered as React text, never as HTML. */
export function Highlight({ text, query }: { text: string; query: string }) {
  return (
    <>
      {highlightRanges(text, query).map((part, index) =>
        part.match ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
      )}
    </>
  );
}
