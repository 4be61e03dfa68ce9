/** Plain-text tables for the terminal, and the tool's version. */
import { VERSION } from '../version';

export function toolVersion(): string {
  return VERSION;
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** '43.9× smaller than', or for a file larger than the float32 model (a tiny one, its header dominating) '2.5× larger than'. */
export const versusFloat32 = (ratio: number) => (ratio >= 1 ? `${ratio.toFixed(1)}× smaller than` : `${(1 / ratio).toFixed(1)}× larger than`);
