import { AdmInputError } from "../../lib/io";
import { allocFor, checkShape } from "../../lib/io/tensor-record";
import { thrown } from "../helpers/memory";

describe("tensor records read from files", () => {
  test("checkShape keeps honest shapes and refuses every other kind of value, naming the file and place", () => {
    expect(checkShape([2, 0, 3], "f", "x")).toEqual([2, 0, 3]);
    expect(checkShape([], "f", "x")).toEqual([]);
    for (const bad of [[-1], [1.5], ["4"], [null], [NaN], [Infinity], [2 ** 53], "4", null, { 0: 1 }, [2 ** 30, 2 ** 30, 2 ** 30]]) {
      const e = thrown(() => checkShape(bad, "f.bin", "tensor w"));
      expect(e).toBeInstanceOf(AdmInputError);
      expect(e.message).toMatch(/^f\.bin: the shape .* \(at tensor w\); /);
    }
  });

  test("an allocation the machine cannot make is refused by file, not left as a RangeError", () => {
    const e = thrown(() => allocFor("float64", 2 ** 50, "big.safetensors", "tensor w"));
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e.message).toMatch(/^big\.safetensors: cannot allocate 9007199254740992 bytes \(.+\) \(at tensor w\); free memory/);
    expect(allocFor("int32", 3, "f", "x")).toEqual(new Int32Array(3));
  });
});
