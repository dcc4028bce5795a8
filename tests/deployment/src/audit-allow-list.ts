import { isScalar, isSeq, parseDocument } from 'yaml';

/** pnpm matches advisories by GitHub advisory id; GitHub's ids use this alphabet. */
const GHSA = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/;

/** Fewer characters than this is not an explanation. */
const MIN_REASON = 10;

/**
 * What is wrong with the advisory allow-list of a pnpm-workspace.yaml (`audit.ignore`): each entry
 * must be a GHSA id with the reason it does not apply as a comment on the same line.
 */
export function allowListProblems(workspaceYaml: string): string[] {
  const list = parseDocument(workspaceYaml).getIn(['audit', 'ignore'], true);
  if (!isSeq(list))
    return ['no `audit.ignore` list: write `audit:\n  ignore: []` (see the comment in pnpm-workspace.yaml)'];
  return list.items.flatMap((item) => {
    const id = isScalar(item) ? String(item.value) : JSON.stringify(item);
    if (!GHSA.test(id))
      return [`${id}: not a GitHub advisory id (GHSA-xxxx-xxxx-xxxx), which is what pnpm matches`];
    const reason = (isScalar(item) ? (item.comment ?? '') : '').trim();
    if (reason.length < MIN_REASON)
      return [`${id}: no reason (write it after the id: \`- GHSA-… # why it does not apply\`)`];
    return [];
  });
}
