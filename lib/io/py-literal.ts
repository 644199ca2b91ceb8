/**
 * A parser for the Python literals an .npy header is made of (what numpy reads with
 * `ast.literal_eval`): dicts, tuples, lists, quoted strings, integers, True, False and None.
 * Parsing by structure, not by pattern, is what keeps a decoy `'descr': ...` inside another value
 * from being read as the header's own. Anything else (floats, names, calls, nesting deeper than
 * MAX_DEPTH) is a syntax error: the header is data, and nothing in it is evaluated.
 */

/** A Python tuple, kept apart from a list (numpy insists that `shape` is a tuple). */
export interface PyTuple {
  tuple: PyValue[];
}

export type PyValue = string | number | boolean | null | PyValue[] | PyTuple | Map<PyValue, PyValue>;

const MAX_DEPTH = 16;

/** Parse `text` as one Python literal; throws a plain Error saying what and where on bad syntax. */
export function parsePyLiteral(text: string): PyValue {
  let p = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${p} of ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text)}`);
  };
  const skip = () => {
    while (p < text.length && " \t\r\n".includes(text[p])) p++;
  };
  const eat = (c: string): boolean => {
    skip();
    if (text[p] !== c) return false;
    p++;
    return true;
  };

  const str = (quote: string): string => {
    let out = "";
    for (p++; ; p++) {
      if (p >= text.length) fail("unterminated string");
      const c = text[p];
      if (c === quote) {
        p++;
        return out;
      }
      if (c === "\n") fail("newline inside a string");
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[++p];
      const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", "0": "\0" };
      if (e in simple) {
        out += simple[e];
        continue;
      }
      const hex = e === "x" ? 2 : e === "u" ? 4 : 0;
      const digits = text.slice(p + 1, p + 1 + hex);
      if (!hex || !/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) fail(`unsupported escape \\${e ?? ""}`);
      out += String.fromCharCode(parseInt(digits, 16));
      p += hex;
    }
  };

  // a sequence of values up to `close`, comma separated, a trailing comma allowed; reports whether one was seen
  const items = (close: string, depth: number): { values: PyValue[]; comma: boolean } => {
    const values: PyValue[] = [];
    let comma = false;
    while (!eat(close)) {
      if (values.length > 0 && !comma) fail(`expected ',' or '${close}'`);
      values.push(value(depth + 1));
      comma = eat(",");
    }
    return { values, comma };
  };

  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    skip();
    const c = text[p];
    if (c === "'" || c === '"') return str(c);
    if (c === "(") {
      p++;
      const { values, comma } = items(")", depth);
      return values.length === 1 && !comma ? values[0] : { tuple: values };
    }
    if (c === "[") {
      p++;
      return items("]", depth).values;
    }
    if (c === "{") {
      p++;
      const d = new Map<PyValue, PyValue>();
      while (!eat("}")) {
        if (d.size > 0 && !eat(",")) fail("expected ',' or '}'");
        if (eat("}")) break;
        const k = value(depth + 1);
        if (typeof k === "object" && k !== null) fail("unhashable dict key");
        if (d.has(k)) fail(`duplicate key ${JSON.stringify(k)}`);
        if (!eat(":")) fail("expected ':'");
        d.set(k, value(depth + 1));
      }
      return d;
    }
    const word = /^(-?[0-9]+)L?\b|^(True|False|None)\b/.exec(text.slice(p, p + 32));
    if (!word) return fail("expected a literal");
    p += word[0].length;
    if (word[2]) return word[2] === "True" ? true : word[2] === "False" ? false : null;
    return Number(word[1]);
  };

  const v = value(0);
  skip();
  if (p !== text.length) fail("unexpected text after the literal");
  return v;
}
