// Run a Python script in real MicroPython (the WebAssembly port) under Node.
//
// Input: a JSON object on stdin:
//   {"script": "<python source>" or ["<source>", ...],    // a list: run in turn
//    "files": {"nocturne_fw/text.py": "<source>",          // written under /
//              "x.mpy": {"base64": "<bytes>"}, ...},
//    "heapsize": 4194304}                                  // optional, bytes
// The port only collects garbage between top-level runs (it cannot scan the wasm
// stack), and it grows its heap when an allocation does not fit: a list of scripts,
// sharing globals, is how a heap figure means something (test_heap_budget.py).
// Output: the script's stdout, line by line, on stdout. An uncaught Python
// exception prints its traceback on stderr and exits with status 1.
//
// Used by tests/firmware/mp.py (run_micropython). Install once with
// `npm ci` in this directory (package-lock.json pins the MicroPython build).
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const job = JSON.parse(await readStdin());
const out = [];
const err = [];
const mp = await loadMicroPython({
  heapsize: job.heapsize ?? 4 * 1024 * 1024,
  stdout: (line) => out.push(line),
  stderr: (line) => err.push(line),
});

function mkdirs(path) {
  let cur = "";
  for (const part of path.split("/").slice(0, -1)) {
    if (!part) continue;
    cur += "/" + part;
    try {
      mp.FS.mkdir(cur);
    } catch (e) {
      // already there
    }
  }
}

for (const [name, content] of Object.entries(job.files ?? {})) {
  const path = name.startsWith("/") ? name : "/" + name;
  mkdirs(path);
  // a string is UTF-8 text; {"base64": "..."} is binary (e.g. a .mpy file)
  const data = typeof content === "string" ? content : Buffer.from(content.base64, "base64");
  mp.FS.writeFile(path, data);
}

let status = 0;
try {
  for (const script of Array.isArray(job.script) ? job.script : [job.script]) {
    mp.runPython(script);
  }
} catch (e) {
  err.push(String(e && e.message ? e.message : e));
  status = 1;
}
process.stdout.write(out.map((l) => l + "\n").join(""));
if (err.length) process.stderr.write(err.map((l) => l + "\n").join(""));
process.exitCode = status;
