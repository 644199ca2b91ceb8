"""Drive the project's tslab kernel through the real Jupyter client, for test/scripts/front-end.test.ts.

  python3 test/helpers/jupyter-session.py cells CELLS.json
      Start one kernel, run each cell of the JSON list in turn and print one JSON object: the
      kernel's process id at the start and the end, and per cell its status (ok, error, or dead when
      no reply came), the text it printed and returned (messages arriving shortly after the reply,
      such as a warning about a rejected promise, count for their cell) and whether the kernel was
      still alive after it.
  python3 test/helpers/jupyter-session.py notebook IN.ipynb OUT_BASE RERUN...
      Execute IN.ipynb with nbclient, run the cells at the RERUN indices again in the same kernel (as
      a student re-running a cell), and save OUT_BASE.ipynb plus its nbconvert page OUT_BASE.html the
      way scripts/run-notebooks.py writes course pages.
"""
import importlib.util
import argparse
import json
import os
import queue
import sys
import time

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["JUPYTER_PATH"] = os.path.join(ROOT, "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", "")


def runner():
    """scripts/run-notebooks.py as a module (its name has a dash), for its page writer."""
    spec = importlib.util.spec_from_file_location("run_notebooks", os.path.join(ROOT, "scripts", "run-notebooks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def message_text(msg):
    """The text a kernel message shows in a cell (stream, result, display, error), or ''."""
    kind, content = msg["header"]["msg_type"], msg["content"]
    if kind == "stream":
        return content["text"]
    if kind in ("execute_result", "display_data"):
        return content["data"].get("text/plain", "") + "\n"
    if kind == "error":
        return "\n".join(content.get("traceback", [])) or content.get("evalue", "")
    return ""


def run_cells(cells, timeout=180, linger=1.0):
    km = KernelManager(kernel_name="tslab")
    km.start_kernel(cwd=ROOT)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    pid_start = km.provisioner.process.pid
    results = []
    try:
        for code in cells:
            msg_id = kc.execute(code)
            entry = {"status": "dead", "text": "", "alive": True}
            results.append(entry)
            deadline, idle_at = time.time() + timeout, None
            # Read iopub until this cell is idle, then `linger` more seconds for late output.
            while time.time() < deadline and (idle_at is None or time.time() < idle_at + linger):
                try:
                    msg = kc.get_iopub_msg(timeout=0.2)
                except queue.Empty:
                    if not km.is_alive():
                        break
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                entry["text"] += message_text(msg)
                if msg["header"]["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle_at = time.time()
            while idle_at is not None and entry["status"] == "dead":
                try:
                    reply = kc.get_shell_msg(timeout=5)
                except queue.Empty:
                    break
                if reply["parent_header"].get("msg_id") == msg_id:
                    entry["status"] = reply["content"]["status"]
            entry["alive"] = km.is_alive()
            if not entry["alive"]:
                break
        pid_end = km.provisioner.process.pid if km.is_alive() else None
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {"pid_start": pid_start, "pid_end": pid_end, "cells": results}


def run_notebook(path, out_base, rerun):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="tslab", timeout=300, startup_timeout=120,
                            resources={"metadata": {"path": ROOT}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        for index in rerun:
            client.execute_cell(nb.cells[index], index)
    nbformat.write(nb, out_base + ".ipynb")
    runner().write_html(nb, out_base)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "cells":
        with open(sys.argv[2], encoding="utf-8") as f:
            print(json.dumps(run_cells(json.load(f))))
    elif len(sys.argv) >= 4 and sys.argv[1] == "notebook":
        run_notebook(sys.argv[2], sys.argv[3], [int(i) for i in sys.argv[4:]])
    else:
        usage = argparse.ArgumentParser(usage=__doc__)
        usage.error("give `cells FILE` or `notebook FILE BASE [CELL ...]`")  # prints the usage, exits with status 2


if __name__ == "__main__":
    main()
