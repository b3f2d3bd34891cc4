import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { htmlToText } from "./html-to-text";

describe("htmlToText", () => {
  it("keeps the readable parts", () => {
    const html = `<html><head><title>T &amp; U</title><style>.a{}</style><script>var s="</p>";</script></head>
      <body><nav><a href="https://example.com/docs">Docs</a></nav><h2>Intro</h2><p>One&nbsp;two &#169; &#x1F600; &bogus;</p>
      <ul><li>first</li><li>second</li></ul><pre>  keep
  spaces</pre><img alt="chart"><!-- hidden --><noscript>no</noscript>a &lt;b&gt;</body></html>`;
    const result = htmlToText(html, 10_000);
    expect(result.title).toBe("T & U");
    expect(result.text).toBe(
      "Docs (https://example.com/docs)\n\n## Intro\n\nOne two © 😀 &bogus;\n\n- first\n- second\n  keep\n  spaces\n[image: chart] a <b>",
    );
    expect(result.truncated).toBe(false);
  });

  it("drops javascript: links and cuts at maxChars", () => {
    expect(htmlToText('<a href="javascript:alert(1)">x</a>', 100).text).toBe("x");
    const cut = htmlToText(`<p>${"word ".repeat(1000)}</p>`, 50);
    expect(cut.truncated).toBe(true);
    expect(cut.text.length).toBeLessThanOrEqual(50);
  });

  test.prop([fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 200 })])(
    "never exceeds maxChars and never throws",
    (html, max) => {
      expect(htmlToText(html, max).text.length).toBeLessThanOrEqual(max);
    },
  );

  test.prop([fc.string({ maxLength: 60 }).filter((s) => !s.toLowerCase().includes("</script"))])(
    "never shows script contents",
    (code) => {
      const marker = "QQSCRIPTQQ";
      expect(
        htmlToText(`<p>a</p><script>${marker}${code}</script><p>b</p>`, 10_000).text,
      ).not.toContain(marker);
    },
  );
});
