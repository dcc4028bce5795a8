import { chunks, conversations, documents, type Database } from '@repo/db';

/** A ready document with its chunks, written directly (ingestion is the task-runner's job). */
export async function insertDocument(db: Database, ownerId: string, title: string, passages: string[]) {
  const [document] = await db
    .insert(documents)
    .values({ ownerId, title, content: passages.join('\n\n'), contentHash: title, status: 'ready' })
    .returning({ id: documents.id });
  await db
    .insert(chunks)
    .values(passages.map((content, ordinal) => ({ documentId: document!.id, ordinal, content })));
  return document!.id;
}

/** A conversation, written directly (as `POST /v1/conversations` would). */
export async function insertConversation(db: Database, ownerId: string, title = 'Test conversation') {
  const [row] = await db.insert(conversations).values({ ownerId, title }).returning({ id: conversations.id });
  return row!.id;
}
