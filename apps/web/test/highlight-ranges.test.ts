import { describe, expect, it } from 'vitest';
import { highlightRanges, queryTerms } from '../src/components/highlight-ranges.ts';
import { tokenSubject } from '../src/auth/token-subject.ts';

describe('search highlighting', () => {
  it('marks the query words, case-insensitively and as word prefixes', () => {
    expect(highlightRanges('Second paragraphs here. PARAGRAPH!', 'paragraph')).toEqual([
      { text: 'Second ', match: false },
      { text: 'paragraphs', match: true },
      { text: ' here. ', match: false },
      { text: 'PARAGRAPH', match: true },
      { text: '!', match: false },
    ]);
  });

  it('drops excluded words, `or` and quotes, and treats regex characters literally', () => {
    expect(queryTerms('"exact phrase" or -skip a.b*')).toEqual(['exact', 'phrase', 'a.b*']);
    expect(highlightRanges('axb a.b*', 'a.b*').filter((part) => part.match)).toEqual([
      { text: 'a.b*', match: true },
    ]);
  });
});

describe('the subject of a pasted token', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  it('is read from a JWT and refused when missing or malformed', () => {
    expect(tokenSubject(jwt({ sub: 'alice' }))).toBe('alice');
    expect(tokenSubject(jwt({}))).toBeUndefined();
    expect(tokenSubject('not-a-token')).toBeUndefined();
  });
});
