/** Data sets: Fashion-MNIST (IDX files from Debian's package, a download or the committed subset) and the ImageNet class names. */
export { readIdx, parseIdx, type IdxArray } from "./idx";
export { loadFashionMnist, toSignedImages, fashionMnistDirs, FASHION_CLASSES, type LabeledImages, type LoadOptions, type Split } from "./fashion-mnist";
export { IMAGENET_SYNSETS, imagenetClassName, imagenetLemmas, imagenetClassIndex } from "./imagenet-classes";
