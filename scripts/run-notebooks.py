"""Execute notebooks headlessly with the project's tslab kernel (nbclient), write each executed
notebook and its HTML page, and report the failing cell with its error text.

Usage: python3 scripts/run-notebooks.py --out DIR [--html] [--timeout S] NOTEBOOK...
Prints one line per notebook (status, seconds, path) and ends with 'notebooks: N passed, N failed'.
Exit status 1 when any notebook fails. Every file is written through a temporary file renamed into
place, so an interrupted run never leaves a partial notebook or page under its final name.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["JUPYTER_PATH"] = os.path.join(ROOT, "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", "")
# Figures in a page load plotly.js from this file next to the page (lib/viz/plot.ts), so that a
# notebook does not carry 4.8 MB of it.
PLOTLY_JS = os.path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js")


def remove_stale_temps(path):
    """Remove the temporary files beside `path` (`NAME.tmp-PID-...`, as lib/io/write-files.ts names
    them) whose writer is no longer running."""
    folder, prefix = os.path.dirname(path) or ".", os.path.basename(path) + ".tmp-"
    for name in os.listdir(folder):
        pid = name[len(prefix):].split("-", 1)[0] if name.startswith(prefix) else ""
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, name))
        except PermissionError:
            pass  # running, as another user


def write_atomically(path, write):
    """Write `path` through a temporary file beside it, flushed to disk and renamed into place only
    when complete: a killed run leaves the previous file or the new one, never a part of one, and a
    failed write leaves no temporary file. `write` gets the open text file."""
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=f"{os.path.basename(path)}.tmp-{os.getpid()}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_writable(folder):
    """Make `folder` and check it takes a file, before any notebook runs."""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".adm-write-check.tmp-{os.getpid()}-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        print(f"error: --out {folder}: cannot write there ({e.strerror}); choose a folder this user can create files in", file=sys.stderr)
        sys.exit(2)


def report_failure(path, index, cell, error):
    print(f"--- {path}: cell {index} failed ({type(error).__name__})", file=sys.stderr)
    if cell is None:
        print(str(error), file=sys.stderr)
        return
    print(cell.source, file=sys.stderr)
    print("--- output:", file=sys.stderr)
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = out["text"]
            print(f"[{out['name']}] {text}", end="" if text.endswith("\n") else "\n", file=sys.stderr)
    if isinstance(error, (CellTimeoutError, DeadKernelError)):
        print(str(error), file=sys.stderr)


def write_html(nb, base):
    """Write BASE.html for an executed notebook, with the plotly.js its figures load next to it."""
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(nb)
    write_atomically(base + ".html", lambda f: f.write(body))
    asset = os.path.join(os.path.dirname(base), "plotly.min.js")
    if not os.path.exists(asset) or os.path.getsize(asset) != os.path.getsize(PLOTLY_JS):
        with open(PLOTLY_JS, encoding="utf-8") as src:
            js = src.read()
        write_atomically(asset, lambda f: f.write(js))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--html", action="store_true", help="also write NAME.html")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell timeout, seconds")
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args()
    check_writable(args.out)
    failed = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        current = {}
        client = NotebookClient(
            nb, kernel_name="tslab", timeout=args.timeout, startup_timeout=120,
            resources={"metadata": {"path": ROOT}},
            on_cell_start=lambda cell, cell_index: current.update(cell=cell, index=cell_index))
        t0 = time.time()
        try:
            client.execute()
            status = "ok"
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
            failed += 1
            status = "FAILED"
            report_failure(path, current.get("index"), current.get("cell"), e)
        base = os.path.join(args.out, os.path.splitext(os.path.basename(path))[0])
        write_atomically(base + ".ipynb", lambda f: nbformat.write(nb, f))
        if args.html:
            write_html(nb, base)
        print(f"{status:6} {time.time() - t0:6.1f}s  {path}", flush=True)
    print(f"notebooks: {len(args.notebooks) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
