"""Regenerate the Python stubs and type stubs of protos/loyalty/v1 into clients/python (`make gen`).

`--check` generates into a scratch directory and fails if anything differs from what is committed:
CI runs it so generated code never drifts from the protos.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = Path("loyalty") / "v1"
OUT_ROOT = ROOT / "clients" / "python"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out_root: Path) -> list[Path]:
    protos = sorted((PROTO_ROOT / PACKAGE_DIR).glob("*.proto"))
    assert protos, f"no protos under {PROTO_ROOT / PACKAGE_DIR}"
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *[str(p.relative_to(PROTO_ROOT)) for p in protos],
    ]
    # protoc resolves the relative proto paths against -I; run from the proto root to be sure.
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted(p for p in (out_root / PACKAGE_DIR).iterdir() if p.name.endswith(GENERATED_SUFFIXES))


def generated_files(root: Path) -> set[str]:
    directory = root / PACKAGE_DIR
    return (
        {p.name for p in directory.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}
        if directory.exists()
        else set()
    )


def check() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        scratch_root = Path(scratch)
        (scratch_root / PACKAGE_DIR).mkdir(parents=True)
        generate(scratch_root)
        fresh, committed = generated_files(scratch_root), generated_files(OUT_ROOT)
        stale = sorted(fresh ^ committed)
        stale += [
            name
            for name in sorted(fresh & committed)
            if not filecmp.cmp(
                scratch_root / PACKAGE_DIR / name, OUT_ROOT / PACKAGE_DIR / name, shallow=False
            )
        ]
    if stale:
        print(
            f"generated code is out of date with the protos: {', '.join(stale)}; run `make gen`",
            file=sys.stderr,
        )
        return 1
    print("generated code is up to date")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs are stale")
    if parser.parse_args().check:
        return check()
    for stale in generated_files(OUT_ROOT):
        (OUT_ROOT / PACKAGE_DIR / stale).unlink()
    for path in generate(OUT_ROOT):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
