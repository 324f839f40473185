#!/usr/bin/env python3
"""Determinism lint for consensus/: the code every node must run bit-identically.

Fails (exit 1, one line per finding as path:line: [rule] what) if any C++ file under
<root>/consensus/ breaks one of these rules:
  clock          <chrono>, <ctime>, <sys/time.h>, time(), clock(), clock_gettime,
                 gettimeofday, std::*_clock
  randomness     <random>, rand(), srand(), <random> engines, libsodium randombytes
  threads        <thread>, <mutex>, <atomic>, <future>, <pthread.h>, <csignal>, ...
  file-io        <filesystem>, <fstream>, <iostream>, <cstdio>, <fcntl.h>, fopen, popen
  os             <unistd.h>, <sys/...>
  getenv         getenv, secure_getenv, setenv, putenv, unsetenv
  float          float, double, <cmath>, <math.h>, <cfloat>, <cfenv>
  float-literal  1.5, 2., .5, 1e9, 1.5f, 0x1p-3 (a double without the keyword)
  unordered      <unordered_map>, <unordered_set>
  std-hash       std::hash (implementation-defined values)
  pointer-key    map/set/multimap/multiset/less keyed by a pointer, smart pointer or
                 uintptr_t (iteration in address order)
  io-library     grpc, leveldb, boost/asio, spdlog
Comments and string literals are ignored, so a comment may talk about a "double spend".
ALLOWLIST below excuses single known lines. See docs/developer-notes.md and
docs/protocol/state.md.

Usage: determinism_lint.py <repo root>        lint the tree
       determinism_lint.py --self-test        check the lint itself on temporary files
"""
import os
import re
import sys
import tempfile

SOURCE_EXTENSIONS = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx", ".inc", ".ipp")

# Every finding names its rule, so a failing run says which rule broke and the self-test
# can check that a planted violation is caught by the rule meant for it.
BANNED_HEADERS = {
    "chrono": "clock", "ctime": "clock", "time.h": "clock", "sys/time.h": "clock",
    "random": "randomness",
    "thread": "threads", "mutex": "threads", "shared_mutex": "threads",
    "condition_variable": "threads", "future": "threads", "atomic": "threads",
    "pthread.h": "threads", "csignal": "threads", "signal.h": "threads",
    "filesystem": "file-io", "fstream": "file-io", "iostream": "file-io",
    "cstdio": "file-io", "stdio.h": "file-io", "fcntl.h": "file-io", "dirent.h": "file-io",
    "unistd.h": "os",
    "cmath": "float", "math.h": "float", "cfloat": "float", "float.h": "float",
    "cfenv": "float", "fenv.h": "float",
    "unordered_map": "unordered", "unordered_set": "unordered",
}
# Header prefix -> rule: the network, storage and logging libraries, and POSIX sys/*.
BANNED_HEADER_PREFIXES = [
    ("grpc", "io-library"), ("leveldb/", "io-library"), ("boost/asio", "io-library"),
    ("spdlog/", "io-library"), ("spdlog.h", "io-library"), ("sys/", "os"),
]

# (rule, pattern, message) over code with comments and strings removed.
_EXP = r"(?:[eE][+-]?\d[\d']*)"
BANNED_TOKENS = [
    ("float", re.compile(r"\bfloat\b"), "floating point (float)"),
    ("float", re.compile(r"\bdouble\b"), "floating point (double)"),
    # 1.5, 1., .5, 1e9, 1.5f, 0x1p3: a float literal is floating point without the
    # keyword (auto x = 1e9 is a double). A digit or dot before it means it is part of a
    # larger token (a hex literal 0x1e5, a version-like name v1.2), not a literal.
    ("float-literal",
     re.compile(r"(?<![\w.'])(?:\d[\d']*\.[\d']*%s?|\.\d[\d']*%s?|\d[\d']*%s"
                r"|0[xX][\da-fA-F']*\.?[\da-fA-F']*[pP][+-]?\d+)" % (_EXP, _EXP, _EXP)),
     "a floating-point literal"),
    ("randomness", re.compile(r"randombytes"), "randomness (libsodium randombytes)"),
    ("randomness",
     re.compile(r"\b(?:random_device|mt19937(?:_64)?|default_random_engine)\b"),
     "randomness (<random> engine)"),
    ("clock", re.compile(r"\b(?:system_clock|steady_clock|high_resolution_clock)\b"),
     "a clock"),
    ("clock", re.compile(r"\b(?:clock_gettime|gettimeofday|timespec_get)\b"),
     "a clock (POSIX/C time)"),
    ("file-io", re.compile(r"\b(?:fopen|freopen|fdopen|popen|tmpfile)\b"),
     "file I/O (C stdio)"),
    ("getenv", re.compile(r"\b(?:secure_getenv|getenv|setenv|putenv|unsetenv)\b"),
     "the environment (getenv)"),
    # std::hash differs between standard libraries and versions (and may be seeded), so
    # a value derived from it is not the same on every node.
    ("std-hash", re.compile(r"\bstd\s*::\s*hash\b|(?<![\w:])hash\s*<"),
     "std::hash (implementation-defined)"),
]
# Free-function calls: flagged unless called as a member (x.time(), x->rand()) or
# qualified by a namespace other than std.
BANNED_CALLS = [("rand", "randomness", "randomness (rand())"),
                ("srand", "randomness", "randomness (srand())"),
                ("time", "clock", "the clock (time())"),
                ("clock", "clock", "the clock (clock())")]

# Ordered containers whose order would follow the key. A pointer key orders by address,
# which differs from run to run and node to node.
ORDERED_CONTAINER_RE = re.compile(r"\b(?:map|multimap|set|multiset|flat_map|flat_set|less)\s*<")
POINTER_KEY_RE = re.compile(
    r"(?:\*\s*(?:const\s*)?(?:volatile\s*)?$)|^(?:const\s+)?(?:std\s*::\s*)?"
    r"(?:unique_ptr|shared_ptr|weak_ptr|u?intptr_t)\b")

# Known exceptions: (path under the root, rule, a fragment of the offending line, why).
# Each entry is one line of real code, matched by its text so that a new violation
# elsewhere in the same file is still caught; remove the entry when the code is fixed.
ALLOWLIST = []

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', re.MULTILINE)


def is_digit_separator(text, quote):
    """True if text[quote] == "'" is a C++14 digit separator (1'000), not a char literal:
    the token it sits in starts with a digit."""
    k = quote
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] in "_'"):
        k -= 1
    return k < quote and text[k].isdigit()


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
        elif c == "'" and is_digit_separator(text, i):
            out.append(c)
            i += 1
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


def header_rule(header):
    if header in BANNED_HEADERS:
        return BANNED_HEADERS[header]
    for prefix, rule in BANNED_HEADER_PREFIXES:
        if header.startswith(prefix):
            return rule
    return None


def first_template_argument(code, open_angle):
    """The text of the first template argument after code[open_angle] == '<'."""
    depth = 0
    for j in range(open_angle + 1, len(code)):
        c = code[j]
        if c in "<([{":
            depth += 1
        elif c in ">)]}":
            if depth == 0:
                return code[open_angle + 1:j]
            depth -= 1
        elif c in ",;" and depth == 0:
            return code[open_angle + 1:j]
    return code[open_angle + 1:]


def lint_text(text):
    """Returns [(line, rule, message)] for one file's contents."""
    findings = []
    no_comments = strip(text, keep_strings=True)
    for m in INCLUDE_RE.finditer(no_comments):
        header = m.group(1).strip()
        rule = header_rule(header)
        if rule:
            findings.append((line_of(no_comments, m.start()), rule, "includes <%s>" % header))
    code = strip(text, keep_strings=False)
    # Include lines were judged above; blank them so header names are not re-read as code.
    code = INCLUDE_RE.sub(lambda m: " " * len(m.group(0)), code)
    for rule, pattern, message in BANNED_TOKENS:
        for m in pattern.finditer(code):
            findings.append((line_of(code, m.start()), rule, "uses " + message))
    for name, rule, message in BANNED_CALLS:
        for m in re.finditer(r"\b%s\s*\(" % name, code):
            before = code[:m.start()].rstrip()
            if before.endswith(".") or before.endswith("->"):
                continue  # a member function of our own
            if before.endswith("::"):
                qualifier = re.search(r"(\w*)\s*::$", before)
                if qualifier and qualifier.group(1) not in ("", "std"):
                    continue  # some_namespace::time(...), not the C library
            findings.append((line_of(code, m.start()), rule, "uses " + message))
    for m in ORDERED_CONTAINER_RE.finditer(code):
        key = " ".join(first_template_argument(code, m.end() - 1).split())
        if POINTER_KEY_RE.search(key):
            findings.append((line_of(code, m.start()), "pointer-key",
                             "orders by a pointer key <%s> (address order)" % key))
    return sorted(set(findings))


def allowed(rel, line_text, rule):
    for path, allowed_rule, fragment, _why in ALLOWLIST:
        if rel == path and rule == allowed_rule and fragment in line_text:
            return True
    return False


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
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            lines = text.split("\n")
            findings += ["%s:%d: [%s] %s" % (rel, line, rule, msg)
                         for line, rule, msg in lint_text(text)
                         if not allowed(rel, lines[line - 1], rule)]
    for f in findings:
        print(f)
    if findings:
        print("determinism lint: %d finding(s) in consensus/ (see docs/developer-notes.md)"
              % len(findings))
        return 1
    print("determinism lint: %d files under consensus/ are clean" % scanned)
    return 0


# Planted violations: (rule, snippet). Each snippet alone must be flagged by that rule.
SELF_TEST_BAD = [
    ("clock", "#include <chrono>\n"), ("randomness", "#include <random>\n"),
    ("threads", "#include <thread>\n"), ("threads", "#include <mutex>\n"),
    ("threads", "#include <atomic>\n"), ("file-io", "#include <filesystem>\n"),
    ("file-io", "#include <fstream>\n"), ("file-io", "#include <iostream>\n"),
    ("unordered", "#include <unordered_map>\n"), ("unordered", "#include <unordered_set>\n"),
    ("io-library", '#include "grpcpp/grpcpp.h"\n'), ("io-library", "#include <grpc/grpc.h>\n"),
    ("io-library", '#include "leveldb/db.h"\n'), ("io-library", "#include <boost/asio.hpp>\n"),
    ("io-library", "#include <boost/asio/io_context.hpp>\n"),
    ("io-library", '#include "spdlog/spdlog.h"\n'), ("clock", "  #  include <chrono>\n"),
    ("float", "float x = 1;\n"), ("float", "double y(2);\n"), ("float", "long double z;\n"),
    ("randomness", "int r = rand();\n"), ("randomness", "int r = std::rand ();\n"),
    ("clock", "auto t = time(nullptr);\n"), ("clock", "auto t = std::time(nullptr);\n"),
    ("randomness", "randombytes_buf(p, 32);\n"),
    ("clock", "auto c = std::chrono::steady_clock::now();\n"),
    ("randomness", "std::mt19937 gen;\n"),
    # Float literals: a double without the keyword.
    ("float-literal", "auto x = 1.5;\n"), ("float-literal", "auto x = 2.;\n"),
    ("float-literal", "auto x = .5;\n"), ("float-literal", "auto x = 1e9;\n"),
    ("float-literal", "auto x = 3E-2;\n"), ("float-literal", "auto x = 1.5f;\n"),
    ("float-literal", "auto x = 2.5L;\n"), ("float-literal", "auto x = 0x1p-3;\n"),
    ("float-literal", "auto x = 1'000.5;\n"), ("float-literal", "uint64_t f = n * 0.9;\n"),
    # <cmath> and friends.
    ("float", "#include <cmath>\n"), ("float", "#include <math.h>\n"),
    ("float", "#include <cfloat>\n"), ("float", "#include <cfenv>\n"),
    # C and POSIX clocks.
    ("clock", "auto c = clock();\n"), ("clock", "auto c = std::clock();\n"),
    ("clock", "clock_gettime(CLOCK_MONOTONIC, &ts);\n"), ("clock", "gettimeofday(&tv, 0);\n"),
    ("clock", "#include <sys/time.h>\n"),
    # C stdio, POSIX and the environment.
    ("file-io", "#include <cstdio>\n"), ("file-io", "#include <stdio.h>\n"),
    ("file-io", "FILE* f = fopen(path, mode);\n"), ("file-io", "auto f = std::fopen(p, m);\n"),
    ("file-io", "#include <fcntl.h>\n"), ("os", "#include <unistd.h>\n"),
    ("os", "#include <sys/stat.h>\n"), ("os", "#include <unistd.h>  // for getpid\n"),
    ("getenv", "const char* v = getenv(name);\n"),
    ("getenv", "auto v = std::getenv(name);\n"), ("getenv", "setenv(n, v, 1);\n"),
    # std::hash.
    ("std-hash", "size_t h = std::hash<std::string>{}(s);\n"),
    ("std-hash", "using H = std :: hash<Key>;\n"),
    ("std-hash", "using std::hash; size_t h = hash<int>{}(1);\n"),
    # Pointer-keyed ordered containers.
    ("pointer-key", "std::map<const Node*, int> m;\n"),
    ("pointer-key", "std::set<Vote *> s;\n"),
    ("pointer-key", "std::map<Node* const, int> m;\n"),
    ("pointer-key", "std::multimap<std::vector<int>*, int> m;\n"),
    ("pointer-key", "std::map<std::shared_ptr<Block>, int> m;\n"),
    ("pointer-key", "std::set<std::unique_ptr<Block>> s;\n"),
    ("pointer-key", "std::map<uintptr_t, int> m;\n"),
    ("pointer-key", "std::sort(v.begin(), v.end(), std::less<const Vote*>());\n"),
    ("pointer-key", "map<\n  Validator*,\n  int> m;\n"),
]
SELF_TEST_CLEAN = """\
// A comment may say double, float, rand() or time() or <chrono>: it is not code.
/* Nor here: #include <thread> 1.5 getenv std::hash<int> std::map<Node*, int>
   randombytes clock() fopen */
#include <map>
#include <cstdint>
#include <cstring>
#include "base/bytes.h"
const char* kLabel = "a double-spend at time(0) with rand(), 1.5 and 1e9";
uint64_t TimeMs(const Header& h) { return h.time_ms + h.time() + clock->time(); }
uint64_t Brand(int operand) { return my::time(operand) + strand(operand); }
uint64_t Clocked(const Env& env) { return env.clock() + sim::clock() + clockwise(1); }
constexpr uint64_t kMax = 0x1e5 + 0XFFE5 + 1'000'000 + 10ULL + 0b1010 + 07;
const Hash32 h = types::Hash(x) + TxHash(y) + hash_(z) + block.hash();
std::map<Hash32, std::vector<Vote*>> by_hash;
std::map<std::pair<uint32_t, uint8_t>, VoteSet> votes;
std::set<std::tuple<uint32_t, uint32_t, uint8_t>> done;
std::map<uint32_t, const Vote*> pointer_values_are_fine;
char c = 'x'; char d = u8'y'; auto e = L'z' + '\\\\' + '\\'' + 1;
auto v = std::get<0>(t).size() + a[1].b + v1.c;
"""


def self_test():
    failures = []
    for rule, snippet in SELF_TEST_BAD:
        rules = {r for _line, r, _msg in lint_text(snippet)}
        if rule not in rules:
            failures.append("not flagged as %s: %r (got %s)" % (rule, snippet, sorted(rules)))
    if lint_text(SELF_TEST_CLEAN):
        failures.append("clean file flagged: %r" % lint_text(SELF_TEST_CLEAN))
    # End to end: a temporary tree passes, then fails once a violation is added, naming
    # the rule; an allow-listed line passes, but only that line.
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "consensus", "ledger"))
        with open(os.path.join(root, "consensus", "ledger", "ok.cc"), "w") as f:
            f.write(SELF_TEST_CLEAN)
        if lint_tree(root) != 0:
            failures.append("clean temporary tree failed")
        bad = os.path.join(root, "consensus", "ledger", "bad.h")
        with open(bad, "w") as f:
            f.write("#pragma once\n#include <cmath>\ninline auto F() { return 0.5; }\n")
        if lint_tree(root) != 1:
            failures.append("temporary tree with a violation passed")
        ALLOWLIST.append(("consensus/ledger/bad.h", "float-literal", "return 0.5;", "test"))
        if lint_tree(root) != 1:
            failures.append("allow-listed float literal also excused the <cmath> include")
        ALLOWLIST.append(("consensus/ledger/bad.h", "float", "<cmath>", "test"))
        if lint_tree(root) != 0:
            failures.append("allow-listed lines still flagged")
        del ALLOWLIST[-2:]
    for f in failures:
        print("self-test: " + f)
    print("determinism lint self-test: %s (%d planted violations)"
          % ("FAILED" if failures else "ok", len(SELF_TEST_BAD)))
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
