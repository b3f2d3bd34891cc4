/**
 * Folding for look-alike detection: maps text to a plain-ASCII-ish skeleton while remembering,
 * for each folded character, where it came from. Invisible characters (zero-width, joiners,
 * bidi controls, soft hyphen, combining marks, variation selectors) are dropped; full-width forms,
 * angle-bracket homoglyphs and Cyrillic/Greek letters that look Latin become their ASCII twins;
 * other compatibility forms (mathematical letters, circled letters …) go through NFKC.
 */

const ANGLE_LEFT = new Set([
  0x2039, 0x2329, 0x27e8, 0x3008, 0x300a, 0xfe64, 0xff1c, 0x1438, 0x02c2, 0x276e, 0x276c, 0x27ea,
  0x2770, 0x29fc, 0x2a79, 0x2264, 0x226a, 0x22d8, 0x00ab, 0x1440, 0x2190, 0x25c0, 0x25c1, 0x140a,
]);
const ANGLE_RIGHT = new Set([
  0x203a, 0x232a, 0x27e9, 0x3009, 0x300b, 0xfe65, 0xff1e, 0x1433, 0x02c3, 0x276f, 0x276d, 0x27eb,
  0x2771, 0x29fd, 0x2a7a, 0x2265, 0x226b, 0x22d9, 0x00bb, 0x1441, 0x2192, 0x25b6, 0x25b7, 0x1405,
]);

/** Cyrillic and Greek letters that render like Latin ones. */
const LATIN_LOOKALIKES: Readonly<Record<number, string>> = {
  1040: "A",
  1042: "B",
  1057: "C",
  1045: "E",
  1053: "H",
  1030: "I",
  1032: "J",
  1050: "K",
  1052: "M",
  1054: "O",
  1056: "P",
  1029: "S",
  1058: "T",
  1061: "X",
  1059: "Y",
  1072: "a",
  1089: "c",
  1077: "e",
  1110: "i",
  1112: "j",
  1086: "o",
  1088: "p",
  1109: "s",
  1093: "x",
  1091: "y",
  1281: "d",
  1307: "q",
  1309: "w",
  913: "A",
  914: "B",
  917: "E",
  918: "Z",
  919: "H",
  921: "I",
  922: "K",
  924: "M",
  925: "N",
  927: "O",
  929: "P",
  932: "T",
  933: "Y",
  935: "X",
  959: "o",
  945: "a",
  953: "i",
  954: "k",
  957: "v",
  961: "p",
  964: "t",
  965: "u",
  628: "N",
  618: "I",
  7431: "E",
  7451: "T",
  640: "R",
  7424: "A",
  671: "L",
  7452: "U",
  // The rest of the Latin small capitals (NFKC leaves them alone).
  665: "B",
  7428: "C",
  7429: "D",
  42800: "F",
  610: "G",
  668: "H",
  7434: "J",
  7435: "K",
  7437: "M",
  7439: "O",
  7448: "P",
  42801: "S",
  7456: "V",
  7457: "W",
  655: "Y",
  7458: "Z",
};

export function isInvisible(code: number): boolean {
  return (
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x206f) ||
    code === 0xfeff ||
    code === 0x00ad ||
    code === 0x034f ||
    code === 0x061c ||
    code === 0x115f ||
    code === 0x1160 ||
    code === 0x17b4 ||
    code === 0x17b5 ||
    code === 0x180e ||
    code === 0x3164 ||
    code === 0xffa0 ||
    (code >= 0x0300 && code <= 0x036f) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0xe0000 && code <= 0xe0fff)
  );
}

export interface Folded {
  readonly text: string;
  /** `starts[i]` is the index in the original text where folded character i begins; one extra entry = original length. */
  readonly starts: readonly number[];
}

function foldCodePoint(code: number, char: string): string {
  if (code < 0x80) return char;
  if (isInvisible(code)) return "";
  if (code >= 0xff01 && code <= 0xff5e) return String.fromCharCode(code - 0xfee0);
  if (ANGLE_LEFT.has(code)) return "<";
  if (ANGLE_RIGHT.has(code)) return ">";
  const latin = LATIN_LOOKALIKES[code];
  if (latin !== undefined) return latin;
  if (
    code === 0x2017 ||
    code === 0x2010 ||
    code === 0x2011 ||
    code === 0x2012 ||
    code === 0x2013 ||
    code === 0x2014 ||
    code === 0xfe4d ||
    code === 0xfe4e ||
    code === 0xfe4f
  )
    return "_";
  if (
    code === 0x3000 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x00a0 ||
    code === 0x202f ||
    code === 0x205f
  )
    return " ";
  const nfkc = char.normalize("NFKC");
  if (nfkc === char) return char;
  // Keep only what NFKC made ASCII-ish; drop marks it split off.
  let out = "";
  for (const piece of nfkc) {
    const c = piece.codePointAt(0) ?? 0;
    if (!isInvisible(c)) out += c < 0x80 ? piece : (LATIN_LOOKALIKES[c] ?? piece);
  }
  return out;
}

/** Folds text (see module comment). Linear in the input length. */
export function foldLookalikes(text: string): Folded {
  let out = "";
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i) ?? 0;
    const width = code > 0xffff ? 2 : 1;
    const folded = code < 0x80 ? (text[i] ?? "") : foldCodePoint(code, text.slice(i, i + width));
    for (let k = 0; k < folded.length; k++) starts.push(i);
    out += folded;
    i += width;
  }
  starts.push(text.length);
  return { text: out, starts };
}
