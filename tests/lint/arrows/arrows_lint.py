#!/usr/bin/env python3
"""Dependency-arrow lint: no source file includes across a forbidden arrow.

The top-level folders form a one-way graph (docs/architecture.md):
    base <- zk <- consensus <- node,  proto <- node,
    {base, zk, consensus/types, proto} <- wallet,
and inside consensus, types <- ledger and types <- bft (ledger and bft do not see each
other). A quoted include whose first path component is one of ours (base, zk, consensus,
node, wallet, tests, or hito/ for the generated protobuf headers) must be allowed for the
including file's module; anything else is a finding, printed as path:line: what, and the
lint exits 1. Angle-bracket includes are system and third-party headers and are not
checked here. tests/ may include anything; production code may never include tests/.

Usage: arrows_lint.py <repo root>        lint the tree
       arrows_lint.py --self-test        plant a violation of every arrow and check each
                                         is found (and a clean tree passes)
"""
import os
import re
import sys
import tempfile

SOURCE_EXTENSIONS = (".h", ".cc")
OURS = ("base/", "zk/", "consensus/", "node/", "wallet/", "tests/", "hito/", "proto/")

# Including module (longest prefix wins) -> include prefixes it may use.
ALLOWED = {
    "base/": ("base/",),
    "zk/": ("base/", "zk/"),
    "consensus/types/": ("base/", "zk/", "consensus/types/"),
    "consensus/ledger/": ("base/", "zk/", "consensus/types/", "consensus/ledger/"),
    "consensus/bft/": ("base/", "zk/", "consensus/types/", "consensus/bft/"),
    "consensus/": ("base/", "zk/", "consensus/"),
    # hito/v1/ is the public API (proto/), hito/p2p/ the peer protocol (node/p2p/proto/).
    "node/": ("base/", "zk/", "consensus/", "node/", "hito/v1/", "hito/p2p/"),
    "wallet/": ("base/", "zk/", "consensus/types/", "hito/v1/", "wallet/"),
}

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"')


def module_of(rel):
    best = None
    for prefix in ALLOWED:
        if rel.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def lint_file(root, rel):
    module = module_of(rel)
    if module is None:
        return []
    findings = []
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = m.group(1)
            if not target.startswith(OURS):
                continue
            if not target.startswith(ALLOWED[module]):
                findings.append(f"{rel}:{lineno}: {module.rstrip('/')} may not include "
                                f"\"{target}\" (allowed: {', '.join(ALLOWED[module])})")
    return findings


def lint_tree(root):
    findings = []
    for top in ("base", "zk", "consensus", "node", "wallet"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTENSIONS):
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    findings.extend(lint_file(root, rel.replace(os.sep, "/")))
    return findings


# Each planted file breaks exactly one arrow; the self-test expects one finding each.
PLANTED = {
    "base/planted.h": '#include "zk/point.h"\n',
    "zk/planted.cc": '#include "consensus/types/block.h"\n',
    "zk/planted2.cc": '#include "node/node.h"\n',
    "consensus/types/planted.cc": '#include "consensus/ledger/ledger.h"\n',
    "consensus/ledger/planted.cc": '#include "consensus/bft/state_machine.h"\n',
    "consensus/bft/planted.cc": '#include "node/chain/engine.h"\n',
    "consensus/ledger/planted2.h": '#include "hito/v1/tx.pb.h"\n',
    "wallet/planted.cc": '#include "node/rpc/server.h"\n',
    "wallet/planted2.cc": '#include "consensus/ledger/ledger.h"\n',
    "node/planted.cc": '#include "wallet/cli.h"\n',
    "node/planted2.cc": '#include "tests/support/keys.h"\n',
}
CLEAN = {
    "base/clean.h": '#include "base/status.h"\n#include <vector>\n',
    "zk/clean.cc": '#include "base/bytes.h"\n#include "zk/point.h"\n',
    "consensus/bft/clean.cc": '#include "consensus/types/vote.h"\n#include "zk/scalar.h"\n',
    "node/clean.cc": '#include "consensus/ledger/ledger.h"\n#include "hito/v1/tx.pb.h"\n'
                     '#include "hito/p2p/v1/p2p.pb.h"\n#include <leveldb/db.h>\n',
    "wallet/clean.cc": '#include "consensus/types/transaction.h"\n#include "hito/v1/tx.pb.h"\n'
                       '// #include "node/node.h" in a comment line is not an include\n',
}


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def self_test():
    failures = []
    with tempfile.TemporaryDirectory() as root:
        write_tree(root, CLEAN)
        if lint_tree(root):
            failures.append(f"clean tree flagged: {lint_tree(root)}")
        write_tree(root, PLANTED)
        findings = lint_tree(root)
        for rel in PLANTED:
            hits = [f for f in findings if f.startswith(rel + ":")]
            if len(hits) != 1:
                failures.append(f"{rel}: expected one finding, got {hits}")
        extra = [f for f in findings if f.split(":")[0] not in PLANTED]
        if extra:
            failures.append(f"unexpected findings: {extra}")
    for f in failures:
        print("self-test: " + f)
    print(f"self-test: {len(PLANTED)} planted violations, "
          f"{'all found' if not failures else str(len(failures)) + ' problems'}")
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    findings = lint_tree(argv[1])
    for f in findings:
        print(f)
    print(f"arrows lint: {len(findings)} forbidden include(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
