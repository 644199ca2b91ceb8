import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { readNpz, writeNpy } from "../../lib/io";
import { crc32 } from "../../lib/io/crc32";
import { readFileSync } from "fs";

/**
 * A zip whose sizes and offsets live only in zip64 records (what torch.save writes past 4 GB): every
 * 32-bit field is 0xFFFFFFFF, the real values are in the zip64 extra field and zip64 end record.
 */
function zip64Archive(name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(45, 4);
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(0xffffffff, 18);
  local.writeUInt32LE(0xffffffff, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(20, 28);
  const localExtra = Buffer.alloc(20);
  localExtra.writeUInt16LE(1, 0);
  localExtra.writeUInt16LE(16, 2);
  localExtra.writeBigUInt64LE(BigInt(data.length), 4);
  localExtra.writeBigUInt64LE(BigInt(data.length), 12);
  const body = Buffer.concat([local, nameBytes, localExtra, data]);
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0);
  cd.writeUInt16LE(45, 4);
  cd.writeUInt16LE(45, 6);
  cd.writeUInt32LE(crc32(data), 16);
  cd.writeUInt32LE(0xffffffff, 20);
  cd.writeUInt32LE(0xffffffff, 24);
  cd.writeUInt16LE(nameBytes.length, 28);
  cd.writeUInt16LE(28, 30);
  cd.writeUInt32LE(0xffffffff, 42);
  const cdExtra = Buffer.alloc(28);
  cdExtra.writeUInt16LE(1, 0);
  cdExtra.writeUInt16LE(24, 2);
  cdExtra.writeBigUInt64LE(BigInt(data.length), 4);
  cdExtra.writeBigUInt64LE(BigInt(data.length), 12);
  cdExtra.writeBigUInt64LE(0n, 20);
  const central = Buffer.concat([cd, nameBytes, cdExtra]);
  const z64 = Buffer.alloc(56);
  z64.writeUInt32LE(0x06064b50, 0);
  z64.writeBigUInt64LE(44n, 4);
  z64.writeBigUInt64LE(1n, 24);
  z64.writeBigUInt64LE(1n, 32);
  z64.writeBigUInt64LE(BigInt(central.length), 40);
  z64.writeBigUInt64LE(BigInt(body.length), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(body.length + central.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([body, central, z64, locator, end]);
}

test("zip64 archives are located through the zip64 end record and extra fields", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "adm-zip64-"));
  writeNpy(path.join(dir, "a.npy"), { dtype: "float32", shape: [3], data: new Float32Array([1, -2, 3.5]) });
  const file = path.join(dir, "big.npz");
  writeFileSync(file, zip64Archive("a.npy", readFileSync(path.join(dir, "a.npy"))));
  const z = readNpz(file);
  expect(Array.from(z.get("a")!.data as Float32Array)).toEqual([1, -2, 3.5]);
});
