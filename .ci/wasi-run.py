"""Runs one WASI test binary under the wasmtime Python package (PyPI `wasmtime`).

Usage: python3 wasi-run.py FILE.wasm [ARGS...]

A preview-1 module runs through its `_start`; a preview-2 component through the
`wasi:cli/run` export. The host's temporary directory is preopened as the guest's `/tmp`,
stdout and stderr are inherited, and the network is granted (which this package's preview-2
host does not honour for sockets: see .ci/wasi). The exit status is the guest's: 0 when its
`main` returned normally, 1 when it failed or trapped (a panic aborts a WASI test binary).
"""
import os
import sys
import tempfile

import wasmtime
from wasmtime import _ffi as ffi


def config(argv):
    cfg = wasmtime.WasiConfig()
    cfg.argv = argv
    cfg.inherit_stdout()
    cfg.inherit_stderr()
    cfg.preopen_dir(tempfile.gettempdir(), "/tmp")
    ffi.wasi_config_inherit_network(cfg.ptr())
    return cfg


def run_module(engine, path, argv):
    store = wasmtime.Store(engine)
    store.set_wasi(config(argv))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    return 0


def run_component(engine, path, argv):
    from wasmtime import component

    store = wasmtime.Store(engine)
    store.set_wasi(config(argv))
    linker = component.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, component.Component.from_file(engine, path))
    iface = None
    for version in ("0.2.6", "0.2.5", "0.2.4", "0.2.3", "0.2.2", "0.2.1", "0.2.0"):
        iface = instance.get_export_index(store, "wasi:cli/run@" + version)
        if iface is not None:
            break
    if iface is None:
        print(f"{path}: no wasi:cli/run export", file=sys.stderr)
        return 1
    run = instance.get_func(store, instance.get_export_index(store, "run", iface))
    result = run(store)
    return 0 if getattr(result, "tag", "ok") == "ok" else 1


def main():
    path = sys.argv[1]
    argv = [path] + sys.argv[2:]
    engine_config = wasmtime.Config()
    # A cache of compiled code (its TOML configuration), so that a binary is compiled once.
    cache = os.environ.get("FERRIO_WASMTIME_CACHE_CONFIG")
    if cache:
        engine_config.cache = cache
    engine = wasmtime.Engine(engine_config)
    with open(path, "rb") as f:
        # Preview-1 modules are version 1 of the binary format; components have a layer byte.
        is_component = f.read(8)[4:8] != b"\x01\x00\x00\x00"
    try:
        if is_component:
            return run_component(engine, path, argv)
        return run_module(engine, path, argv)
    except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
