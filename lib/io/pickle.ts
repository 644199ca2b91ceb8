/**
 * A restricted unpickler: it interprets the pickle opcodes a PyTorch state_dict uses and executes
 * nothing. Every GLOBAL must be on an allow-list the caller gives (like `torch.load(weights_only=True)`);
 * any other global is rejected by name before anything else happens. REDUCE and persistent ids are
 * handed to the caller, which builds plain records.
 *
 * Python objects become: dict / OrderedDict -> Map, list and tuple -> Array, str -> string,
 * int -> number (bigint when beyond 2^53), float -> number, bytes -> Uint8Array, None -> null.
 */

/** A global the allow-list accepted, e.g. `{module: "collections", name: "OrderedDict"}`. */
export interface PickleGlobal {
  kind: "global";
  module: string;
  name: string;
}

export interface UnpickleHooks {
  /** where the pickle came from, for error messages */
  source: string;
  /** allowed globals as "module.name" */
  allowedGlobals: ReadonlySet<string>;
  /** REDUCE of an allowed global with its argument tuple */
  reduce(fn: PickleGlobal, args: unknown[]): unknown;
  /** BINPERSID with the persistent id */
  persistentLoad(pid: unknown): unknown;
}

const MARK = Symbol("mark");

export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const fail = (msg: string): never => {
    throw new Error(`${hooks.source}: ${msg}`);
  };
  const need = (n: number) => {
    if (p + n > buf.length) fail("truncated pickle");
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail("corrupt pickle (stack underflow)");
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("corrupt pickle (no MARK)");
    return stack.splice(m as number);
  };
  const top = (): unknown => stack[stack.length - 1];
  const str = (n: number, enc: "utf8" | "latin1") => {
    need(n);
    const s = buf.toString(enc, p, p + n);
    p += n;
    return s;
  };
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) fail("truncated pickle");
    const s = buf.toString("utf8", p, end);
    p = end + 1;
    return s;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const full = `${module}.${name}`;
    if (!hooks.allowedGlobals.has(full)) {
      fail(`refusing to unpickle: it references the global ${full}, which is not on the allow-list (${[...hooks.allowedGlobals].join(", ")}); a state_dict never needs it, and loading it could run code. Only load checkpoints you trust with PyTorch itself.`);
    }
    return { kind: "global", module, name };
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (!(d instanceof Map)) fail("corrupt pickle (SETITEM on a non-dict)");
    for (let i = 0; i + 1 < items.length; i += 2) (d as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const longLE = (n: number): number | bigint => {
    need(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i]);
    if (buf[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    p += n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    need(1);
    const op = buf[p++];
    switch (op) {
      case 0x80: need(1); p += 1; break; // PROTO
      case 0x95: need(8); p += 8; break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); (top() as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as unknown[]).push(...items); break; } // APPENDS
      case 0x71: need(1); memo.set(buf[p++], top()); break; // BINPUT
      case 0x72: need(4); memo.set(buf.readUInt32LE(p), top()); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: { need(1); const k = buf[p++]; if (!memo.has(k)) fail(`corrupt pickle (memo ${k})`); stack.push(memo.get(k)); break; } // BINGET
      case 0x6a: { need(4); const k = buf.readUInt32LE(p); p += 4; if (!memo.has(k)) fail(`corrupt pickle (memo ${k})`); stack.push(memo.get(k)); break; } // LONG_BINGET
      case 0x4a: need(4); stack.push(buf.readInt32LE(p)); p += 4; break; // BININT
      case 0x4b: need(1); stack.push(buf[p++]); break; // BININT1
      case 0x4d: need(2); stack.push(buf.readUInt16LE(p)); p += 2; break; // BININT2
      case 0x8a: { need(1); const n = buf[p++]; stack.push(longLE(n)); break; } // LONG1
      case 0x8b: { need(4); const n = buf.readInt32LE(p); p += 4; stack.push(longLE(n)); break; } // LONG4
      case 0x47: need(8); stack.push(buf.readDoubleBE(p)); p += 8; break; // BINFLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x58: { need(4); const n = buf.readUInt32LE(p); p += 4; stack.push(str(n, "utf8")); break; } // BINUNICODE
      case 0x8c: { need(1); const n = buf[p++]; stack.push(str(n, "utf8")); break; } // SHORT_BINUNICODE
      case 0x8d: { need(8); const n = Number(buf.readBigUInt64LE(p)); p += 8; stack.push(str(n, "utf8")); break; } // BINUNICODE8
      case 0x54: { need(4); const n = buf.readInt32LE(p); p += 4; stack.push(str(n, "latin1")); break; } // BINSTRING
      case 0x55: { need(1); const n = buf[p++]; stack.push(str(n, "latin1")); break; } // SHORT_BINSTRING
      case 0x42: { need(4); const n = buf.readUInt32LE(p); p += 4; need(n); stack.push(Uint8Array.from(buf.subarray(p, p + n))); p += n; break; } // BINBYTES
      case 0x43: { need(1); const n = buf[p++]; need(n); stack.push(Uint8Array.from(buf.subarray(p, p + n))); p += n; break; } // SHORT_BINBYTES
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push(global(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop() as PickleGlobal;
        if (!fn || fn.kind !== "global" || !Array.isArray(args)) fail("corrupt pickle (REDUCE without a global and an argument tuple)");
        stack.push(hooks.reduce(fn, args as unknown[]));
        break;
      }
      case 0x62: { // BUILD: only the `_metadata` attribute of a state_dict, which we do not need
        pop();
        if (!(top() instanceof Map)) fail("unsupported pickle: BUILD (object state) on something other than a dict");
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}; only the opcodes of a plain tensor state_dict are interpreted`);
    }
  }
}
