import { IMAGENET_SYNSETS, imagenetClassIndex, imagenetClassName, imagenetLemmas } from "../../lib/data";

test("1000 classes in the order of sorted WordNet ids, as guided-diffusion's image_datasets.py numbers them", () => {
  expect(IMAGENET_SYNSETS).toHaveLength(1000);
  const ids = IMAGENET_SYNSETS.map(([id]) => id);
  expect(new Set(ids).size).toBe(1000);
  expect(ids.every((id) => /^n\d{8}$/.test(id))).toBe(true);
  expect(ids.slice().sort()).toEqual(ids);
  expect(IMAGENET_SYNSETS[0]).toEqual(["n01440764", "tench, Tinca tinca"]);
  expect(IMAGENET_SYNSETS[999]).toEqual(["n15075141", "toilet tissue, toilet paper, bathroom tissue"]);
});

test("263 is the Pembroke Welsh corgi, the class of the paper's Figure 3", () => {
  expect(IMAGENET_SYNSETS[263][0]).toBe("n02113023");
  expect(imagenetLemmas(263)).toEqual(["Pembroke", "Pembroke Welsh corgi"]);
  expect(imagenetClassName(263)).toBe("Pembroke, Pembroke Welsh corgi");
  expect(imagenetClassIndex("Pembroke Welsh corgi")).toBe(263);
  expect(imagenetClassIndex("pembroke welsh corgi")).toBe(263);
  expect(imagenetClassIndex("n02113023")).toBe(263);
  expect(imagenetClassIndex("golden retriever")).toBe(207);
});

test("unknown and ambiguous names are refused with the classes they might mean", () => {
  expect(() => imagenetClassIndex("corgi")).toThrow(
    /no ImageNet class is called "corgi"; classes containing it: 263 \(Pembroke, Pembroke Welsh corgi\), 264 \(Cardigan, Cardigan Welsh corgi\)/,
  );
  expect(() => imagenetClassIndex("crane")).toThrow(/"crane" names several ImageNet classes: 134 \(crane\), 517 \(crane\)/);
  expect(() => imagenetClassName(1000)).toThrow(/integer in 0..999, got 1000/);
});
