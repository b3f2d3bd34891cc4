/**
 * Hostile HTML against the converter's post-processing. Trimming line ends with /[ \t]+$/ is
 * quadratic on a long run of blanks that does not end the line (every start position rescans the
 * run): 200 000 blanks would block the event loop for minutes. Each payload is one case; with a
 * linear trim each finishes at once, so the suite's own test timeout is the only clock involved.
 */
import { describe, expect, it } from "vitest";
import { htmlToText } from "../../src/index";

const N = 200_000;
const MAX_CHARS = 1_000_000;

const PAYLOADS: ReadonlyArray<readonly [string, string, string]> = [
  ["spaces in <pre>", `<pre>${" ".repeat(N)}x</pre>`, "x"],
  ["tabs in <pre>", `<pre>${"\t".repeat(N)}x</pre>`, "x"],
  ["spaces and tabs in <pre>", `<pre>${" \t".repeat(N / 2)}x\n</pre>`, "x"],
  ["blanks between words in <pre>", `<pre>a${" ".repeat(N)}b</pre>`, "b"],
  ["many lines of blanks", `<pre>${`${" ".repeat(2000)}y\n`.repeat(100)}</pre>`, "y"],
];

describe("the HTML converter stays linear on runs of blanks", () => {
  for (const [name, html, last] of PAYLOADS) {
    it(`converts ${name}`, () => {
      const { text } = htmlToText(html, MAX_CHARS);
      expect(text.endsWith(last)).toBe(true);
    });
  }

  it("still trims trailing blanks of each line", () => {
    const { text } = htmlToText("<pre>a  \t\nb\t \n c</pre>", 1000);
    expect(text).toBe("a\nb\nc");
  });
});
