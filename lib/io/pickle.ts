/**
 * A restricted unpickler: it interprets the pickle opcodes a PyTorch state_dict uses and executes
 * nothing. Every GLOBAL must be on an allow-list the caller gives (like `torch.load(weights_only=True)`);
 * any other global is rejected by name before anything else happens. REDUCE and persistent ids are
 * handed to the caller, which builds plain records.
 *
 * Python objects become: dict / OrderedDict -> Map, list and tuple -> Array, str -> string,
 * int -> number (bigint when beyond 2^53), float -> number, bytes -> Uint8Array, None -> null.
 *
 * A pickle is a program, so every length and memo index it gives is checked before it is used, and
 * every opcode outside the short list below is refused: bad input ends in an AdmInputError naming
 * the byte, never in a loop, a crash or an allocation the file's size does not justify.
 */
import { describe, isCount, refuse } from "./errors";

/** A global the allow-list accepted, e.g. `{module: "collections", name: "OrderedDict"}`. */
export interface PickleGlobal {
  kind: "global";
  module: string;
  name: string;
}

export interface UnpickleHooks {
  /** the file the pickle came from, for error messages */
  source: string;
  /** the zip member it came from ("archive/data.pkl"), for error messages */
  member: string;
  /** allowed globals as "module.name" */
  allowedGlobals: ReadonlySet<string>;
  /** REDUCE of an allowed global with its argument tuple */
  reduce(fn: PickleGlobal, args: unknown[]): unknown;
  /** BINPERSID with the persistent id */
  persistentLoad(pid: unknown): unknown;
}

/** Memo slots a pickle may name (torch.save uses a few per tensor; 16M is far beyond any state_dict). */
const MAX_MEMO = 1 << 24;

export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  let op = 0;
  let opAt = 0;
  const fail = (msg: string, fix = "the checkpoint is damaged, or was not written by torch.save: save or download it again"): never =>
    refuse(hooks.source, `${hooks.member} byte ${opAt} (opcode 0x${op.toString(16).padStart(2, "0")})`, msg, fix);
  // every length a pickle gives is checked here before the cursor moves: a negative or oversized one
  // would move it backwards (and loop forever) or past the end
  const need = (n: number) => {
    if (!isCount(n)) fail(`corrupt pickle (length ${n})`);
    if (n > buf.length - p) fail(`truncated pickle (${n} bytes asked for, ${buf.length - p} left)`);
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fail("corrupt pickle (stack underflow)");
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("corrupt pickle (no MARK)");
    return stack.splice(m as number);
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("corrupt pickle (empty stack)");
    return stack[stack.length - 1];
  };
  const str = (n: number, enc: "utf8" | "latin1") => {
    need(n);
    const s = buf.toString(enc, p, p + n);
    p += n;
    return s;
  };
  const bytesOf = (n: number) => {
    need(n);
    const b = Uint8Array.from(buf.subarray(p, p + n));
    p += n;
    return b;
  };
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0 || end - p > 256) fail("truncated pickle (a GLOBAL without its newline)");
    const s = buf.toString("utf8", p, end);
    p = end + 1;
    return s;
  };
  const global = (module: unknown, name: unknown): PickleGlobal => {
    if (typeof module !== "string" || typeof name !== "string")
      fail(`corrupt pickle (a global named by ${describe(module)} and ${describe(name)}, not strings)`);
    const full = `${module}.${name}`;
    if (!hooks.allowedGlobals.has(full)) {
      fail(
        `refusing to unpickle: it references the global ${full}, which is not on the allow-list (${[...hooks.allowedGlobals].join(", ")})`,
        "a state_dict never needs it, and loading it could run code. Only load checkpoints you trust with PyTorch itself",
      );
    }
    return { kind: "global", module: module as string, name: name as string };
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (!(d instanceof Map)) fail(`corrupt pickle (SETITEM on ${describe(d)}, not a dict)`);
    if (items.length % 2 !== 0) fail("corrupt pickle (SETITEMS with a key and no value)");
    for (let i = 0; i < items.length; i += 2) (d as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendTo = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) fail(`corrupt pickle (APPEND to ${describe(l)}, not a list)`);
    for (const v of items) (l as unknown[]).push(v);
  };
  const put = (k: number) => {
    if (k >= MAX_MEMO) fail(`corrupt pickle (memo slot ${k})`);
    memo.set(k, top());
  };
  const get = (k: number) => {
    if (!memo.has(k)) fail(`corrupt pickle (memo ${k} was never stored)`);
    stack.push(memo.get(k));
  };
  // little-endian two's complement of n bytes (LONG1, LONG4); linear time however long
  const longLE = (n: number): number | bigint => {
    need(n);
    if (n === 0) return 0;
    const hex = Buffer.from(buf.subarray(p, p + n))
      .reverse()
      .toString("hex");
    let v = BigInt(`0x${hex}`);
    if (buf[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    p += n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const u64 = () => {
    need(8);
    const v = buf.readBigUInt64LE(p);
    p += 8;
    return v > BigInt(buf.length) ? buf.length + 1 : Number(v);
  };

  for (;;) {
    if (p >= buf.length) {
      opAt = p;
      fail("truncated pickle (no STOP)");
    }
    opAt = p;
    op = buf[p++];
    switch (op) {
      case 0x80: {
        need(1);
        const v = buf[p++];
        if (v < 2 || v > 5) fail(`pickle protocol ${v} (torch.save writes 2)`);
        break;
      } // PROTO
      case 0x95:
        u64();
        break; // FRAME (a length hint; every read is bounds-checked anyway)
      case 0x2e: {
        const v = pop();
        if (stack.length || marks.length) fail("corrupt pickle (values left on the stack at STOP)");
        return v;
      } // STOP
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x61: {
        const v = pop();
        appendTo(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendTo(top(), items);
        break;
      } // APPENDS
      case 0x71:
        need(1);
        put(buf[p++]);
        break; // BINPUT
      case 0x72:
        need(4);
        put(buf.readUInt32LE(p));
        p += 4;
        break; // LONG_BINPUT
      case 0x94:
        put(memo.size);
        break; // MEMOIZE
      case 0x68:
        need(1);
        get(buf[p++]);
        break; // BINGET
      case 0x6a: {
        need(4);
        const k = buf.readUInt32LE(p);
        p += 4;
        get(k);
        break;
      } // LONG_BINGET
      case 0x4a:
        need(4);
        stack.push(buf.readInt32LE(p));
        p += 4;
        break; // BININT
      case 0x4b:
        need(1);
        stack.push(buf[p++]);
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(buf.readUInt16LE(p));
        p += 2;
        break; // BININT2
      case 0x8a: {
        need(1);
        const n = buf[p++];
        stack.push(longLE(n));
        break;
      } // LONG1
      case 0x8b: {
        need(4);
        const n = buf.readInt32LE(p);
        p += 4;
        stack.push(longLE(n));
        break;
      } // LONG4
      case 0x47:
        need(8);
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break; // BINFLOAT
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x58: {
        need(4);
        const n = buf.readUInt32LE(p);
        p += 4;
        stack.push(str(n, "utf8"));
        break;
      } // BINUNICODE
      case 0x8c: {
        need(1);
        const n = buf[p++];
        stack.push(str(n, "utf8"));
        break;
      } // SHORT_BINUNICODE
      case 0x8d:
        stack.push(str(u64(), "utf8"));
        break; // BINUNICODE8
      case 0x54: {
        need(4);
        const n = buf.readInt32LE(p);
        p += 4;
        stack.push(str(n, "latin1"));
        break;
      } // BINSTRING
      case 0x55: {
        need(1);
        const n = buf[p++];
        stack.push(str(n, "latin1"));
        break;
      } // SHORT_BINSTRING
      case 0x42: {
        need(4);
        const n = buf.readUInt32LE(p);
        p += 4;
        stack.push(bytesOf(n));
        break;
      } // BINBYTES
      case 0x43: {
        need(1);
        const n = buf[p++];
        stack.push(bytesOf(n));
        break;
      } // SHORT_BINBYTES
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        stack.push(global(module, name));
        break;
      } // STACK_GLOBAL
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop() as PickleGlobal;
        if (!fn || typeof fn !== "object" || fn.kind !== "global" || !Array.isArray(args))
          fail(`corrupt pickle (REDUCE of ${describe(fn)} with ${describe(args)}, not a global and an argument tuple)`);
        stack.push(hooks.reduce(fn, args as unknown[]));
        break;
      }
      case 0x62: {
        // BUILD: only the `_metadata` attribute of a state_dict, which we do not need
        pop();
        if (!(top() instanceof Map)) fail("unsupported pickle: BUILD (object state) on something other than a dict");
        break;
      }
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      default:
        fail(
          `unsupported pickle opcode 0x${op.toString(16)}; only the opcodes of a plain tensor state_dict are interpreted`,
          "save a plain state_dict (model.state_dict()) with torch.save, or convert it to safetensors",
        );
    }
  }
}
