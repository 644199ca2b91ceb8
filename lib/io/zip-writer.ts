/** Write a zip of STORED entries (what numpy.savez writes), atomically. Limited to 4 GB (no zip64). */
import { crc32 } from "./crc32";
import { refuse } from "./errors";
import { StagedFile, stageFile, writeAll } from "./write-files";

export interface ZipFile {
  name: string;
  /** the entry's bytes, possibly in several pieces (written in order, never concatenated) */
  chunks: Uint8Array[];
}

/** Stage a zip of `files` beside `path` (see write-files.ts); nothing is at `path` until it is committed. */
export function stageStoredZip(path: string, files: ZipFile[]): StagedFile {
  return stageFile(path, (fd) => {
    let offset = 0;
    const central: Buffer[] = [];
    for (const f of files) {
      const name = Buffer.from(f.name, "utf8");
      let size = 0;
      let crc = 0;
      for (const c of f.chunks) {
        size += c.length;
        crc = crc32(c, crc);
      }
      if (size > 0xfffffffe || offset > 0xfffffffe)
        refuse(path, `member ${f.name}`, "the archive would pass 4 GB, and zip64 writing is not supported", "split the arrays into several files");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(size, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(20, 4);
      cd.writeUInt16LE(20, 6);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(size, 20);
      cd.writeUInt32LE(size, 24);
      cd.writeUInt16LE(name.length, 28);
      cd.writeUInt32LE(offset, 42);
      central.push(cd, name);
      writeAll(fd, local);
      writeAll(fd, name);
      for (const c of f.chunks) writeAll(fd, c);
      offset += 30 + name.length + size;
    }
    const cdBytes = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(files.length, 8);
    end.writeUInt16LE(files.length, 10);
    end.writeUInt32LE(cdBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    writeAll(fd, cdBytes);
    writeAll(fd, end);
  });
}

export function writeStoredZip(path: string, files: ZipFile[]): void {
  stageStoredZip(path, files).commit();
}
