#!/usr/bin/env python3
"""Determinism lint for consensus/: the code every node must run bit-identically.

Fails (exit 1, one line per finding as path:line: what) if any C++ file under
<root>/consensus/ includes a header that brings a clock, randomness, threads, files,
streams, unordered containers, the network or storage (grpc, leveldb, boost/asio,
spdlog), or uses floating point (float, double), rand(), time() or libsodium's
randombytes. Comments and string literals are ignored, so a comment may talk about a
"double spend". See docs/developer-notes.md and docs/protocol/state.md.

Usage: determinism_lint.py <repo root>        lint the tree
       determinism_lint.py --self-test        check the lint itself on temporary files
"""
import os
import re
import sys
import tempfile

SOURCE_EXTENSIONS = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx", ".inc", ".ipp")

BANNED_HEADERS = {
    "chrono", "random", "thread", "mutex", "shared_mutex", "condition_variable", "future",
    "atomic", "filesystem", "fstream", "iostream", "unordered_map", "unordered_set",
    "ctime", "time.h",
}
BANNED_HEADER_PREFIXES = ("grpc", "leveldb/", "boost/asio", "spdlog/", "spdlog.h")

# (pattern, message) over code with comments and strings removed.
BANNED_TOKENS = [
    (re.compile(r"\bfloat\b"), "floating point (float)"),
    (re.compile(r"\bdouble\b"), "floating point (double)"),
    (re.compile(r"randombytes"), "randomness (libsodium randombytes)"),
    (re.compile(r"\b(?:random_device|mt19937(?:_64)?|default_random_engine)\b"),
     "randomness (<random> engine)"),
    (re.compile(r"\b(?:system_clock|steady_clock|high_resolution_clock)\b"), "a clock"),
]
# Free-function calls: flagged unless called as a member (x.time(), x->rand()) or
# qualified by a namespace other than std.
BANNED_CALLS = [("rand", "randomness (rand())"), ("srand", "randomness (srand())"),
                ("time", "the clock (time())")]

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', re.MULTILINE)


def strip(text, keep_strings):
    """Blanks comments (and, unless keep_strings, string and char literals), keeping
    newlines so that line numbers stay right."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and nxt == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]{0,16})\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            chunk = text[i:j]
            out.append(chunk if keep_strings else re.sub(r"[^\n]", " ", chunk))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            chunk = text[i:j]
            out.append(chunk if keep_strings else c + " " * (len(chunk) - 2) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def lint_text(text):
    """Returns [(line, message)] for one file's contents."""
    findings = []
    no_comments = strip(text, keep_strings=True)
    for m in INCLUDE_RE.finditer(no_comments):
        header = m.group(1).strip()
        if header in BANNED_HEADERS or header.startswith(BANNED_HEADER_PREFIXES):
            findings.append((line_of(no_comments, m.start()), "includes <%s>" % header))
    code = strip(text, keep_strings=False)
    # Include lines were judged above; blank them so header names are not re-read as code.
    code = INCLUDE_RE.sub(lambda m: " " * len(m.group(0)), code)
    for pattern, message in BANNED_TOKENS:
        for m in pattern.finditer(code):
            findings.append((line_of(code, m.start()), "uses " + message))
    for name, message in BANNED_CALLS:
        for m in re.finditer(r"\b%s\s*\(" % name, code):
            before = code[:m.start()].rstrip()
            if before.endswith(".") or before.endswith("->"):
                continue  # a member function of our own
            if before.endswith("::"):
                qualifier = re.search(r"(\w*)\s*::$", before)
                if qualifier and qualifier.group(1) not in ("", "std"):
                    continue  # some_namespace::time(...), not the C library
            findings.append((line_of(code, m.start()), "uses " + message))
    return sorted(set(findings))


def lint_tree(root):
    base = os.path.join(root, "consensus")
    if not os.path.isdir(base):
        print("determinism lint: %s has no consensus/ folder" % root)
        return 2
    findings = []
    scanned = 0
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(SOURCE_EXTENSIONS):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            scanned += 1
            rel = os.path.relpath(path, root)
            findings += ["%s:%d: %s" % (rel, line, msg) for line, msg in lint_text(text)]
    for f in findings:
        print(f)
    if findings:
        print("determinism lint: %d finding(s) in consensus/ (see docs/developer-notes.md)"
              % len(findings))
        return 1
    print("determinism lint: %d files under consensus/ are clean" % scanned)
    return 0


# Each snippet must be flagged on its own; the clean file must not be.
SELF_TEST_BAD = [
    "#include <chrono>\n", "#include <random>\n", "#include <thread>\n",
    "#include <mutex>\n", "#include <atomic>\n", "#include <filesystem>\n",
    "#include <fstream>\n", "#include <iostream>\n", "#include <unordered_map>\n",
    "#include <unordered_set>\n", '#include "grpcpp/grpcpp.h"\n',
    "#include <grpc/grpc.h>\n", '#include "leveldb/db.h"\n',
    "#include <boost/asio.hpp>\n", "#include <boost/asio/io_context.hpp>\n",
    '#include "spdlog/spdlog.h"\n', "  #  include <chrono>\n",
    "float x = 1;\n", "double y(2);\n", "long double z;\n",
    "int r = rand();\n", "int r = std::rand ();\n", "auto t = time(nullptr);\n",
    "auto t = std::time(nullptr);\n", "randombytes_buf(p, 32);\n",
    "auto c = std::chrono::steady_clock::now();\n", "std::mt19937 gen;\n",
]
SELF_TEST_CLEAN = """\
// A comment may say double, float, rand() or time() or <chrono>: it is not code.
/* Nor here: #include <thread>
   randombytes */
#include <map>
#include "base/bytes.h"
const char* kLabel = "a double-spend at time(0) with rand()";
uint64_t TimeMs(const Header& h) { return h.time_ms + h.time() + clock->time(); }
uint64_t Brand(int operand) { return my::time(operand) + strand(operand); }
"""


def self_test():
    failures = []
    for snippet in SELF_TEST_BAD:
        if not lint_text(snippet):
            failures.append("not flagged: %r" % snippet)
    if lint_text(SELF_TEST_CLEAN):
        failures.append("clean file flagged: %r" % lint_text(SELF_TEST_CLEAN))
    # End to end: a temporary tree passes, then fails once a violation is added.
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "consensus", "ledger"))
        with open(os.path.join(root, "consensus", "ledger", "ok.cc"), "w") as f:
            f.write(SELF_TEST_CLEAN)
        if lint_tree(root) != 0:
            failures.append("clean temporary tree failed")
        with open(os.path.join(root, "consensus", "ledger", "bad.h"), "w") as f:
            f.write("#pragma once\n#include <unordered_map>\ninline double F() { return 0; }\n")
        if lint_tree(root) != 1:
            failures.append("temporary tree with a violation passed")
    for f in failures:
        print("self-test: " + f)
    print("determinism lint self-test: %s" % ("FAILED" if failures else "ok"))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    return lint_tree(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
