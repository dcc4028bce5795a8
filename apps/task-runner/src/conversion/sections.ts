/**
 * What a converter makes of a file: its text in sections, each with where it came from, so every
 * chunk cut from a section can name its page (PDF) or heading (DOCX, HTML, Markdown).
 */
export interface Section {
  text: string;
  /** 1-based page of a PDF. */
  page?: number;
  /** The headings above this text, outermost first (`['Setup', 'Docker']`). */
  headings?: string[];
}

/**
 * A file that cannot be turned into text, with the reason in words its owner can act on. It
 * ends the document as `failed` with this message, at once: a retry would only repeat it.
 */
export class DocumentRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentRejected';
  }
}

/** Keeps track of the heading path while a converter walks a document's headings in order. */
export class HeadingTrail {
  private readonly trail: { level: number; text: string }[] = [];

  /** A heading of `level` (1 = outermost) replaces any at its level or deeper. */
  enter(level: number, text: string): void {
    while (this.trail.length > 0 && this.trail[this.trail.length - 1]!.level >= level) this.trail.pop();
    const title = text.replace(/\s+/g, ' ').trim();
    if (title !== '') this.trail.push({ level, text: title });
  }

  current(): string[] | undefined {
    return this.trail.length > 0 ? this.trail.map((heading) => heading.text) : undefined;
  }
}
