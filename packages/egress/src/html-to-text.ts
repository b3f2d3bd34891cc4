/**
 * A small, bounded HTML → readable text converter: one linear pass, no DOM, no regex
 * backtracking. Drops scripts, styles and other non-content elements, turns block elements into
 * line breaks, list items into "- " lines, headings into "#" lines, keeps link targets, decodes
 * entities. It is for giving a model the gist of a page, not for rendering.
 */

export interface HtmlToTextResult {
  readonly text: string;
  readonly title: string | undefined;
  /** True when the text was cut at `maxChars`. */
  readonly truncated: boolean;
}

const SKIP_CONTENT = new Set([
  "script",
  "style",
  "noscript",
  "template",
  "svg",
  "math",
  "iframe",
  "object",
  "canvas",
  "select",
  "button",
]);

const BLOCK = new Set([
  "p",
  "div",
  "section",
  "article",
  "header",
  "footer",
  "nav",
  "aside",
  "main",
  "ul",
  "ol",
  "dl",
  "dt",
  "dd",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "blockquote",
  "pre",
  "form",
  "figure",
  "figcaption",
  "address",
  "details",
  "summary",
  "fieldset",
  "body",
  "html",
  "hr",
]);

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  trade: "™",
  mdash: "—",
  ndash: "–",
  hellip: "…",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  middot: "·",
  bull: "•",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  deg: "°",
  times: "×",
  divide: "÷",
  shy: "",
  zwj: "",
  zwnj: "",
};

function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const amp = text.indexOf("&", i);
    if (amp < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, amp);
    const semi = text.indexOf(";", amp + 1);
    if (semi < 0 || semi - amp > 12) {
      out += "&";
      i = amp + 1;
      continue;
    }
    const body = text.slice(amp + 1, semi);
    let decoded: string | undefined;
    if (body.startsWith("#")) {
      const hex = body[1] === "x" || body[1] === "X";
      const digits = body.slice(hex ? 2 : 1);
      if (digits.length > 0 && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) {
        const code = Number.parseInt(digits, hex ? 16 : 10);
        decoded =
          code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
            ? String.fromCodePoint(code)
            : "\ufffd";
      }
    } else decoded = NAMED_ENTITIES[body.toLowerCase()];
    if (decoded === undefined) {
      out += "&";
      i = amp + 1;
    } else {
      out += decoded;
      i = semi + 1;
    }
  }
  return out;
}

function isNameChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
}

/** Index just past the `>` closing a tag that starts at `start`, honouring quoted attribute values. */
function tagEnd(html: string, start: number): number {
  let quote = 0;
  for (let i = start; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i + 1;
  }
  return html.length;
}

const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;

export function htmlToText(html: string, maxChars: number): HtmlToTextResult {
  const lower = html.toLowerCase();
  const out: string[] = [];
  let length = 0;
  let truncated = false;
  let title: string | undefined;
  let pre = 0;
  let pendingHref: string | undefined;
  let lastWasSpace = true;
  let trailingNewlines = 2;

  const emit = (piece: string): void => {
    if (truncated || piece.length === 0) return;
    if (length + piece.length > maxChars) {
      out.push(piece.slice(0, Math.max(0, maxChars - length)));
      length = maxChars;
      truncated = true;
      return;
    }
    out.push(piece);
    length += piece.length;
    let k = piece.length - 1;
    while (k >= 0 && piece[k] === "\n") k--;
    trailingNewlines = k < 0 ? trailingNewlines + piece.length : piece.length - 1 - k;
  };
  const newline = (count: 1 | 2): void => {
    if (trailingNewlines < count) emit("\n".repeat(count - trailingNewlines));
    lastWasSpace = true;
  };
  const text = (raw: string): void => {
    const decoded = decodeEntities(raw);
    if (pre > 0) {
      emit(decoded);
      lastWasSpace = /\s$/.test(decoded);
      return;
    }
    let piece = "";
    for (let k = 0; k < decoded.length; k++) {
      const ch = decoded[k] as string;
      if (
        ch === " " ||
        ch === "\n" ||
        ch === "\t" ||
        ch === "\r" ||
        ch === "\f" ||
        ch === "\u00a0"
      ) {
        if (!lastWasSpace) piece += " ";
        lastWasSpace = true;
      } else {
        piece += ch;
        lastWasSpace = false;
      }
    }
    emit(piece);
  };

  let i = 0;
  while (i < html.length && !truncated) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      text(html.slice(i));
      break;
    }
    if (lt > i) text(html.slice(i, lt));
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    const next = html.charCodeAt(lt + 1);
    if (next === 33 || next === 63) {
      i = tagEnd(html, lt + 2);
      continue;
    }
    const closing = next === 47;
    let nameEnd = lt + (closing ? 2 : 1);
    const nameStart = nameEnd;
    while (nameEnd < html.length && isNameChar(html.charCodeAt(nameEnd))) nameEnd++;
    if (nameEnd === nameStart) {
      text("<");
      i = lt + 1;
      continue;
    }
    const name = lower.slice(nameStart, nameEnd);
    const end = tagEnd(html, nameEnd);
    i = end;
    if (closing) {
      if (name === "pre") pre = Math.max(0, pre - 1);
      if (name === "a" && pendingHref !== undefined) {
        text(` (${pendingHref})`);
        pendingHref = undefined;
      }
      if (BLOCK.has(name) || /^h[1-6]$/.test(name) || name === "li")
        newline(name === "p" || name[0] === "h" ? 2 : 1);
      continue;
    }
    if (SKIP_CONTENT.has(name) || name === "title" || name === "head") {
      if (name === "head") continue;
      const close = lower.indexOf(`</${name}`, end);
      const contentEnd = close < 0 ? html.length : close;
      if (name === "title" && title === undefined)
        title = decodeEntities(html.slice(end, Math.min(contentEnd, end + 1000)))
          .replace(/\s+/g, " ")
          .trim();
      i = close < 0 ? html.length : tagEnd(html, close + 2);
      continue;
    }
    if (name === "br") newline(1);
    else if (name === "li") {
      newline(1);
      emit("- ");
    } else if (/^h[1-6]$/.test(name)) {
      newline(2);
      emit(`${"#".repeat(Number(name[1]))} `);
    } else if (name === "pre") {
      newline(1);
      pre++;
    } else if (name === "td" || name === "th") emit(lastWasSpace ? "" : " ");
    else if (name === "img") {
      const alt = /\balt\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(html.slice(nameEnd, end));
      const altText = alt?.[1] ?? alt?.[2];
      if (altText !== undefined && altText.trim() !== "") text(` [image: ${altText.trim()}] `);
    } else if (name === "a") {
      const href = HREF.exec(html.slice(nameEnd, end));
      const value = decodeEntities(href?.[1] ?? href?.[2] ?? href?.[3] ?? "");
      pendingHref = /^https?:\/\//i.test(value) && value.length <= 2000 ? value : undefined;
    } else if (BLOCK.has(name)) newline(name === "p" ? 2 : 1);
  }

  const joined = out
    .join("")
    .split("\n")
    .map((line) => trimBlankEnd(line).replace(/^ (?=\S)/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { text: joined, title: title === "" ? undefined : title, truncated };
}

/**
 * Drops trailing spaces and tabs. A loop, not `/[ \t]+$/`: that regex is quadratic on a long
 * run of blanks that does not end the line (hostile pages stall the event loop for minutes).
 */
function trimBlankEnd(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}
